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

from markupsafe import Markup

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
    """The figure drawn as accessible SVG markup, safe to place in a page as it is.

    Every piece is a ``Markup`` template whose arguments markupsafe escapes as it
    formats them, so no text from the figure reaches the page unescaped.
    """
    title_id = f"chart-{figure.slug}-title"
    desc_id = f"chart-{figure.slug}-desc"
    parts = [
        Markup(
            '<svg class="chart-svg chart-{kind}" viewBox="0 0 {width} {height}" '
            'role="img" aria-labelledby="{title_id} {desc_id}" preserveAspectRatio="xMidYMid meet">'
        ).format(kind=figure.kind, width=WIDTH, height=HEIGHT, title_id=title_id, desc_id=desc_id),
        Markup('<title id="{id}">{text}</title>').format(id=title_id, text=figure.title),
        Markup('<desc id="{id}">{text}</desc>').format(id=desc_id, text=figure.description),
    ]
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    bottom = MARGIN_TOP + plot_h
    if figure.is_empty:
        parts.append(
            Markup(
                '<text class="chart-empty" x="{x}" y="{y}" text-anchor="middle">'
                "No data yet</text></svg>"
            ).format(x=str(WIDTH / 2), y=str(HEIGHT / 2))
        )
        return Markup("").join(parts)
    top, step = y_scale(figure)

    def y_of(value: float) -> float:
        return bottom - (value / top) * plot_h

    # Gridlines and y axis labels.
    tick = 0.0
    while tick <= top + 1e-9:
        y = y_of(tick)
        parts.append(
            Markup(
                '<line class="chart-grid" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>'
                '<text class="chart-tick" x="{text_x}" y="{text_y}" '
                'text-anchor="end">{label}</text>'
            ).format(
                x1=str(MARGIN_LEFT),
                x2=str(WIDTH - MARGIN_RIGHT),
                y=attr(y),
                text_x=str(MARGIN_LEFT - 8),
                text_y=attr(y + 4),
                label=figure.format(tick),
            )
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
        lines = Markup("").join(
            Markup('<tspan x="{x}" dy="{dy}">{line}</tspan>').format(
                x=attr(x), dy="0" if number == 0 else "15", line=line
            )
            for number, line in enumerate(wrap_label(category, room))
        )
        parts.append(
            Markup(
                '<text class="chart-tick chart-category" x="{x}" y="{y}" '
                'text-anchor="middle">{lines}</text>'
            ).format(x=attr(x), y=str(bottom + 18), lines=lines)
        )
    if figure.kind == "line":
        parts.extend(draw_lines(figure, band, y_of))
    else:
        parts.extend(draw_bars(figure, band, y_of, bottom))
    parts.append(
        Markup(
            '<line class="chart-axis" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>'
            '<text class="chart-axis-label" x="{x_label_x}" y="{x_label_y}" '
            'text-anchor="middle">{x_label}</text>'
            '<text class="chart-axis-label" transform="translate(14 {y_label_y}) '
            'rotate(-90)" text-anchor="middle">{y_label}</text>'
            "</svg>"
        ).format(
            x1=str(MARGIN_LEFT),
            x2=str(WIDTH - MARGIN_RIGHT),
            y=str(bottom),
            x_label_x=str(MARGIN_LEFT + plot_w / 2),
            x_label_y=str(HEIGHT - 12),
            x_label=figure.x_label,
            y_label_y=str(MARGIN_TOP + plot_h / 2),
            y_label=figure.y_label,
        )
    )
    return Markup("").join(parts)


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


def tooltip(figure: Figure, category: str, series: Series, value: float) -> Markup:
    name = f"{series.name}: " if len(figure.series) > 1 else ""
    return Markup("<title>{category} \u2014 {name}{value}</title>").format(
        category=category, name=name, value=figure.format(value)
    )


def draw_bars(figure: Figure, band: float, y_of, bottom: float) -> list[Markup]:
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
                Markup(
                    '<rect class="chart-bar tone-{tone}" x="{x}" '
                    'y="{y}" width="{width}" height="{height}">{tooltip}</rect>'
                ).format(
                    tone=figure.tone(number),
                    x=attr(x),
                    y=attr(y_top),
                    width=attr(max(bar_w - 1, 1)),
                    height=attr(height),
                    tooltip=tooltip(figure, category, series, value),
                )
            )
            if figure.kind != "stacked" and len(figure.categories) * groups <= 16 and value:
                parts.append(
                    Markup(
                        '<text class="chart-value" x="{x}" y="{y}" '
                        'text-anchor="middle">{label}</text>'
                    ).format(x=attr(x + bar_w / 2), y=attr(y_top - 5), label=figure.format(value))
                )
    return parts


def draw_lines(figure: Figure, band: float, y_of) -> list[Markup]:
    parts = []
    for number, series in enumerate(figure.series):
        tone = figure.tone(number)
        points = [
            (MARGIN_LEFT + band * (index + 0.5), y_of(value))
            for index, value in enumerate(series.values)
        ]
        path = " ".join(f"{attr(x)},{attr(y)}" for x, y in points)
        parts.append(
            Markup('<polyline class="chart-line tone-{tone}" points="{path}"/>').format(
                tone=tone, path=path
            )
        )
        for (x, y), category, value in zip(points, figure.categories, series.values, strict=True):
            parts.append(
                Markup(
                    '<circle class="chart-point tone-{tone}" cx="{x}" cy="{y}" r="4.5">'
                    "{tooltip}</circle>"
                ).format(
                    tone=tone,
                    x=attr(x),
                    y=attr(y),
                    tooltip=tooltip(figure, category, series, value),
                )
            )
    return parts
