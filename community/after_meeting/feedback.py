"""Feedback after a meeting: how it felt, and who the member would like to meet again.

Answers shape the next round: "draining" or "not again" keeps a pair apart for good;
"again" from both brings them together (see rounds.avoid_pairs / prefer_pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from community.auth.accounts import external_url
from community.auth.tokens import InvalidToken, make_token, read_token
from community.extensions import db
from community.mail.outbox import queue_mail
from community.models import Feedback, FeedbackPerson, Match, MatchMember, User, utcnow
from community.rounds.trained_model import mark_stale

FEELINGS = {
    "nurturing": "Nurturing: I came away lighter",
    "neutral": "Fine: neither here nor there",
    "draining": "Draining: it took more than it gave",
}
TOKEN_AGE = 60 * 60 * 24 * 30


class FeedbackRefused(Exception):
    """Feedback for a meeting the member was not in, or a second feedback."""


def feedback_token(seat: MatchMember) -> str:
    return make_token("feedback", {"seat": seat.id, "uid": seat.user_id})


def seat_for_token(token: str) -> MatchMember:
    payload = read_token("feedback", token, TOKEN_AGE)
    seat = db.session.get(MatchMember, payload.get("seat"))
    if seat is None or seat.user_id is None or seat.user_id != payload.get("uid"):
        raise InvalidToken()
    return seat


def accepted_seat(user: User, match_id: int) -> MatchMember | None:
    """The member's accepted seat in a match, if they went."""
    return db.session.execute(
        select(MatchMember).where(
            MatchMember.match_id == match_id,
            MatchMember.user_id == user.id,
            MatchMember.status == "accepted",
        )
    ).scalar_one_or_none()


def seat_of(user: User, match_id: int) -> MatchMember:
    """The member's accepted seat in a match; refused if they were not in it."""
    seat = accepted_seat(user, match_id)
    if seat is None:
        raise FeedbackRefused("You weren't in that meeting.")
    return seat


def existing_feedback(seat: MatchMember) -> Feedback | None:
    return db.session.execute(
        select(Feedback).where(Feedback.match_id == seat.match_id, Feedback.user_id == seat.user_id)
    ).scalar_one_or_none()


def companions(seat: MatchMember) -> list[User]:
    """The others who accepted the same match: the people feedback can be about."""
    return [
        s.user
        for s in seat.match.members
        if s.id != seat.id and s.user is not None and s.status == "accepted"
    ]


def meeting_has_happened(seat: MatchMember, now: datetime | None = None) -> bool:
    meeting_at = seat.match.meeting_at
    return meeting_at is not None and meeting_at <= (now or utcnow())


def record_feedback(
    seat: MatchMember,
    *,
    met: bool | None,
    feeling: str | None,
    again: Mapping[int, bool] | None = None,
    note: str = "",
    wants_new_people: bool = False,
    now: datetime | None = None,
) -> Feedback:
    """Store one member's feedback on one meeting; a second one is refused."""
    if seat.status != "accepted" or seat.user_id is None:
        raise FeedbackRefused("You weren't in that meeting.")
    if not meeting_has_happened(seat, now):
        raise FeedbackRefused("This meeting hasn't happened yet. Tell us how it went afterwards.")
    if existing_feedback(seat) is not None:
        raise FeedbackRefused("You've already told us about this meeting. Thank you!")
    if feeling is not None and feeling not in FEELINGS:
        raise FeedbackRefused("Please choose one of the three feelings.")
    allowed = {user.id for user in companions(seat)}
    again = dict(again or {})
    if not set(again) <= allowed:
        raise FeedbackRefused("You can only answer about people who were in this meeting.")
    item = Feedback(
        match_id=seat.match_id,
        user_id=seat.user_id,
        met=met,
        feeling=feeling if met is not False else None,
        note=note or "",
        wants_new_people=wants_new_people,
    )
    item.people = [FeedbackPerson(about_user_id=uid, again=value) for uid, value in again.items()]
    db.session.add(item)
    # The next training learns from it: `flask train-matching`, the daily feedback
    # requests, or the next round, whichever comes first.
    mark_stale("new feedback")
    return item


def due_requests(now: datetime | None = None) -> list[MatchMember]:
    """Accepted seats whose meeting was between one and three days ago."""
    now = now or utcnow()
    seats = db.session.execute(
        select(MatchMember)
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            MatchMember.status == "accepted",
            MatchMember.user_id.is_not(None),
            Match.status == "active",
            Match.meeting_at <= now - timedelta(hours=12),
            Match.meeting_at >= now - timedelta(days=3),
        )
    ).scalars()
    return [seat for seat in seats if existing_feedback(seat) is None]


def queue_feedback_requests(
    now: datetime | None = None, progress: Callable[[int], None] | None = None
) -> int:
    """The day after a meeting: ask how it felt. One email per seat, ever."""
    queued = 0
    for seat in due_requests(now):
        if seat.user is None:  # due_requests keeps only seats with a member; for mypy
            continue
        token = feedback_token(seat)
        links = {
            feeling: external_url("after_meeting.feedback", token=token, feeling=feeling)
            for feeling in FEELINGS
        }
        message = queue_mail(
            seat.user,
            "feedback_request",
            "How did it feel?",
            idempotency_key=f"feedback:{seat.match_id}:{seat.user_id}",
            links=links,
            page=external_url("after_meeting.feedback", token=token),
            kind=seat.match.kind,
        )
        if message is not None:
            queued += 1
        if progress:
            progress(1)
    return queued
