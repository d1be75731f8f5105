"""Organizers' pages for venues: list by area, add, edit, retire and restore, CSV import."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from community.catalogue import venues
from community.catalogue.areas import areas_in_use
from community.catalogue.venues import CSV_HEADER, ImportRefused, VenueDetails
from community.extensions import db
from community.members.choices import DAY_PARTS, WEEKDAYS, slot_number
from community.models import Area
from community.models.venues import Venue
from community.organize.access import confirmed_change, organizer_blueprint
from community.organize.catalogue_pages import form_page, plural, save_or_show
from community.organize.forms import ConfirmForm
from community.organize.venue_forms import VenueForm, VenueImportForm
from community.web.form_rules import options

bp = organizer_blueprint("organize_venues", __name__, "/organize/venues")


def build_form(venue: Venue | None) -> VenueForm:
    data = None
    if venue is not None and request.method == "GET":
        data = {
            "name": venue.name,
            "address": venue.address,
            "area": venue.area_id,
            "latitude": venue.latitude,
            "longitude": venue.longitude,
            "kind": venue.kind,
            "slots": sorted(venue.slots),
            "capacity": venue.capacity,
            "step_free": venue.step_free,
            "walk_start": venue.walk_start,
            "quietness": venue.quietness,
            "directions": venue.directions,
        }
    elif venue is None and request.method == "GET" and request.args.get("area", "").isdigit():
        data = {"area": int(request.args["area"])}
    form = VenueForm(data=data)
    areas = areas_in_use()
    if venue is not None and venue.area and venue.area not in areas:
        areas.append(venue.area)
    form.area.choices = options([(0, "Choose an area")] + [(a.id, a.name) for a in areas])
    return form


def details_from(form: VenueForm) -> VenueDetails:
    return VenueDetails(
        name=form.name.data,
        address=form.address.data,
        latitude=float(form.latitude.data),
        longitude=float(form.longitude.data),
        area_id=form.area.data,
        kind=form.kind.data,
        slots=form.slots.data,
        capacity=form.capacity.data,
        step_free=form.step_free.data,
        quietness=form.quietness.data,
        walk_start=form.walk_start.data,
        directions=form.directions.data or "",
    )


def render_form(form: VenueForm, venue: Venue | None) -> ResponseReturnValue:
    return form_page(
        "organize/venue_form.html",
        form,
        venue=venue,
        weekdays=WEEKDAYS,
        day_parts=DAY_PARTS,
        slot_number=slot_number,
    )


def used_area_centre(form: VenueForm) -> bool:
    """The "use the area's centre" button: fill the position from the chosen area.

    The form is shown again (nothing is saved) so the organizer can adjust the point.
    """
    if "use_area_centre" not in request.form:
        return False
    for name in ("latitude", "longitude"):
        getattr(form, name).errors = []
    area_ids = {c.value for c in form.area.choices} - {0}
    area = db.session.get(Area, form.area.data) if form.area.data in area_ids else None
    if area is None:
        form.area.errors = ["Choose the area first, then use its centre."]
        return True
    for field, value in ((form.latitude, area.latitude), (form.longitude, area.longitude)):
        field.data = round(value, 5)
        field.raw_data = None  # render the area's value, not what was posted
    flash(
        f"Position set to {area.name}'s centre ({form.latitude.data}, {form.longitude.data}). "
        "Adjust it to the door if you know it, then save.",
        "info",
    )
    return True


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template(
        "organize/venues.html",
        groups=venues.venues_by_area(),
        slots_summary=venues.slots_summary,
        confirm=ConfirmForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    form = build_form(None)
    if request.method == "POST" and used_area_centre(form):
        return render_form(form, None)
    return save_or_show(
        form,
        form.name,
        lambda: venues.create_venue(current_user, details_from(form)),
        lambda created: f"\u201c{created.name}\u201d is added. Rounds can place meetings there.",
        lambda: render_form(form, None),
    )


@bp.route("/<int:venue_id>", methods=["GET", "POST"])
def edit(venue_id: int) -> ResponseReturnValue:
    venue = db.get_or_404(Venue, venue_id)
    form = build_form(venue)
    if request.method == "POST" and used_area_centre(form):
        return render_form(form, venue)
    return save_or_show(
        form,
        form.name,
        lambda: venues.update_venue(current_user, venue, details_from(form)),
        lambda saved: f"\u201c{saved.name}\u201d is saved.",
        lambda: render_form(form, venue),
    )


@bp.post("/<int:venue_id>/retire")
def retire(venue_id: int) -> ResponseReturnValue:
    venue = db.get_or_404(Venue, venue_id)
    confirmed_change(
        lambda: venues.retire_venue(current_user, venue),
        f"\u201c{venue.name}\u201d is retired. No new meetings are placed there.",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:venue_id>/restore")
def restore(venue_id: int) -> ResponseReturnValue:
    venue = db.get_or_404(Venue, venue_id)
    confirmed_change(
        lambda: venues.restore_venue(current_user, venue),
        f"\u201c{venue.name}\u201d is back in use.",
    )
    return redirect(url_for(".index"))


@bp.route("/import", methods=["GET", "POST"])
def import_csv() -> ResponseReturnValue:
    form = VenueImportForm()
    problems: list[venues.RowProblem] = []
    if form.validate_on_submit():
        try:
            added = venues.import_venues(current_user, form.file.data.read())
        except ImportRefused as error:
            db.session.rollback()
            form.file.errors.append(str(error))
            problems = error.problems
        else:
            db.session.commit()
            flash(f"{plural(len(added), 'venue')} imported.", "success")
            return redirect(url_for(".index"))
    return render_template(
        "organize/venue_import.html",
        form=form,
        problems=problems,
        header=",".join(CSV_HEADER),
    ), (422 if form.errors else 200)
