"""Organizers' pages for neighbourhoods: list, create, edit, merge, retire."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from community.catalogue import areas
from community.extensions import db
from community.models import Area
from community.organize.access import UNCHANGED, confirmed_change, organizer_blueprint
from community.organize.catalogue_pages import form_page, merge_into, plural, save_or_show
from community.organize.forms import AreaForm, ChooseTargetForm
from community.web.form_rules import options

bp = organizer_blueprint("organize_areas", __name__, "/organize/areas")

MAP_COLUMNS = 14
MAP_ROWS = 8


def map_grid(rows: list[areas.AreaRow]) -> dict:
    """A coarse grid over the community's areas; each cell is a button that picks its centre.

    It works without JavaScript or map tiles: an organizer tabs to a cell (each has the
    coordinates as its label) or clicks near an existing area's dot.
    """
    live = [row.area for row in rows if row.area.retired_at is None] or [r.area for r in rows]
    if not live:
        return {}
    lats = [a.latitude for a in live]
    lons = [a.longitude for a in live]
    pad_lat = max((max(lats) - min(lats)) * 0.25, 0.01)
    pad_lon = max((max(lons) - min(lons)) * 0.25, 0.015)
    north, south = max(lats) + pad_lat, min(lats) - pad_lat
    west, east = min(lons) - pad_lon, max(lons) + pad_lon
    cells = []
    for row in range(MAP_ROWS):
        for column in range(MAP_COLUMNS):
            lat = north - (row + 0.5) * (north - south) / MAP_ROWS
            lon = west + (column + 0.5) * (east - west) / MAP_COLUMNS
            cells.append({"row": row, "column": column, "lat": round(lat, 4), "lon": round(lon, 4)})
    dots = [
        {
            "name": a.name,
            "left": 100 * (a.longitude - west) / (east - west),
            "top": 100 * (north - a.latitude) / (north - south),
        }
        for a in live
    ]
    return {"cells": cells, "dots": dots, "columns": MAP_COLUMNS}


def merge_form(area: Area) -> ChooseTargetForm:
    form = ChooseTargetForm()
    form.target.choices = options(
        [(0, "Choose an area")] + [(a.id, a.name) for a in areas.areas_in_use() if a.id != area.id]
    )
    return form


def render_index(form: AreaForm):
    rows = areas.area_rows()
    return form_page("organize/areas.html", form, rows=rows, grid=map_grid(rows))


def place_from(form: AreaForm) -> dict:
    return {
        "name": form.name.data,
        "latitude": float(form.latitude.data),
        "longitude": float(form.longitude.data),
        "radius_km": float(form.radius_km.data),
    }


def picked_point(form: AreaForm) -> bool:
    """The map's buttons post 'pick=lat,lon': fill the fields and show the form again."""
    pick = request.form.get("pick", "")
    try:
        lat, lon = (float(part) for part in pick.split(","))
    except ValueError:
        return False
    for field, value in ((form.latitude, lat), (form.longitude, lon)):
        field.data = round(value, 5)
        field.raw_data = None  # render the picked value, not the empty box that was posted
        field.errors = []
    return True


@bp.route("/", methods=["GET", "POST"])
def index():
    form = AreaForm()
    if request.method == "POST" and picked_point(form):
        flash(
            f"Centre set to {form.latitude.data}, {form.longitude.data}. "
            "Check the name and radius, then add the area.",
            "info",
        )
        return render_index(form)
    return save_or_show(
        form,
        form.name,
        lambda: areas.create_area(current_user, **place_from(form)),
        lambda area: f"\u201c{area.name}\u201d is added. Members can choose it now.",
        lambda: render_index(form),
    )


@bp.route("/<int:area_id>", methods=["GET", "POST"])
def edit(area_id: int):
    area = db.get_or_404(Area, area_id)
    form = AreaForm(
        data={
            "name": area.name,
            "latitude": area.latitude,
            "longitude": area.longitude,
            "radius_km": area.default_radius_km,
        }
        if request.method == "GET"
        else None
    )
    return save_or_show(
        form,
        form.name,
        lambda: areas.update_area(current_user, area, **place_from(form)),
        lambda saved: f"\u201c{saved.name}\u201d is saved.",
        lambda: form_page("organize/area_edit.html", form, area=area, merge=merge_form(area)),
    )


@bp.post("/<int:area_id>/merge")
def merge(area_id: int):
    area = db.get_or_404(Area, area_id)
    return merge_into(
        area,
        merge_form(area),
        "area",
        areas.merge_areas,
        lambda target, moved: (
            f"\u201c{area.name}\u201d is merged into \u201c{target.name}\u201d; "
            f"{plural(moved)} moved."
        ),
    )


@bp.post("/<int:area_id>/retire")
def retire(area_id: int):
    area = db.get_or_404(Area, area_id)
    asked = confirmed_change(
        lambda: areas.retire_area(current_user, area),
        lambda asked: (
            f"\u201c{area.name}\u201d is retired. {plural(asked)} "
            "will be asked to choose another neighbourhood."
        ),
    )
    if asked is UNCHANGED:
        return redirect(url_for(".edit", area_id=area.id))
    return redirect(url_for(".index"))


@bp.post("/<int:area_id>/restore")
def restore(area_id: int):
    area = db.get_or_404(Area, area_id)
    confirmed_change(
        lambda: areas.restore_area(current_user, area), f"\u201c{area.name}\u201d is back in use."
    )
    return redirect(url_for(".index"))
