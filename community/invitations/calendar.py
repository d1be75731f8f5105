"""The .ics attached to invitations, reminders, changes and cancellations.

An invitation's event is an iTIP request (METHOD:REQUEST) with a stable UID per
match, so a later change (same UID, higher SEQUENCE) updates the event already in
the member's calendar, and a cancellation (METHOD:CANCEL) removes it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from community.models import (
    utcnow,
)

UID_PLACEHOLDER = "match-UIDPLACEHOLDER@"
FOLD_AT = 75  # octets per content line (RFC 5545 3.1)


def calendar_file(
    match_id: int, kind: str, meeting_at: datetime, summary: str, location: str, minutes: int
) -> str:
    """An .ics event so the meeting lands in the member's calendar (same for everyone)."""
    template = calendar_template(kind, meeting_at, summary, location, minutes)
    return template.replace(UID_PLACEHOLDER, f"match-{match_id}@")


def calendar_template(
    kind: str,
    meeting_at: datetime,
    summary: str,
    location: str,
    minutes: int,
    *,
    weekly: bool = False,
    geo: tuple[float, float] | None = None,
    url: str = "",
    sequence: int = 0,
    method: str = "PUBLISH",
) -> str:
    """The .ics text with a placeholder uid; `weekly` makes the event repeat (a ritual).

    ``method`` is PUBLISH (a plain event), REQUEST (an invitation or its update) or
    CANCEL (the meeting is off: STATUS:CANCELLED).
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Kindred//Invitations//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN", "kindred.local")
    # A short placeholder line: swapping in the match id never needs re-folding.
    event.add("uid", f"{UID_PLACEHOLDER}{domain}")
    start = meeting_at if meeting_at.tzinfo else meeting_at.replace(tzinfo=UTC)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", start.astimezone(UTC) + timedelta(minutes=minutes))
    event.add("dtstamp", utcnow())
    event.add("sequence", sequence)
    event.add("summary", summary)
    event["location"] = vText(location)
    if geo is not None:
        event.add("geo", geo)
    if url:
        event.add("url", url)
    if method == "CANCEL":
        event.add("status", "CANCELLED")
        event.add("description", f"Your Kindred {kind} is cancelled. Sorry for the change.")
    else:
        event.add("status", "CONFIRMED")
        event.add("description", f"Your Kindred {kind}. See you there.")
    if weekly:
        event.add("rrule", {"freq": "weekly"})
    event["organizer"] = vCalAddress(f"mailto:{current_app.config['MAIL_DEFAULT_SENDER'][1]}")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def fold(line: str) -> str:
    """One content line folded at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = FOLD_AT if not out else FOLD_AT - 1
        if len((current + char).encode()) > limit:
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return "\r\n ".join(out)


def for_attendee(ics: str, email: str) -> str:
    """The shared event with this recipient as its ATTENDEE, as an iTIP request needs.

    RSVP=FALSE: members answer through the mail's own links, not the calendar.
    """
    line = fold(f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{email}")
    return ics.replace("END:VEVENT\r\n", f"{line}\r\nEND:VEVENT\r\n", 1)
