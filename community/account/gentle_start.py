"""The gentle start plan: seven small daily steps for a new member's first week."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from community.auth.accounts import external_url
from community.auth.tokens import InvalidToken, make_token, read_token
from community.extensions import db
from community.mail.outbox import queue_mail
from community.models import GentleStart, User, utcnow


@dataclass(frozen=True)
class Step:
    title: str
    text: str


STEPS: dict[int, Step] = {
    1: Step(
        "Message someone who supports you",
        "Send a short message to one person who has been kind to you. "
        "\u201cThinking of you\u201d is plenty.",
    ),
    2: Step(
        "Say hello to a neighbour",
        "A nod, a smile or a \u201cmorning!\u201d to someone nearby. Small hellos add up.",
    ),
    3: Step(
        "Notice what felt good",
        "Think of one moment this week with another person that felt warm. "
        "What made it feel that way?",
    ),
    4: Step(
        "Take a short walk somewhere with people",
        "A park, a market, a library. You don't need to talk to anyone; just be among others.",
    ),
    5: Step(
        "Join one group",
        "Check your Kindred profile is complete, so we can suggest a small group that fits you.",
    ),
    6: Step(
        "Help with something small",
        "Carry a bag, hold a door, share a tip. Helping others is a quiet way to belong.",
    ),
    7: Step(
        "Plan one thing for next week",
        "Pick one small, regular thing: a weekly walk, a Sunday call. Rituals keep "
        "connection going.",
    ),
}


class PlanFinished(Exception):
    """The plan has ended or was stopped."""


def plan_for(user: User) -> GentleStart | None:
    return db.session.get(GentleStart, user.id)


def join(user: User) -> GentleStart:
    """Opt in (or start again after stopping); the first step goes out with the next run."""
    plan = plan_for(user)
    if plan is None:
        plan = GentleStart(user_id=user.id, started_at=utcnow())
        db.session.add(plan)
    elif plan.stopped_at is not None:
        plan.stopped_at = None
    return plan


def stop(user: User) -> None:
    plan = plan_for(user)
    if plan is not None and plan.stopped_at is None:
        plan.stopped_at = utcnow()


def mark_done(user: User, day: int) -> None:
    plan = plan_for(user)
    if plan is None or not 1 <= day <= plan.days_sent:
        raise PlanFinished()
    plan.days_done = ",".join(str(d) for d in sorted(plan.done | {day}))


def action_token(user: User, action: str, day: int = 0) -> str:
    return make_token("gentle-start", {"uid": user.id, "action": action, "day": day})


def read_action(token: str) -> tuple[User, str, int]:
    payload = read_token("gentle-start", token, max_age=60 * 60 * 24 * 30)
    user = db.session.get(User, payload.get("uid"))
    if user is None:
        raise InvalidToken()
    return user, str(payload.get("action")), int(payload.get("day", 0))


def due_plans(now=None) -> list[GentleStart]:
    """Plans whose next day's email is due: one step a day from the day they joined."""
    now = now or utcnow()
    plans = db.session.execute(
        select(GentleStart).where(GentleStart.stopped_at.is_(None), GentleStart.days_sent < 7)
    ).scalars()
    return [plan for plan in plans if plan.started_at + timedelta(days=plan.days_sent) <= now]


def send_due_steps(progress: Callable[[int], None] | None = None, now=None) -> int:
    """Queue each due plan's next step; the caller commits. Returns how many were queued."""
    queued = 0
    for plan in due_plans(now):
        user = db.session.get_one(User, plan.user_id)
        day = plan.days_sent + 1
        step = STEPS[day]
        queue_mail(
            user,
            "gentle_start_step",
            f"Day {day} of 7: {step.title}",
            idempotency_key=f"gentle-start:{user.id}:{plan.started_at:%Y%m%d}:{day}",
            day=day,
            title=step.title,
            text=step.text,
            done_link=external_url(
                "account.gentle_start_action", token=action_token(user, "done", day)
            ),
            stop_link=external_url("account.gentle_start_action", token=action_token(user, "stop")),
            public_url=current_app.config["PUBLIC_URL"],
        )
        plan.days_sent = day
        queued += 1
        if progress:
            progress(1)
    return queued
