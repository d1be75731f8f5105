"""Accepting, declining and releasing a seat.

Capacity holds under concurrency because an accept is one conditional UPDATE, taken after
locking the match (or, for a placement, the opportunity) row: on PostgreSQL
``SELECT ... FOR UPDATE`` queues concurrent accepts; SQLite serialises writers on its own.
"""

from __future__ import annotations

from sqlalchemy import update

from community.extensions import db, rowcount
from community.invitations.capacity import accepted_places, lock_for_capacity
from community.invitations.errors import AlreadyResponded, InvitationError, MatchFull, NotAccepted
from community.invitations.waitlist import invite_from_waitlist
from community.models import (
    MatchMember,
    utcnow,
)
from community.rounds.schedule import new_nonce

# --- responding ------------------------------------------------------------------------


def accept(seat: MatchMember) -> str:
    """Accept the invitation; returns the new nonce (for the release link).

    Raises MatchFull when every place is already taken, AlreadyResponded when
    this seat was answered before (a second tab, a double click).
    """
    match = seat.match
    capacity = lock_for_capacity(match)
    nonce = new_nonce()
    statement = update(MatchMember).where(
        MatchMember.id == seat.id, MatchMember.status == "invited"
    )
    if capacity is not None:
        statement = statement.where(accepted_places(match) < capacity)
    result = db.session.execute(
        statement.values(
            status="accepted", responded_at=utcnow(), token_nonce=nonce
        ).execution_options(synchronize_session=False)
    )
    if rowcount(result) == 1:
        db.session.expire(seat)
        return nonce
    db.session.refresh(seat)
    if seat.status != "invited":
        raise AlreadyResponded("You have already answered this invitation.")
    raise MatchFull("Every place has been taken.")


def decline(seat: MatchMember) -> MatchMember | None:
    """Decline quietly; for a placement the next suitable volunteer is invited."""
    return give_up_seat(
        seat, "invited", "declined", AlreadyResponded("You have already answered this invitation.")
    )


def release(seat: MatchMember) -> MatchMember | None:
    """Give an accepted place back; for a placement the waitlist gets it."""
    return give_up_seat(
        seat, "accepted", "released", NotAccepted("Only a place you have accepted can be released.")
    )


def give_up_seat(
    seat: MatchMember, current: str, new: str, refusal: InvitationError
) -> MatchMember | None:
    """Move a seat from `current` to `new` in one conditional update, then offer the place."""
    result = db.session.execute(
        update(MatchMember)
        .where(MatchMember.id == seat.id, MatchMember.status == current)
        .values(status=new, responded_at=utcnow(), token_nonce=new_nonce())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(seat)
    if rowcount(result) != 1:
        raise refusal
    return invite_from_waitlist(seat.match)
