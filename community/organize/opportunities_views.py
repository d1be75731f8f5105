"""Organizers' pages for volunteer opportunities: list with fill rate, create, edit, close."""

from __future__ import annotations

from itertools import groupby

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from community.catalogue import opportunities
from community.catalogue.areas import areas_in_use
from community.catalogue.opportunities import OpportunityDetails
from community.extensions import db
from community.members import profiles
from community.members.choices import DAY_PARTS, WEEKDAYS, slot_number
from community.models import Opportunity
from community.organize.access import confirmed_change, organizer_blueprint
from community.organize.catalogue_pages import form_page, save_or_show
from community.organize.forms import ConfirmForm, OpportunityForm
from community.web.form_rules import options

bp = organizer_blueprint("organize_opportunities", __name__, "/organize/opportunities")

ONLINE = 0


def build_form(opportunity: Opportunity | None) -> OpportunityForm:
    data = None
    if opportunity is not None and request.method == "GET":
        data = {
            "title": opportunity.title,
            "host": opportunity.host,
            "description": opportunity.description,
            "area": opportunity.area_id or ONLINE,
            "slots": sorted(s for s in range(21) if opportunity.slot_mask >> s & 1),
            "interests": [i.id for i in opportunity.interests],
            "capacity": opportunity.capacity,
            "min_comfort": opportunity.min_comfort,
            "contact": opportunity.contact,
        }
    form = OpportunityForm(data=data)
    areas = areas_in_use()
    if opportunity is not None and opportunity.area and opportunity.area not in areas:
        areas.append(opportunity.area)
    form.area.choices = options([(ONLINE, "Online")] + [(a.id, a.name) for a in areas])
    form.interests.choices = options((i.id, i.name) for i in profiles.active_interests())
    return form


def details_from(form: OpportunityForm) -> OpportunityDetails:
    return OpportunityDetails(
        title=form.title.data,
        host=form.host.data,
        description=form.description.data or "",
        area_id=form.area.data or None,
        slots=form.slots.data,
        interest_ids=form.interests.data,
        capacity=form.capacity.data,
        min_comfort=form.min_comfort.data,
        contact=form.contact.data or "",
    )


def render_form(form: OpportunityForm, opportunity: Opportunity | None):
    return form_page(
        "organize/opportunity_form.html",
        form,
        opportunity=opportunity,
        interests_by_category=[
            (category, list(items))
            for category, items in groupby(profiles.active_interests(), key=lambda i: i.category)
        ],
        weekdays=WEEKDAYS,
        day_parts=DAY_PARTS,
        slot_number=slot_number,
    )


@bp.get("/")
def index():
    rows = opportunities.opportunity_rows()
    return render_template(
        "organize/opportunities.html",
        open_rows=[r for r in rows if r.opportunity.closed_at is None],
        closed_rows=[r for r in rows if r.opportunity.closed_at is not None],
        confirm=ConfirmForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = build_form(None)
    return save_or_show(
        form,
        form.title,
        lambda: opportunities.create_opportunity(current_user, details_from(form)),
        lambda created: f"\u201c{created.title}\u201d is open for volunteers.",
        lambda: render_form(form, None),
    )


@bp.route("/<int:opportunity_id>", methods=["GET", "POST"])
def edit(opportunity_id: int):
    opportunity = db.get_or_404(Opportunity, opportunity_id)
    form = build_form(opportunity)
    return save_or_show(
        form,
        form.title,
        lambda: opportunities.update_opportunity(current_user, opportunity, details_from(form)),
        lambda saved: f"\u201c{saved.title}\u201d is saved.",
        lambda: render_form(form, opportunity),
    )


@bp.post("/<int:opportunity_id>/close")
def close(opportunity_id: int):
    opportunity = db.get_or_404(Opportunity, opportunity_id)
    confirmed_change(
        lambda: opportunities.close_opportunity(current_user, opportunity),
        f"\u201c{opportunity.title}\u201d is closed to new volunteers.",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:opportunity_id>/reopen")
def reopen(opportunity_id: int):
    opportunity = db.get_or_404(Opportunity, opportunity_id)
    confirmed_change(
        lambda: opportunities.reopen_opportunity(current_user, opportunity),
        f"\u201c{opportunity.title}\u201d is open again.",
    )
    return redirect(url_for(".index"))
