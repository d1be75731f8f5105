"""Neighbourhoods: creating, renaming, merging and retiring them.

Members only ever pick an area, never give an address, so an area's centre point
and radius are what the matching library measures travel distance from.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Row, func, select, update

from community.admin.audit import record, snapshot
from community.catalogue.names import other_named
from community.extensions import db, rowcount
from community.models import Area, Opportunity, Profile, User, utcnow
from community.organize.errors import ChangeRefused

FIELDS = ("name", "latitude", "longitude", "default_radius_km", "retired_at")
MAX_RADIUS_KM = 50.0


@dataclass(frozen=True)
class AreaRow:
    area: Area
    members: int
    opportunities: int


def area_rows() -> list[AreaRow]:
    """Every area, in use first, with how many members and opportunities it holds."""
    members = dict(
        db.session.execute(
            select(Profile.area_id, func.count(Profile.user_id)).group_by(Profile.area_id)
        ).all()
    )
    opportunities = dict(
        db.session.execute(
            select(Opportunity.area_id, func.count(Opportunity.id))
            .where(Opportunity.closed_at.is_(None))
            .group_by(Opportunity.area_id)
        ).all()
    )
    areas = db.session.execute(
        select(Area).order_by(Area.retired_at.is_not(None), Area.name)
    ).scalars()
    return [AreaRow(a, members.get(a.id, 0), opportunities.get(a.id, 0)) for a in areas]


def check_place(name: str, latitude: float, longitude: float, radius_km: float) -> str:
    """The same rules the form applies, so a service call cannot slip past them."""
    name = (name or "").strip()
    if not name:
        raise ChangeRefused("Please give the area a name.")
    if not -90 <= latitude <= 90:
        raise ChangeRefused(f"Latitude must be between -90 and 90 (you gave {latitude:g}).")
    if not -180 <= longitude <= 180:
        raise ChangeRefused(f"Longitude must be between -180 and 180 (you gave {longitude:g}).")
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise ChangeRefused(
            f"The travel radius must be more than 0 and at most {MAX_RADIUS_KM:g} km."
        )
    return name


def check_name_free(name: str, area: Area | None = None) -> None:
    other = other_named(Area, name, area)
    if other is not None:
        state = " (retired)" if other.retired_at else ""
        raise ChangeRefused(f"There is already an area called \u201c{other.name}\u201d{state}.")


def create_area(
    actor: User, *, name: str, latitude: float, longitude: float, radius_km: float
) -> Area:
    name = check_place(name, latitude, longitude, radius_km)
    check_name_free(name)
    area = Area(name=name, latitude=latitude, longitude=longitude, default_radius_km=radius_km)
    db.session.add(area)
    db.session.flush()
    record(actor, "area.create", area, {}, snapshot(area, FIELDS))
    return area


def update_area(
    actor: User, area: Area, *, name: str, latitude: float, longitude: float, radius_km: float
) -> Area:
    name = check_place(name, latitude, longitude, radius_km)
    check_name_free(name, area)
    before = snapshot(area, FIELDS)
    area.name = name
    area.latitude = latitude
    area.longitude = longitude
    area.default_radius_km = radius_km
    record(actor, "area.update", area, before, snapshot(area, FIELDS))
    return area


def ask_to_choose_again(area: Area) -> int:
    """Members of a retired area lose it and see "Where you are" as a step to fill in again."""
    profiles = list(db.session.execute(select(Profile).where(Profile.area_id == area.id)).scalars())
    for profile in profiles:
        profile.area_id = None
        profile.steps_done = ",".join(s for s in profile.completed_steps if s != "place")
    return len(profiles)


def merge_areas(actor: User, source: Area, target: Area) -> int:
    """Move the source's members and opportunities into the target, then retire the source."""
    if source.id == target.id:
        raise ChangeRefused("An area can't be merged into itself. Please choose another area.")
    if target.retired_at is not None:
        raise ChangeRefused(f"\u201c{target.name}\u201d is retired; merge into an area in use.")
    if source.retired_at is not None:
        raise ChangeRefused(f"\u201c{source.name}\u201d is already retired.")
    before = snapshot(source, FIELDS)
    moved = rowcount(
        db.session.execute(
            update(Profile).where(Profile.area_id == source.id).values(area_id=target.id)
        )
    )
    db.session.execute(
        update(Opportunity).where(Opportunity.area_id == source.id).values(area_id=target.id)
    )
    source.retired_at = utcnow()
    record(
        actor,
        "area.merge",
        source,
        before,
        {**snapshot(source, FIELDS), "merged_into": target.id, "members_moved": moved},
    )
    return moved


def retire_area(actor: User, area: Area) -> int:
    """Retire an area; its members are asked to pick another. Returns how many were asked."""
    if area.retired_at is not None:
        raise ChangeRefused(f"\u201c{area.name}\u201d is already retired.")
    open_here = db.session.execute(
        select(func.count(Opportunity.id)).where(
            Opportunity.area_id == area.id, Opportunity.closed_at.is_(None)
        )
    ).scalar_one()
    if open_here:
        noun = "opportunity" if open_here == 1 else "opportunities"
        raise ChangeRefused(
            f"\u201c{area.name}\u201d still has {open_here} open volunteer {noun}. "
            "Move or close them first, or merge the area into another."
        )
    before = snapshot(area, FIELDS)
    asked = ask_to_choose_again(area)
    area.retired_at = utcnow()
    record(actor, "area.retire", area, before, {**snapshot(area, FIELDS), "members_asked": asked})
    return asked


def restore_area(actor: User, area: Area) -> None:
    if area.retired_at is None:
        raise ChangeRefused(f"\u201c{area.name}\u201d is in use already.")
    before = snapshot(area, FIELDS)
    area.retired_at = None
    record(actor, "area.restore", area, before, snapshot(area, FIELDS))


def areas_in_use() -> list[Area]:
    return list(
        db.session.execute(
            select(Area).where(Area.retired_at.is_(None)).order_by(Area.name)
        ).scalars()
    )


def all_areas() -> list[Area]:
    """Every area by name, retired ones included (members may still be in one)."""
    return list(db.session.execute(select(Area).order_by(Area.name)).scalars())


AREA_NAMES = select(Area.id, Area.name, Area.retired_at).order_by(Area.name)


def area_names() -> list[Row]:
    """Every area's id, name and retired_at by name, as plain rows (for lists and filters)."""
    return list(db.session.execute(AREA_NAMES))
