"""Keeping quiet people safe: block someone (silently) or report them to the organizers."""

from __future__ import annotations

from sqlalchemy import select

from community.extensions import db
from community.models import Block, Match, MatchMember, Report, User

MIN_REASON, MAX_REASON = 10, 2000


class SafetyRefused(Exception):
    """A block or report that cannot be made (yourself, someone you never met...)."""


def shared_match(user: User, other_id: int, match_id: int) -> Match:
    """The match both were placed in; blocking and reporting need that link."""
    seats = db.session.execute(
        select(MatchMember.user_id).where(MatchMember.match_id == match_id)
    ).scalars()
    people = set(seats)
    if user.id not in people:
        raise SafetyRefused("You weren't in that meeting.")
    if other_id not in people:
        raise SafetyRefused("That person wasn't in this meeting.")
    return db.session.get_one(Match, match_id)


def block(user: User, other_id: int, match_id: int) -> Block:
    """Never match these two again. The other member is not told."""
    if other_id == user.id:
        raise SafetyRefused("You can't block yourself.")
    shared_match(user, other_id, match_id)
    existing = db.session.get(Block, (user.id, other_id))
    if existing:
        return existing
    entry = Block(blocker_id=user.id, blocked_id=other_id)
    db.session.add(entry)
    return entry


def report(user: User, match_id: int, reason: str, other_id: int | None = None) -> Report:
    """Tell the organizers about a person or a meeting; they never learn who reported."""
    reason = (reason or "").strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        raise SafetyRefused(
            f"Please tell us what happened in {MIN_REASON} to {MAX_REASON} characters."
        )
    if other_id == user.id:
        raise SafetyRefused("You can't report yourself.")
    if other_id is not None:
        shared_match(user, other_id, match_id)
    else:
        seat = db.session.execute(
            select(MatchMember.id).where(
                MatchMember.match_id == match_id, MatchMember.user_id == user.id
            )
        ).first()
        if seat is None:
            raise SafetyRefused("You weren't in that meeting.")
    entry = Report(reporter_id=user.id, reported_user_id=other_id, match_id=match_id, reason=reason)
    db.session.add(entry)
    return entry


def blocked_ids(user: User) -> set[int]:
    return set(
        db.session.execute(select(Block.blocked_id).where(Block.blocker_id == user.id)).scalars()
    )
