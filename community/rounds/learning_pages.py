"""What the feedback model learned, ready for a page: sentences and one bar chart.

Only aggregates recorded on the round are shown (each with at least ``MIN_SUPPORT``
answers on either side); no member's own answers ever reach a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from community.web.charts import Figure, Series, render_svg

CHART_EFFECTS = 8  # bars beyond this crowd a phone screen; the sentences list them all


@dataclass
class LearnedEffectView:
    feature: str
    summary: str
    weight: float | None
    answers: int


@dataclass
class LearnedSummary:
    """The model record of one round, in words; ``plain`` when it learned nothing."""

    plain: bool
    version: str | None = None
    trained_at: datetime | None = None
    meetings: int = 0
    answers: int = 0
    again_answers: int = 0
    min_support: int = 0
    # Trained when the feedback arrived and reused by the round, not fitted for it.
    reused: bool = False
    effects: list[LearnedEffectView] = field(default_factory=list)
    chart: Figure | None = None
    svg: Markup | None = None


def feature_label(effect: dict[str, Any]) -> str:
    if effect.get("kind") == "topic":
        return str(effect["feature"]).capitalize()
    return {"comfort": "Similar comfort", "setting": "Same setting", "online": "Online"}.get(
        str(effect["feature"]), str(effect["feature"]).capitalize()
    )


def sentence(effect: dict[str, Any]) -> str:
    """The library's summary, except topics, which read better named as a kind of interest."""
    if effect.get("kind") != "topic" or effect.get("feature") in ("interests", "other"):
        return str(effect.get("summary", ""))
    rate_with, rate_without = float(effect["rate_with"]), float(effect["rate_without"])
    how = f"{rate_with / rate_without:.1f}x as often" if rate_without else "where others never did"
    topic = str(effect["feature"])
    article = "an" if topic[:1].lower() in "aeiou" else "a"
    return (
        f"Members who shared {article} {topic}-type interest with someone there said their "
        f"meeting felt nurturing {how} ({rate_with:.0%} of {effect['n_with']} answers against "
        f"{rate_without:.0%} of {effect['n_without']})"
    )


def learned_summary(quality: dict[str, Any] | None, slug: str = "learned") -> LearnedSummary | None:
    """None when the round was not scored by the model at all (volunteering, older rounds)."""
    record = (quality or {}).get("model") if isinstance(quality, dict) else None
    if not isinstance(record, dict):
        return None
    trained_at = None
    if record.get("trained_at"):
        try:
            trained_at = datetime.fromisoformat(str(record["trained_at"]))
        except ValueError:
            trained_at = None
    summary = LearnedSummary(
        plain=not record.get("version") or not record.get("n_meetings"),
        version=record.get("version"),
        trained_at=trained_at,
        meetings=int(record.get("n_meetings") or 0),
        answers=int(record.get("n_answers") or 0),
        again_answers=int(record.get("n_again_answers") or 0),
        min_support=int(record.get("min_support") or 0),
        reused=bool(record.get("reused")),
    )
    effects = [
        e
        for e in record.get("effects") or []
        if min(int(e.get("n_with", 0)), int(e.get("n_without", 0))) >= summary.min_support
    ]
    summary.effects = [
        LearnedEffectView(
            feature=feature_label(e),
            summary=sentence(e),
            weight=e.get("weight"),
            answers=int(e["n_with"]) + int(e["n_without"]),
        )
        for e in effects
    ]
    if effects:
        shown = effects[:CHART_EFFECTS]
        summary.chart = Figure(
            slug=slug,
            title="How often answers said the meeting felt nurturing",
            description=(
                "For each shared feature, the share of answers that said nurturing when "
                "members shared it and when they did not."
            ),
            categories=[feature_label(e) for e in shown],
            series=[
                Series("Shared", [round(100 * float(e["rate_with"]), 1) for e in shown], "teal"),
                Series(
                    "Not shared", [round(100 * float(e["rate_without"]), 1) for e in shown], "sand"
                ),
            ],
            x_label="Feature",
            y_label="Nurturing answers (%)",
            percent=True,
        )
        summary.svg = render_svg(summary.chart)
    return summary
