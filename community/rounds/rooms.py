"""Video rooms for online meetings: unguessable links from a configured base, no network call."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select

from community.extensions import db
from community.models import Match, MatchRound
from community.rounds.meeting_place import Place, apply

ROOM_SETTING = "KINDRED_VIDEO_ROOM_URL"


# --- video rooms ------------------------------------------------------------------------


def room_base() -> str:
    """The configured room address, or "" when none (or an unusable one) is set."""
    base = str(current_app.config.get("VIDEO_ROOM_URL") or "").strip()
    if not base.startswith(("http://", "https://")):
        return ""
    return base.rstrip("/")


def no_room_reason() -> str:
    raw = str(current_app.config.get("VIDEO_ROOM_URL") or "").strip()
    if raw:
        return f"The video room address ({ROOM_SETTING}) must start with http:// or https://."
    return f"No video room address is set up ({ROOM_SETTING}), so online meetings have no room."


def new_room_url(base: str) -> str:
    """An unguessable room under ``base``: 128 random bits, no call to the video service."""
    return f"{base}/kindred-{secrets.token_urlsafe(16)}"


def room_place() -> Place:
    base = room_base()
    return Place(room_url=new_room_url(base)) if base else Place(venue_problem=no_room_reason())


def give_missing_rooms(round_: MatchRound) -> int:
    """Rooms for online meetings computed before a room address was set up."""
    base = room_base()
    if not base:
        return 0
    missing = db.session.execute(
        select(Match).where(
            Match.round_id == round_.id,
            Match.format == "online",
            Match.kind != "placement",
            Match.room_url == "",
        )
    ).scalars()
    count = 0
    for match in missing:
        apply(match, room_place())
        count += 1
    return count
