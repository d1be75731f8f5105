"""Weekly rituals: a group or pair that keeps meeting at the same time each week."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from community.after_meeting import feedback
from community.auth.accounts import external_url
from community.extensions import db
from community.invitations.calendar import UID_PLACEHOLDER, calendar_template
from community.mail.outbox import queue_mail
from community.models import Match, MatchMember, User, utcnow

KIND_WORDS = {"groups": "small group", "walks": "walk"}


class RitualRefused(Exception):
    """Only groups and walks that are still meeting can become weekly rituals."""


def accepted_seat(user: User, match_id: int) -> MatchMember:
    seat = feedback.accepted_seat(user, match_id)
    if seat is None:
        raise RitualRefused("Only people going to this meeting can change it.")
    return seat


def going(match: Match) -> list[MatchMember]:
    return [s for s in match.members if s.status == "accepted" and s.user is not None]


def next_occurrence(match: Match, now: datetime | None = None) -> datetime:
    """The next weekly meeting at or after now, same weekday and hour as the first."""
    now = now or utcnow()
    start = first_meeting(match)
    if start >= now:
        return start
    weeks = (now - start).days // 7 + 1
    return start + timedelta(weeks=weeks)


def first_meeting(match: Match) -> datetime:
    """When a ritual first met: groups and walks always have a time (start_ritual checks)."""
    if match.meeting_at is None:
        raise RitualRefused("This meeting has no time set, so it can't repeat.")
    return match.meeting_at


def weekly_calendar(match: Match, summary: str) -> str:
    """An .ics whose event repeats every week (RRULE FREQ=WEEKLY)."""
    word = KIND_WORDS.get(match.round.kind, "meeting")
    text = calendar_template(
        f"weekly {word}", first_meeting(match), summary, "As before", 90, weekly=True
    )
    return text.replace(UID_PLACEHOLDER, f"ritual-{match.id}@")


def start_ritual(user: User, match_id: int) -> Match:
    """Turn a group or walk into a weekly meeting, and tell everyone going."""
    seat = accepted_seat(user, match_id)
    match = seat.match
    if match.kind not in ("group", "pair", "trio") or match.round.kind not in KIND_WORDS:
        raise RitualRefused("Only small groups and walks can become a weekly ritual.")
    if match.status != "active":
        raise RitualRefused("This meeting isn't going ahead, so it can't repeat.")
    if match.recurring:
        return match
    match.recurring = True
    word = KIND_WORDS[match.round.kind]
    for other in going(match):
        queue_ritual_mail(other, "ritual_started", f"Your {word} is now weekly", key="started")
    return match


def leave_ritual(user: User, match_id: int) -> Match:
    """Step back from a weekly meeting; the others are told kindly, without blame."""
    seat = accepted_seat(user, match_id)
    match = seat.match
    if not match.recurring:
        raise RitualRefused("This meeting isn't a weekly ritual.")
    seat.status = "released"
    word = KIND_WORDS.get(match.round.kind, "meeting")
    remaining = going(match)
    if len(remaining) < 2:
        match.recurring = False
    for other in remaining:
        queue_ritual_mail(
            other,
            "ritual_left",
            f"A change to your weekly {word}",
            key=f"left-{user.id}",
            still_weekly=match.recurring,
        )
    return match


def queue_ritual_mail(seat: MatchMember, template: str, subject: str, key: str, **extra) -> None:
    match = seat.match
    if seat.user is None:  # the member has since deleted their account
        return
    word = KIND_WORDS.get(match.round.kind, "meeting")
    summary = f"Kindred weekly {word}"
    queue_mail(
        seat.user,
        template,
        subject,
        idempotency_key=f"ritual:{match.id}:{seat.user_id}:{key}",
        attachments=[
            {
                "filename": "kindred-weekly.ics",
                "content_type": "text/calendar",
                "data": weekly_calendar(match, summary),
            }
        ]
        if template != "ritual_left" or extra.get("still_weekly")
        else [],
        word=word,
        weekday=first_meeting(match).strftime("%A"),
        connections=external_url("connections.index"),
        **extra,
    )


def queue_weekly_reminders(
    now: datetime | None = None, progress: Callable[[int], None] | None = None
) -> int:
    """Two days ahead of each weekly meeting, remind everyone still going."""
    now = now or utcnow()
    matches = db.session.execute(
        select(Match).where(Match.recurring.is_(True), Match.status == "active")
    ).scalars()
    queued = 0
    for match in matches:
        upcoming = next_occurrence(match, now)
        if upcoming - now > timedelta(days=2):
            continue
        for seat in going(match):
            if seat.user is None:  # going() keeps only seats with a member; for mypy
                continue
            word = KIND_WORDS.get(match.round.kind, "meeting")
            message = queue_mail(
                seat.user,
                "ritual_reminder",
                f"Your weekly {word} is coming up",
                idempotency_key=f"ritual:{match.id}:{seat.user_id}:{upcoming:%Y%m%d}",
                attachments=[
                    {
                        "filename": "kindred-weekly.ics",
                        "content_type": "text/calendar",
                        "data": weekly_calendar(match, f"Kindred weekly {word}"),
                    }
                ],
                word=word,
                when=upcoming.isoformat(),
                weekday=upcoming.strftime("%A"),
                connections=external_url("connections.index"),
            )
            queued += message is not None
            if progress:
                progress(1)
    return queued
