"""The optional three-question loneliness check (the short UCLA scale).

Members see only their own trend; organizers see anonymous averages, and only
for groups of at least ten members, so no one can be singled out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from community.extensions import db
from community.models import LonelinessCheck, User, utcnow

ANSWERS = {1: "Hardly ever", 2: "Some of the time", 3: "Often"}
QUESTIONS = {
    "companionship": "How often do you feel that you lack companionship?",
    "left_out": "How often do you feel left out?",
    "isolated": "How often do you feel isolated from others?",
}
RECHECK_AFTER = timedelta(weeks=8)
MIN_GROUP_FOR_AGGREGATES = 10


def record(user: User, *, companionship: int, left_out: int, isolated: int) -> LonelinessCheck:
    check = LonelinessCheck(
        user_id=user.id, companionship=companionship, left_out=left_out, isolated=isolated
    )
    db.session.add(check)
    return check


def history(user: User) -> list[LonelinessCheck]:
    return list(
        db.session.execute(
            select(LonelinessCheck)
            .where(LonelinessCheck.user_id == user.id)
            .order_by(LonelinessCheck.taken_at)
        ).scalars()
    )


def is_due(user: User, now=None) -> bool:
    """Offered at sign-up, then again once eight weeks have passed."""
    checks = history(user)
    return due_after(checks[-1].taken_at if checks else None, now)


def due_after(last_taken_at, now=None) -> bool:
    """Whether a check-in is due, given when the member last took one (None: never)."""
    if last_taken_at is None:
        return True
    now = now or utcnow()
    return now - last_taken_at >= RECHECK_AFTER


@dataclass(frozen=True)
class Trend:
    first: int
    latest: int
    message: str


def kind_word(checks: list[LonelinessCheck]) -> Trend | None:
    """A kind sentence about the member's own trend; never a judgement."""
    if not checks:
        return None
    first, latest = checks[0].score, checks[-1].score
    if len(checks) == 1:
        message = (
            "Thank you for answering. Whatever you feel right now, you're not alone in it, "
            "and small steps count."
        )
    elif latest < first:
        message = "You've been feeling less alone than when you started. That's lovely to see."
    elif latest == first:
        message = "About the same as before. Connection takes time; you're doing the right things."
    else:
        message = (
            "It's been a harder stretch lately. That's worth being gentle with yourself about. "
            "Would a one-on-one walk feel manageable?"
        )
    return Trend(first=first, latest=latest, message=message)


def community_average() -> dict[str, float] | None:
    """Latest score per member, averaged; None when fewer than ten members answered."""
    latest = (
        select(LonelinessCheck.user_id, func.max(LonelinessCheck.taken_at).label("taken_at"))
        .group_by(LonelinessCheck.user_id)
        .subquery()
    )
    rows = (
        db.session.execute(
            select(
                LonelinessCheck.companionship + LonelinessCheck.left_out + LonelinessCheck.isolated
            ).join(
                latest,
                (LonelinessCheck.user_id == latest.c.user_id)
                & (LonelinessCheck.taken_at == latest.c.taken_at),
            )
        )
        .scalars()
        .all()
    )
    if len(rows) < MIN_GROUP_FOR_AGGREGATES:
        return None
    return {"members": len(rows), "average_score": round(sum(rows) / len(rows), 2)}
