"""Places left in a match, counted under a lock so concurrent accepts never overfill it."""

from __future__ import annotations

from sqlalchemy import func, select

from community.extensions import db
from community.models import (
    Match,
    MatchMember,
    Opportunity,
)


def lock_for_capacity(match: Match) -> int | None:
    """Lock what an accept competes for; returns the capacity, or None when unlimited.

    Placements share their opportunity's places across the round's matches, so
    the opportunity row is the lock; SQLAlchemy omits FOR UPDATE on SQLite,
    where the write lock of the conditional UPDATE does the same job.
    """
    if match.opportunity_id is None:
        return None
    capacity = db.session.execute(
        select(Opportunity.capacity).where(Opportunity.id == match.opportunity_id).with_for_update()
    ).scalar_one()
    return capacity


def accepted_places(match: Match):
    """How many accepted seats hold the match's places (a scalar subquery)."""
    return (
        select(func.count(MatchMember.id))
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.round_id == match.round_id,
            Match.opportunity_id == match.opportunity_id,
            Match.status == "active",
            MatchMember.status == "accepted",
        )
        .scalar_subquery()
    )
