"""Charts as SVG and CSV downloads that a spreadsheet can't be tricked into running."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from community.web.charts import Figure, Series, nice_ceiling, render_svg
from community.web.csv_export import csv_text, safe_cell

SVG = "{http://www.w3.org/2000/svg}"


def figure(**overrides) -> Figure:
    values = {
        "slug": "signups",
        "title": "Members signed up per week",
        "description": "New accounts each week.",
        "categories": ["3 Nov", "10 Nov", "17 Nov"],
        "series": [Series("Sign-ups", [4, 9, 2])],
        "x_label": "Week starting",
        "y_label": "Members",
    }
    return Figure(**{**values, **overrides})


def parse(markup: str) -> ET.Element:
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def test_bar_chart_is_labelled_svg_with_a_tooltip_per_bar():
    svg = parse(render_svg(figure()))
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}desc").text == "New accounts each week."
    bars = svg.findall(f"{SVG}rect")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "3 Nov \u2014 4",
        "10 Nov \u2014 9",
        "17 Nov \u2014 2",
    ]
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[1] > heights[0] > heights[2] > 0
    texts = {"".join(t.itertext()) for t in svg.iter(f"{SVG}text")}
    assert {"Week starting", "Members", "3 Nov"} <= texts


def test_long_category_labels_wrap_onto_two_lines():
    labels = ["Groups 14 Sep", "Volunteering 28 Sep"] * 4
    svg = parse(render_svg(figure(categories=labels, series=[Series("Placed", [50] * 8)])))
    category = next(t for t in svg.iter(f"{SVG}text") if "chart-category" in t.get("class"))
    assert [span.text for span in category.findall(f"{SVG}tspan")] == ["Groups", "14 Sep"]


def test_grouped_stacked_and_line_charts_draw_every_value():
    two = [Series("Accepted", [70, 50]), Series("Showed up", [90, 80])]
    grouped = parse(render_svg(figure(categories=["Groups", "Walks"], series=two, percent=True)))
    assert len(grouped.findall(f"{SVG}rect")) == 4
    assert "100%" in {t.text for t in grouped.iter(f"{SVG}text")}
    stacked = parse(render_svg(figure(categories=["a", "b"], series=two, kind="stacked")))
    assert len(stacked.findall(f"{SVG}rect")) == 4
    line = parse(render_svg(figure(categories=["a", "b"], series=two, kind="line")))
    assert len(line.findall(f"{SVG}polyline")) == 2
    assert len(line.findall(f"{SVG}circle")) == 4


def test_chart_text_is_escaped():
    svg = render_svg(figure(title="<script>alert(1)</script>", categories=["<b>", "x", "y"]))
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    parse(svg)  # still well-formed


def test_empty_chart_says_so():
    svg = parse(render_svg(figure(series=[Series("Sign-ups", [0, 0, 0])])))
    assert "No data yet" in {t.text for t in svg.iter(f"{SVG}text")}


@pytest.mark.parametrize(
    ("top", "expected"),
    [(37, (40, 10)), (3, (3, 1)), (120, (125.0, 25.0)), (12, (15, 5)), (0, (1.0, 1.0))],
)
def test_y_axis_rounds_up_to_a_friendly_number(top, expected):
    assert nice_ceiling(top) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Old Town", "Old Town"),
        ("a=b", "a=b"),
        (-3, -3),
        (12.5, 12.5),
        (None, ""),
    ],
)
def test_csv_cells_that_look_like_formulas_are_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_csv_text_neutralises_every_cell_and_reads_back():
    text = csv_text(["Area", "=cmd"], [["=1+2", 3], ["Riverside", -1]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["Area", "'=cmd"], ["'=1+2", "3"], ["Riverside", "-1"]]
