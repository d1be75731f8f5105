"""Setting up a community: its default vocabulary and neighbourhoods."""

from __future__ import annotations

from sqlalchemy import select

from community.catalogue.defaults import DEFAULT_AREAS, DEFAULT_INTERESTS
from community.extensions import db
from community.models import Area, Interest


def seed_vocabulary() -> int:
    """Add the default interests that are missing; returns how many were added."""
    known = set(db.session.execute(select(Interest.name)).scalars())
    added = 0
    for category, names in DEFAULT_INTERESTS.items():
        for name in names:
            if name not in known:
                db.session.add(Interest(name=name, category=category))
                added += 1
    return added


def seed_areas() -> int:
    """Add the default neighbourhoods if the community has none yet."""
    if db.session.execute(select(Area.id).limit(1)).first():
        return 0
    for name, latitude, longitude, radius in DEFAULT_AREAS:
        db.session.add(
            Area(name=name, latitude=latitude, longitude=longitude, default_radius_km=radius)
        )
    return len(DEFAULT_AREAS)
