"""A meeting's place as the match stores it: a venue, the problem in words, or a room."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect

import matching
from community.extensions import db
from community.models import Match


@dataclass(frozen=True)
class Place:
    """What one meeting gets: a venue, a room, or the reason it has neither."""

    venue_id: int | None = None
    venue_problem: str = ""
    room_url: str = ""


def needs_venue(match: Match | matching.Match) -> bool:
    """In-person groups, pairs and trios; a placement meets at its opportunity."""
    return match.format == "in_person" and match.kind != "placement"


def apply(match: Match, place: Place) -> None:
    match.venue_id = place.venue_id
    match.venue_problem = place.venue_problem
    match.room_url = place.room_url
    if inspect(match).persistent:
        db.session.expire(match, ["venue"])  # the loaded venue would outlive its id


def needs_room(match: Match | matching.Match) -> bool:
    return match.format == "online" and match.kind != "placement"
