"""Changing or cancelling a meeting after its invitations went out.

Every member still invited or going gets a mail saying what changed, with an
updated .ics (METHOD:REQUEST, the same UID, a higher SEQUENCE) so their calendar
moves the event rather than adding a second one; a cancellation sends
METHOD:CANCEL so the event disappears. The mails are rows in the outbox, written
in the caller's transaction with the audit entry, keyed by the calendar sequence
so a retried request never mails twice and a second change mails again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community.admin.audit import record, snapshot
from community.auth.accounts import external_url
from community.invitations.calendar import for_attendee
from community.invitations.links import LinkMaker, _LinkContext
from community.invitations.wording import match_facts, place_context, place_words
from community.mail.outbox import queue_mail
from community.models import Match, MatchMember, User, Venue, utcnow
from community.rounds.schedule import KIND_LABELS, when_words

FIELDS = ("status", "venue_id", "meeting_at", "room_url", "calendar_sequence")
TOLD = ("invited", "accepted")


class MeetingChangeRefused(Exception):
    """A change or cancellation that cannot be made; the message is for the organizer."""


def changeable(match: Match) -> None:
    if match.round.status != "approved" or match.status == "proposed":
        raise MeetingChangeRefused("Only meetings of an approved round can be changed.")
    if match.status == "cancelled":
        raise MeetingChangeRefused("This meeting is already cancelled.")


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def change_meeting(
    match: Match,
    venue: Venue | None = None,
    meeting_at: datetime | None = None,
    *,
    actor: User,
    room_url: str | None = None,
) -> int:
    """Move a meeting to another venue, time or room; returns how many members are told."""
    changeable(match)
    changes: list[str] = []
    before = snapshot(match, FIELDS)
    if venue is not None and venue.id != match.venue_id:
        if venue.retired_at is not None:
            raise MeetingChangeRefused(f"{venue.name} is no longer in use.")
        if match.format == "online":
            raise MeetingChangeRefused("This meeting is online: give it a room link instead.")
        match.venue_id = venue.id
        match.venue = venue
        match.venue_problem = ""
        changes.append("place")
    if meeting_at is not None and (
        match.meeting_at is None or aware(meeting_at) != aware(match.meeting_at)
    ):
        if aware(meeting_at) <= utcnow():
            raise MeetingChangeRefused("Please choose a time in the future.")
        match.meeting_at = aware(meeting_at)
        changes.append("time")
    if room_url is not None and room_url.strip() != (match.room_url or ""):
        room_url = room_url.strip()
        if match.format != "online":
            raise MeetingChangeRefused("Only online meetings have a room link.")
        if not room_url.startswith("https://") or len(room_url) > 300:
            raise MeetingChangeRefused(
                "Please give the room's https:// link (300 characters at most)."
            )
        match.room_url = room_url
        changes.append("room")
    if not changes:
        raise MeetingChangeRefused("Nothing changed: choose another place or time.")
    match.calendar_sequence = (match.calendar_sequence or 0) + 1
    told = tell_members(match, "meeting_changed", changes)
    record(actor, "match.change", match, before, {**snapshot(match, FIELDS), "told": told})
    return told


def cancel_meeting(match: Match, *, actor: User) -> int:
    """Call a meeting off and take it out of every member's calendar."""
    changeable(match)
    before = snapshot(match, FIELDS)
    match.status = "cancelled"
    match.calendar_sequence = (match.calendar_sequence or 0) + 1
    told = tell_members(match, "meeting_cancelled", [])
    record(actor, "match.cancel", match, before, {**snapshot(match, FIELDS), "told": told})
    return told


SUBJECTS = {
    "meeting_changed": "Your Kindred meeting has changed",
    "meeting_cancelled": "Your Kindred meeting is cancelled",
}
CHANGE_WORDS = {"place": "the place", "time": "the time", "room": "the room link"}


def tell_members(match: Match, template: str, changes: list[str]) -> int:
    """Queue one mail with the updated .ics to each member still invited or going."""
    facts = match_facts([match], match.round.kind)[match.id]
    links = LinkMaker()
    with _LinkContext():
        meeting_link = external_url("connections.meeting", match_id=match.id)
    told = 0
    seat: MatchMember
    for seat in match.members:
        user = seat.user
        if user is None or seat.status not in TOLD:
            continue
        # An invited member who unsubscribed wants no more invitations; one who is going
        # still needs to know where to go.
        if seat.status == "invited" and user.unsubscribed_at is not None:
            continue
        unsubscribe, headers = links.unsubscribe(user.id)
        context: dict[str, Any] = {
            "kind_label": KIND_LABELS[match.round.kind],
            "when": when_words(facts.meeting_at),
            "where": place_words(facts),
            **place_context(facts),
            "changed": [CHANGE_WORDS[c] for c in changes],
            "going": seat.status == "accepted",
            "meeting_link": meeting_link if seat.status == "accepted" else "",
            "connections_link": links.connections,
            "unsubscribe_link": unsubscribe,
            **links.responses(seat.id, seat.token_nonce),
        }
        message = queue_mail(
            user,
            template,
            SUBJECTS[template],
            f"{template}:{match.id}:{match.calendar_sequence}:{user.id}",
            headers=headers,
            attachments=[
                {
                    "filename": "kindred-meeting.ics",
                    "content_type": "text/calendar",
                    "data": for_attendee(facts.ics, user.email),
                }
            ],
            **context,
        )
        told += message is not None
    return told
