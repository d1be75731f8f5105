"""Approving a round: matches become invitations in the outbox, in one transaction."""

from __future__ import annotations

from sqlalchemy import select, update

from community.extensions import db, rowcount
from community.invitations.sending import queue_round_invitations
from community.models import (
    Match,
    MatchMember,
    MatchRound,
    User,
    utcnow,
)
from community.rounds.errors import AlreadyApproved, RoundNotReady
from community.rounds.places import require_places

# --- approving -------------------------------------------------------------------------


def approve_round(round_: MatchRound, approver: User) -> int:
    """Make the proposal real and queue one invitation per member per match.

    Approval is refused (RoundNotReady, with the reason) while an in-person
    meeting has no venue or an online one no room. It is a conditional update
    (status ready -> approved), so of two organizers clicking at once exactly one
    wins; the loser gets AlreadyApproved and nothing else is written. Returns how
    many invitations were queued.
    """

    if round_.status == "ready":
        # Nothing is sent with an empty place: every meeting needs a venue or a room.
        try:
            require_places(round_)
        except RoundNotReady:
            db.session.rollback()
            raise
    now = utcnow()
    won = db.session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_.id, MatchRound.status == "ready")
        .values(status="approved", approved_at=now, approved_by_id=approver.id)
        .execution_options(synchronize_session=False)
    )
    if rowcount(won) != 1:
        db.session.rollback()
        current = db.session.get(MatchRound, round_.id)
        if current is not None and current.status == "approved":
            raise AlreadyApproved("This round was already approved; invitations are on their way.")
        raise RoundNotReady("This round isn't ready to approve.")
    round_ids = select(Match.id).where(Match.round_id == round_.id)
    db.session.execute(
        update(Match)
        .where(Match.round_id == round_.id, Match.status == "proposed")
        .values(status="active")
        .execution_options(synchronize_session=False)
    )
    unsubscribed = select(User.id).where(User.unsubscribed_at.is_not(None))
    # Anyone who unsubscribed since the preview silently frees their place.
    db.session.execute(
        update(MatchMember)
        .where(
            MatchMember.match_id.in_(round_ids),
            MatchMember.status == "proposed",
            MatchMember.user_id.in_(unsubscribed),
        )
        .values(status="released", responded_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(MatchMember)
        .where(MatchMember.match_id.in_(round_ids), MatchMember.status == "proposed")
        .values(status="invited", invited_at=now)
        .execution_options(synchronize_session=False)
    )
    queued = queue_round_invitations(round_.id)
    db.session.expire_all()
    return queued
