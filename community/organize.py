"""The organizers' home: the dashboard with charts, CSV downloads, and the care view.

``blueprints()`` lists every organizer and admin blueprint, so the factory
registers them in one place.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, url_for

from community import (
    admin,
    dashboard_figures,
    loneliness,
    organize_areas,
    organize_interests,
    organize_members,
    organize_opportunities,
    organize_reports,
)
from community.charts import render_svg
from community.csv_export import csv_response
from community.organize_access import organizer_blueprint

bp = organizer_blueprint("organize", __name__, "/organize")

FIGURE_ORDER = ("signups", "placed", "responses", "feelings", "unmatched", "comfort")


def blueprints() -> list[Blueprint]:
    return [
        bp,
        organize_areas.bp,
        organize_interests.bp,
        organize_opportunities.bp,
        organize_members.bp,
        organize_reports.bp,
        admin.bp,
    ]


@bp.get("/")
def index():
    return redirect(url_for(".dashboard"))


@bp.get("/dashboard")
def dashboard():
    figures = [dashboard_figures.FIGURES[slug]() for slug in FIGURE_ORDER]
    return render_template(
        "organize/dashboard.html",
        figures=[(figure, render_svg(figure)) for figure in figures],
        headline=dashboard_figures.headline(),
        care_count=len(dashboard_figures.long_unplaced()) + len(dashboard_figures.drained_twice()),
        loneliness=loneliness.community_average(),
    )


@bp.get("/dashboard/<any(signups, placed, responses, feelings, unmatched, comfort):slug>.csv")
def figure_csv(slug: str):
    figure = dashboard_figures.FIGURES.get(slug)
    if figure is None:
        abort(404)
    data = figure()
    return csv_response(
        f"kindred-{slug}-{date.today():%Y-%m-%d}.csv", data.csv_header(), data.csv_rows()
    )


@bp.get("/care")
def care():
    return render_template(
        "organize/care.html",
        unplaced=dashboard_figures.long_unplaced(),
        drained=dashboard_figures.drained_twice(),
        seats=dashboard_figures.empty_seats(),
    )
