"""The .ics attached to invitations and reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from community.models import (
    utcnow,
)

UID_PLACEHOLDER = "match-UIDPLACEHOLDER@"


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
) -> str:
    """The .ics text with a placeholder uid; `weekly` makes the event repeat (a ritual)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Kindred//Invitations//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    domain = current_app.config.get("MAIL_MESSAGE_ID_DOMAIN", "kindred.local")
    # A short placeholder line: swapping in the match id never needs re-folding.
    event.add("uid", f"{UID_PLACEHOLDER}{domain}")
    start = meeting_at if meeting_at.tzinfo else meeting_at.replace(tzinfo=UTC)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", start.astimezone(UTC) + timedelta(minutes=minutes))
    event.add("dtstamp", utcnow())
    event.add("summary", summary)
    event["location"] = vText(location)
    event.add("description", f"Your Kindred {kind}. See you there.")
    if weekly:
        event.add("rrule", {"freq": "weekly"})
    event["organizer"] = vCalAddress(f"mailto:{current_app.config['MAIL_DEFAULT_SENDER'][1]}")
    calendar.add_component(event)
    return calendar.to_ical().decode()
