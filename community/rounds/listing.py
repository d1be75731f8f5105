"""What the round pages show: matches a page at a time, unplaced people, response totals."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

import matching
from community.extensions import db
from community.models import (
    Area,
    Interest,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    User,
    Venue,
)
from community.rounds.eligibility import interests_by_user
from community.rounds.meeting_place import needs_room, needs_venue
from community.rounds.venue_picks import VenueChoice, venue_choices

# --- reading a round for its pages ------------------------------------------------------


@dataclass
class SeatView:
    seat_id: int
    user_id: int | None
    name: str
    status: str


@dataclass
class MatchView:
    number: int
    match: Match
    seats: list[SeatView]
    shared: list[str]
    slot_label: str
    place: str
    counts: dict[str, int] = field(default_factory=dict)
    # Where it happens: a venue in person, a room online, or why it has neither yet.
    venue: Venue | None = None
    room_url: str = ""
    place_problem: str = ""
    # Venues the organizer may choose by hand (a ready round's in-person matches).
    choices: list[VenueChoice] = field(default_factory=list)


PAGE_SIZE = 60


def count_matches(round_: MatchRound) -> int:
    return db.session.execute(
        select(func.count(Match.id)).where(Match.round_id == round_.id)
    ).scalar_one()


def number_of(round_: MatchRound, match_id: int) -> int:
    """The match's number on the preview (1..n in id order)."""
    return db.session.execute(
        select(func.count(Match.id)).where(Match.round_id == round_.id, Match.id <= match_id)
    ).scalar_one()


def round_matches(round_: MatchRound, page: int = 1, per_page: int = PAGE_SIZE) -> list[MatchView]:
    """One page of matches with members' display names and shared interests, in few queries.

    Matches keep their numbers (1..n over the whole round) across pages, so
    "move to group 57" means the same group on every page.
    """
    offset = (max(page, 1) - 1) * per_page
    matches = list(
        db.session.execute(
            select(Match)
            .where(Match.round_id == round_.id)
            .order_by(Match.id)
            .offset(offset)
            .limit(per_page)
        ).scalars()
    )
    page_ids = [m.id for m in matches]
    seats = db.session.execute(
        select(
            MatchMember.id,
            MatchMember.match_id,
            MatchMember.user_id,
            MatchMember.status,
            User.display_name,
        )
        .outerjoin(User, User.id == MatchMember.user_id)
        .where(MatchMember.match_id.in_(page_ids))
        .order_by(MatchMember.id)
    ).all()
    interests = interests_by_user({seat.user_id for seat in seats if seat.user_id is not None})
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    # Keyed by int | None so a match without an area looks up its default like any other.
    areas: dict[int | None, str] = {
        a.id: a.name for a in db.session.execute(select(Area)).scalars()
    }
    opportunities = {
        o.id: o.title
        for o in db.session.execute(
            select(Opportunity).where(
                Opportunity.id.in_({m.opportunity_id for m in matches if m.opportunity_id})
            )
        ).scalars()
    }
    by_match: dict[int, list[SeatView]] = defaultdict(list)
    for seat_id, match_id, user_id, status, name in seats:
        by_match[match_id].append(SeatView(seat_id, user_id, name or "A former member", status))
    venues = {
        v.id: v
        for v in db.session.execute(
            select(Venue).where(Venue.id.in_({m.venue_id for m in matches if m.venue_id}))
        ).scalars()
    }
    choices = venue_choices(
        round_,
        matches,
        {m: [s.user_id for s in people if s.user_id is not None] for m, people in by_match.items()},
    )
    views = []
    for number, match in enumerate(matches, start=offset + 1):
        people = by_match.get(match.id, [])
        counts = Counter(
            interest
            for s in people
            if s.user_id is not None
            for interest in interests.get(s.user_id, ())
        )
        shared = sorted(names[i] for i, n in counts.items() if n >= 2 and i in names)
        if match.opportunity_id:
            place = opportunities.get(match.opportunity_id, "Volunteering")
            if match.area_id:
                place += f", {areas.get(match.area_id, '')}"
        elif match.format == "online":
            place = "Online"
        else:
            place = areas.get(match.area_id, "In person")
        views.append(
            MatchView(
                number=number,
                match=match,
                seats=people,
                shared=shared,
                slot_label=matching.slot_label(match.slot),
                place=place,
                counts=dict(Counter(s.status for s in people)),
                venue=venues.get(match.venue_id) if match.venue_id else None,
                room_url=match.room_url if needs_room(match) else "",
                place_problem=(
                    match.venue_problem
                    if (needs_venue(match) and not match.venue_id)
                    or (needs_room(match) and not match.room_url)
                    else ""
                ),
                choices=choices.get(match.id, []),
            )
        )
    return views


def unplaced_people(round_: MatchRound) -> list[dict[str, Any]]:
    ids = [item["user_id"] for item in round_.unplaced or []]
    names = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )
    return [
        {
            "user_id": item["user_id"],
            "name": names.get(item["user_id"], "A former member"),
            "reason": item["reason"],
        }
        for item in round_.unplaced or []
    ]


def response_totals(round_: MatchRound) -> dict[str, int]:
    rows = db.session.execute(
        select(MatchMember.status, func.count())
        .join(Match, Match.id == MatchMember.match_id)
        .where(Match.round_id == round_.id)
        .group_by(MatchMember.status)
    ).all()
    return {status: count for status, count in rows}


def recent_rounds(limit: int = 50) -> list[MatchRound]:
    return list(
        db.session.execute(
            select(MatchRound)
            .order_by(MatchRound.created_at.desc(), MatchRound.id.desc())
            .limit(limit)
        ).scalars()
    )


def areas_label(round_: MatchRound) -> str:
    if not round_.area_ids:
        return "All areas"
    names = dict(
        db.session.execute(select(Area.id, Area.name).where(Area.id.in_(round_.area_ids))).all()
    )
    return ", ".join(names[i] for i in round_.area_ids if i in names)
