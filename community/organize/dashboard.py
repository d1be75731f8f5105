"""The organizers' home: the dashboard with charts, CSV downloads, and the care view.

``blueprints()`` lists every organizer and admin blueprint, so the factory
registers them in one place.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, url_for

from community.account import loneliness
from community.admin import members_views as organize_members
from community.admin import reports_views as organize_reports
from community.admin import views as admin
from community.organize import areas_views as organize_areas
from community.organize import dashboard_figures
from community.organize import interests_views as organize_interests
from community.organize import opportunities_views as organize_opportunities
from community.organize import venues_views as organize_venues
from community.organize.access import organizer_blueprint
from community.rounds.learning import latest_model_round
from community.rounds.learning_pages import learned_summary
from community.web.charts import render_svg
from community.web.csv_export import csv_response

bp = organizer_blueprint("organize", __name__, "/organize")
# The round preview shows the same learned section (templates/rounds/_learned.html).
bp.add_app_template_global(learned_summary, "learned_summary")

FIGURE_ORDER = ("signups", "placed", "responses", "feelings", "unmatched", "comfort")


def blueprints() -> list[Blueprint]:
    return [
        bp,
        organize_areas.bp,
        organize_interests.bp,
        organize_opportunities.bp,
        organize_venues.bp,
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
    scored = latest_model_round()
    return render_template(
        "organize/dashboard.html",
        figures=[(figure, render_svg(figure)) for figure in figures],
        headline=dashboard_figures.headline(),
        care_count=len(dashboard_figures.long_unplaced()) + len(dashboard_figures.drained_twice()),
        loneliness=loneliness.community_average(),
        learned_round=scored,
        learned=learned_summary(scored.quality, "learned") if scored else None,
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
