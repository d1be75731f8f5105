"""What a member's pages show of one seat: when, where, who, and what they may still do."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

import matching
from community.extensions import db
from community.invitations.wording import (
    KIND_SINGULAR,
    MatchFacts,
    match_facts,
    place_words,
    shared_phrase,
    volunteer_phrase,
)
from community.models import (
    Interest,
    Match,
    MatchMember,
    Profile,
    User,
    utcnow,
)
from community.rounds.eligibility import interests_by_user
from community.rounds.schedule import match_meeting_at, when_words


@dataclass
class SeatDetails:
    """What a member may see about a match: never who declined, or anyone's private fields."""

    kind_label: str
    when: str
    where: str
    slot_label: str
    going: list[dict[str, str]]
    waiting: int
    free: int
    shared: str
    opportunity: dict[str, str] | None
    past: bool


def seat_details(seat: MatchMember, now: datetime | None = None) -> SeatDetails:
    return details_for([seat], now)[seat.id]


def details_for(seats: list[MatchMember], now: datetime | None = None) -> dict[int, SeatDetails]:
    """What each seat's member may see, in a fixed number of queries however many seats.

    Never who declined: others appear by name once they accept; the rest are counts.
    """
    if not seats:
        return {}
    now = now or utcnow()
    matches = {
        m.id: m
        for m in db.session.execute(
            select(Match)
            .options(joinedload(Match.round))
            .where(Match.id.in_({s.match_id for s in seats}))
        ).scalars()
    }
    facts: dict[int, MatchFacts] = {}
    by_kind: dict[str, list[Match]] = defaultdict(list)
    for match in matches.values():
        by_kind[match.round.kind].append(match)
    for kind, items in by_kind.items():
        facts.update(match_facts(items, kind, with_calendar=False))
    everyone = db.session.execute(
        select(
            MatchMember.id,
            MatchMember.match_id,
            MatchMember.user_id,
            MatchMember.status,
            User.display_name,
            Profile.about_me,
        )
        .outerjoin(User, User.id == MatchMember.user_id)
        .outerjoin(Profile, Profile.user_id == MatchMember.user_id)
        .where(MatchMember.match_id.in_(list(matches)))
        .order_by(MatchMember.id)
    ).all()
    by_match: dict[int, list] = defaultdict(list)
    for row in everyone:
        by_match[row.match_id].append(row)
    interests = interests_by_user({row.user_id for row in everyone if row.user_id is not None})
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    details = {}
    for seat in seats:
        match = matches[seat.match_id]
        fact = facts[match.id]
        round_kind = match.round.kind
        others = [r for r in by_match[match.id] if r.id != seat.id and r.user_id is not None]
        mine = interests.get(seat.user_id, set()) if seat.user_id is not None else set()
        if round_kind == "volunteering":
            shared = volunteer_phrase(mine, fact, names)
        else:
            shared = shared_phrase(
                mine,
                [interests[r.user_id] for r in others if r.status in ("invited", "accepted")],
                match.slot,
                names,
            )
        details[seat.id] = SeatDetails(
            kind_label=KIND_SINGULAR[round_kind],
            when=when_words(match_meeting_at(match)),
            where=place_words(fact),
            slot_label=matching.slot_label(match.slot),
            going=[
                {"name": r.display_name, "about": r.about_me or ""}
                for r in others
                if r.status == "accepted"
            ],
            waiting=sum(1 for r in others if r.status == "invited"),
            free=sum(1 for r in by_match[match.id] if r.status in ("declined", "released")),
            shared=shared,
            opportunity=fact.opportunity,
            past=match_meeting_at(match) < now,
        )
    return details
