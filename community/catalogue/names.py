"""Catalogue names are unique whatever their case, retired entries included."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import func, select

from community.extensions import db
from community.models import Area, Interest

Named = TypeVar("Named", Area, Interest)


def other_named(model: type[Named], name: str, keeping: Named | None = None) -> Named | None:
    """Another entry already called ``name`` (any case), not counting ``keeping`` itself."""
    query = select(model).where(func.lower(model.name) == name.lower())
    if keeping is not None:
        query = query.where(model.id != keeping.id)
    return db.session.execute(query).scalars().first()
