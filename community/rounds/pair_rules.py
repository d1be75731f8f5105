"""Pairs to keep apart (blocks, draining meetings, not again) or bring together (mutual again)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from community.extensions import db
from community.models import (
    Block,
    Feedback,
    FeedbackPerson,
    MatchMember,
    Report,
)

# --- who should (not) meet -------------------------------------------------------------


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def avoid_pairs() -> set[tuple[int, int]]:
    """Pairs never to match: blocks, "draining" or "not again" feedback, reports."""
    pairs: set[tuple[int, int]] = set()
    for blocker, blocked in db.session.execute(select(Block.blocker_id, Block.blocked_id)):
        pairs.add(ordered(blocker, blocked))
    not_again = select(Feedback.user_id, FeedbackPerson.about_user_id).join(
        FeedbackPerson, FeedbackPerson.feedback_id == Feedback.id
    )
    for giver, about in db.session.execute(not_again.where(FeedbackPerson.again.is_(False))):
        if giver is not None and giver != about:
            pairs.add(ordered(giver, about))
    # "Draining" is said of a whole meeting: keep the member apart from everyone in it.
    other = aliased(MatchMember)
    draining = (
        select(Feedback.user_id, other.user_id)
        .join(other, other.match_id == Feedback.match_id)
        .where(Feedback.feeling == "draining", other.user_id != Feedback.user_id)
    )
    for giver, fellow in db.session.execute(draining):
        if giver is not None and fellow is not None:
            pairs.add(ordered(giver, fellow))
    reports = select(Report.reporter_id, Report.reported_user_id).where(
        Report.reporter_id.is_not(None), Report.reported_user_id.is_not(None)
    )
    for reporter, reported in db.session.execute(reports):
        if reporter is not None and reported is not None and reporter != reported:
            pairs.add(ordered(reporter, reported))
    return pairs


def prefer_pairs() -> set[tuple[int, int]]:
    """Pairs who both asked to meet again: walking partners walk together again,
    groups get a small nudge; neither ever bends a rule.

    Continuity yields to a member who asked to meet new people next time.
    """
    rows = db.session.execute(
        select(Feedback.user_id, FeedbackPerson.about_user_id)
        .join(FeedbackPerson, FeedbackPerson.feedback_id == Feedback.id)
        .where(FeedbackPerson.again.is_(True))
    )
    wants_again = {(a, b) for a, b in rows if a is not None and a != b}
    # Only a member's latest answer counts: "new people next time" from weeks ago
    # gives way to a later "I'd like to meet them again".
    latest = select(func.max(Feedback.id).label("id")).group_by(Feedback.user_id).subquery()
    new_people = set(
        db.session.execute(
            select(Feedback.user_id)
            .join(latest, latest.c.id == Feedback.id)
            .where(Feedback.wants_new_people.is_(True))
        ).scalars()
    )
    mutual = {
        ordered(a, b) for a, b in wants_again if (b, a) in wants_again and not {a, b} & new_people
    }
    return mutual - avoid_pairs()
