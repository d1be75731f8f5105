"""Day-before reminders and the two-days-no-answer nudge, each sent once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from community.extensions import db
from community.invitations.calendar import for_attendee
from community.invitations.links import LinkMaker
from community.invitations.wording import match_facts, place_context, place_words
from community.mail.outbox import queue_mail
from community.models import (
    Match,
    MatchMember,
    MatchRound,
    utcnow,
)
from community.rounds.schedule import KIND_LABELS, match_meeting_at, when_words

# --- reminders ---------------------------------------------------------------------------


def send_reminders(
    now: datetime | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Queue the day-before reminders and the two-days-no-answer nudges.

    Idempotent: each (kind, match, recipient) has one key, so running this every
    hour queues each reminder once.
    """
    now = now or utcnow()
    day_before = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.status == "active",
            MatchMember.status == "accepted",
            Match.meeting_at > now,
            Match.meeting_at <= now + timedelta(hours=36),
        )
    ).scalars()
    nudges = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.status == "active",
            MatchMember.status == "invited",
            MatchMember.invited_at <= now - timedelta(days=2),
            Match.meeting_at > now,
        )
    ).scalars()
    counts = {"day_before": 0, "no_answer": 0}
    links = LinkMaker()
    for seat in list(day_before):
        key = f"reminder:{seat.match_id}:{seat.user_id}"
        if seat.match.calendar_sequence:
            # The place or time changed since: the reminder says where it is now.
            key += f":s{seat.match.calendar_sequence}"
        if queue_reminder(seat, "day_before", key, links):
            counts["day_before"] += 1
        if progress:
            progress(1)
    for seat in list(nudges):
        if queue_reminder(seat, "no_answer", f"nudge:{seat.match_id}:{seat.user_id}", links):
            counts["no_answer"] += 1
            seat.reminded_at = now
        if progress:
            progress(1)
    return counts


def resend_reminders(round_: MatchRound) -> int:
    """An organizer's "remind those who haven't answered": at most once a day each."""
    seats = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.round_id == round_.id,
            Match.status == "active",
            MatchMember.status == "invited",
        )
    ).scalars()
    sent = 0
    today = utcnow().date().isoformat()
    links = LinkMaker()
    for seat in list(seats):
        key = f"nudge-manual:{seat.match_id}:{seat.user_id}:{today}"
        if queue_reminder(seat, "no_answer", key, links):
            seat.reminded_at = utcnow()
            sent += 1
    return sent


def queue_reminder(seat: MatchMember, variant: str, key: str, links: LinkMaker) -> bool:
    """One reminder through the ordinary outbox call; False if unsubscribed or already queued."""
    user = seat.user
    if user is None or user.unsubscribed_at is not None:
        return False
    match = seat.match
    facts = match_facts([match], match.round.kind)[match.id]
    unsubscribe, headers = links.unsubscribe(user.id)
    subject = (
        "See you tomorrow: your Kindred meeting"
        if variant == "day_before"
        else "Your Kindred invitation is waiting for an answer"
    )
    going = [
        s.user.display_name
        for s in match.members
        if s.id != seat.id and s.status == "accepted" and s.user
    ]
    message = queue_mail(
        user,
        "reminder",
        subject,
        key,
        headers=headers,
        attachments=[
            {
                "filename": "kindred-meeting.ics",
                "content_type": "text/calendar",
                "data": for_attendee(facts.ics, user.email),
            }
        ],
        variant=variant,
        kind_label=KIND_LABELS[match.round.kind],
        when=when_words(match_meeting_at(match)),
        where=place_words(facts),
        **place_context(facts),
        going=going,
        unsubscribe_link=unsubscribe,
        connections_link=links.connections,
        **links.responses(seat.id, seat.token_nonce),
    )
    return message is not None
