"""When a round's meetings happen, and how a time and a kind are put into words."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import current_app

if TYPE_CHECKING:
    from community.models import Match

KIND_LABELS = {
    "groups": "Small groups",
    "walks": "Walking partners",
    "volunteering": "Volunteering",
}


# Morning, afternoon and evening meetings start at these local hours.
DAY_PART_HOURS = (10, 14, 19)


def new_nonce() -> str:
    """Part of every response link; a new one makes the old link useless."""
    return secrets.token_hex(8)


# --- time ------------------------------------------------------------------------------


def match_meeting_at(match: Match) -> datetime:
    """When a match meets: every proposed match is given a time (the column allows none)."""
    if match.meeting_at is None:
        raise ValueError(f"match {match.id} has no meeting time")
    return match.meeting_at


def community_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("COMMUNITY_TIMEZONE", "Europe/London"))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def next_monday(today: date | None = None) -> date:
    today = today or date.today()
    return monday_of(today) + timedelta(days=7)


def meeting_time(week_start: date, slot: int, tz: ZoneInfo | None = None) -> datetime:
    """The concrete start of a weekly slot in the round's week, stored in UTC."""
    weekday, part = divmod(slot, 3)
    local = datetime.combine(
        week_start + timedelta(days=weekday), time(DAY_PART_HOURS[part]), tzinfo=tz or UTC
    )
    return local.astimezone(UTC)


def local_time(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(community_timezone())


def when_words(moment: datetime) -> str:
    """ "Tuesday 24 November at 7pm", in the community's own time zone."""
    local = local_time(moment)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local:%A} {local.day} {local:%B} at {hour}{minutes}{suffix}"
