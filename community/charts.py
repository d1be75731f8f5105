"""Charts as SVG drawn on the server: no JavaScript, no CDN, readable without colour.

A chart is described by a ``Figure`` (categories along the x axis and one or more
``Series`` of numbers); ``render_svg`` draws it as bars, stacked bars or lines.
Every bar and point carries a ``<title>`` tooltip, the SVG has a title and a
description for screen readers, and templates show the same numbers as a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup, escape

# Drawn small so that, scaled to a half-width card, the text is still readable.
WIDTH = 600
HEIGHT = 300
MARGIN_LEFT = 56
MARGIN_RIGHT = 12
MARGIN_TOP = 18
MARGIN_BOTTOM = 76
CHAR_WIDTH = 6.8  # of a 13px label, roughly
TONES = ("teal", "coral", "sand", "plum", "slate")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    tone: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart's data and words; the same object feeds the SVG, the table and the CSV."""

    slug: str
    title: str
    description: str
    categories: list[str]
    series: list[Series]
    x_label: str
    y_label: str
    kind: Literal["bar", "stacked", "line"] = "bar"
    percent: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.categories or not any(any(s.values) for s in self.series)

    def csv_header(self) -> list[str]:
        return [self.x_label] + [f"{s.name} (%)" if self.percent else s.name for s in self.series]

    def csv_rows(self) -> list[list[object]]:
        return [
            [category] + [s.values[index] for s in self.series]
            for index, category in enumerate(self.categories)
        ]

    def format(self, value: float) -> str:
        return format_value(value, self.percent)

    def tone(self, index: int) -> str:
        return self.series[index].tone or TONES[index % len(TONES)]


