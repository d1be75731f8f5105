"""The home page's "Small steps": the gentle start plan and the check-in, in one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, select

from community.account.loneliness import due_after
from community.extensions import db
from community.models import GentleStart, LonelinessCheck, User

# Built once: the home page asks this on every visit.
SMALL_STEPS = select(
    select(func.max(LonelinessCheck.taken_at))
    .where(LonelinessCheck.user_id == bindparam("user_id"))
    .scalar_subquery(),
    exists().where(GentleStart.user_id == bindparam("user_id")),
)


@dataclass(frozen=True)
class SmallSteps:
    offer_gentle_start: bool
    check_in_due: bool

    def __bool__(self) -> bool:
        return self.offer_gentle_start or self.check_in_due


def small_steps(user: User, now=None) -> SmallSteps:
    """Offer the gentle start to a member who never joined it, and the check-in when due."""
    last_check, joined_plan = db.session.execute(SMALL_STEPS, {"user_id": user.id}).one()
    return SmallSteps(offer_gentle_start=not joined_plan, check_in_due=due_after(last_check, now))