def format_value(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value:.0f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def nice_ceiling(top: float) -> tuple[float, float]:
    """A round top for the y axis and a tick step that gives four or five gridlines."""
    if top <= 0:
        return 1.0, 1.0
    magnitude = 10 ** math.floor(math.log10(top))
    for step_factor in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        step = step_factor * magnitude
        if top / step <= 5:
            if top >= 1 and step != int(step):
                continue  # counts get whole-number gridlines
            return math.ceil(top / step) * step, step
    return top, top


def y_scale(figure: Figure) -> tuple[float, float]:
    if figure.percent:
        return 100.0, 25.0
    if figure.kind == "stacked":
        top = max(
            (sum(s.values[i] for s in figure.series) for i in range(len(figure.categories))),
            default=0,
        )
    else:
        top = max((v for s in figure.series for v in s.values), default=0)
    return nice_ceiling(top)


def attr(value: float) -> str:
    return f"{value:.1f}"


def render_svg(figure: Figure) -> Markup:
    """The figure drawn as accessible SVG markup, safe to place in a page as it is."""
    title_id = f"chart-{figure.slug}-title"
    desc_id = f"chart-{figure.slug}-desc"
    parts = [
        f'<svg class="chart-svg chart-{escape(figure.kind)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{title_id}">{escape(figure.title)}</title>',
        f'<desc id="{desc_id}">{escape(figure.description)}</desc>',
    ]
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = MARGIN_TOP + plot_h
    if figure.is_empty:
        parts.append(
            f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
            "No data yet</text></svg>"
        )
        return Markup("".join(parts))
    top, step = y_scale(figure)

    def y_of(value: float) -> float:
        return bottom - (value / top) * plot_h

    # Gridlines and y axis labels.
    tick = 0.0
    while tick <= top + 1e-9:
        y = y_of(tick)
        parts.append(
            f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
            f'y1="{attr(y)}" y2="{attr(y)}"/>'
            f'<text class="chart-tick" x="{MARGIN_LEFT - 8}" y="{attr(y + 4)}" '
            f'text-anchor="end">{escape(figure.format(tick))}</text>'
        )
        tick += step
    count = len(figure.categories)
    band = plot_w / count
    label_every = max(1, math.ceil(count / 12))
    room = max(int((band * label_every - 4) / CHAR_WIDTH), 4)
    for index, category in enumerate(figure.categories):
        if index % label_every:
            continue
        x = MARGIN_LEFT + band * (index + 0.5)
        lines = "".join(
            f'<tspan x="{attr(x)}" dy="{0 if number == 0 else 15}">{escape(line)}</tspan>'
            for number, line in enumerate(wrap_label(category, room))
        )
        parts.append(
            f'<text class="chart-tick chart-category" x="{attr(x)}" y="{bottom + 18}" '
            f'text-anchor="middle">{lines}</text>'
        )
    if figure.kind == "line":
        parts.extend(draw_lines(figure, band, y_of))
    else:
        parts.extend(draw_bars(figure, band, y_of, bottom))
    parts.append(
        f'<line class="chart-axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" '
        f'y1="{bottom}" y2="{bottom}"/>'
        f'<text class="chart-axis-label" x="{MARGIN_LEFT + plot_w / 2}" y="{HEIGHT - 12}" '
        f'text-anchor="middle">{escape(figure.x_label)}</text>'
        f'<text class="chart-axis-label" transform="translate(14 {MARGIN_TOP + plot_h / 2}) '
        f'rotate(-90)" text-anchor="middle">{escape(figure.y_label)}</text>'
        "</svg>"
    )
    return Markup("".join(parts))


def short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "\u2026"


def wrap_label(label: str, room: int) -> list[str]:
    """One line if it fits under its bar, else the most even split into two lines."""
    if len(label) <= room or " " not in label:
        return [short(label, room)]
    words = label.split()
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    first, second = min(splits, key=lambda pair: max(len(pair[0]), len(pair[1])))
    return [short(first, room), short(second, room)]


def tooltip(figure: Figure, category: str, series: Series, value: float) -> str:
    name = f"{series.name}: " if len(figure.series) > 1 else ""
    return f"<title>{escape(category)} \u2014 {escape(name)}{escape(figure.format(value))}</title>"


def draw_bars(figure: Figure, band: float, y_of, bottom: float) -> list[str]:
    parts = []
    gap = band * 0.22
    groups = 1 if figure.kind == "stacked" else len(figure.series)
    bar_w = (band - gap) / groups
    for index, category in enumerate(figure.categories):
        left = MARGIN_LEFT + band * index + gap / 2
        stacked_base = 0.0
        for number, series in enumerate(figure.series):
            value = series.values[index]
            if figure.kind == "stacked":
                y_top, y_bottom = y_of(stacked_base + value), y_of(stacked_base)
                x = left
                stacked_base += value
            else:
                y_top, y_bottom = y_of(value), bottom
                x = left + bar_w * number
            height = max(y_bottom - y_top, 0)
            parts.append(
                f'<rect class="chart-bar tone-{escape(figure.tone(number))}" x="{attr(x)}" '
                f'y="{attr(y_top)}" width="{attr(max(bar_w - 1, 1))}" height="{attr(height)}">'
                f"{tooltip(figure, category, series, value)}</rect>"
            )
            if figure.kind != "stacked" and len(figure.categories) * groups <= 16 and value:
                parts.append(
                    f'<text class="chart-value" x="{attr(x + bar_w / 2)}" y="{attr(y_top - 5)}" '
                    f'text-anchor="middle">{escape(figure.format(value))}</text>'
                )
    return parts


def draw_lines(figure: Figure, band: float, y_of) -> list[str]:
    parts = []
    for number, series in enumerate(figure.series):
        tone = escape(figure.tone(number))
        points = [
            (MARGIN_LEFT + band * (index + 0.5), y_of(value))
            for index, value in enumerate(series.values)
        ]
        path = " ".join(f"{attr(x)},{attr(y)}" for x, y in points)
        parts.append(f'<polyline class="chart-line tone-{tone}" points="{path}"/>')
        for (x, y), category, value in zip(points, figure.categories, series.values, strict=True):
            parts.append(
                f'<circle class="chart-point tone-{tone}" cx="{attr(x)}" cy="{attr(y)}" r="4.5">'
                f"{tooltip(figure, category, series, value)}</circle>"
            )
    return parts
