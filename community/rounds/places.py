"""Where each meeting of a round happens: a venue in person, a video room online.

The matching library decides who meets whom and when, and ``matching.venues``
decides where. This module turns venue rows and stored matches into the
library's dataclasses, keeps the answer on each match (``venue_id``, or
``venue_problem`` in words; ``room_url`` for online meetings), checks an
organizer's hand-picked venue, and says what still stops a round from being
approved.

An organizer's pick must keep the rules that protect people or the venue: the
venue is active, open at the meeting's slot, has a free seat then, and is
step-free when someone needs that. The preferences the library also keeps
(everyone's travel distance, a quiet place, a walk start) may be bent by hand;
the organizer is told plainly which ones a pick bends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import func, or_, select

import matching
from community.extensions import db
from community.models import Match, MatchRound, Profile, Venue
from community.rounds.errors import RoundNotReady
from community.rounds.meeting_place import Place, needs_room, needs_venue
from community.rounds.rooms import give_missing_rooms, no_room_reason, room_base, room_place
from matching import venues as placing

CHOICES_SHOWN = 15  # venues offered in a match's select, nearest first


Seats = Counter[tuple[int, int]]  # (venue id, slot) -> meetings seated there


# --- from rows to the library -------------------------------------------------------------


def active_venues() -> list[Venue]:
    return list(
        db.session.execute(
            select(Venue).where(Venue.retired_at.is_(None)).order_by(Venue.id)
        ).scalars()
    )


def to_library_venue(
    venue: Venue, *, key: object = None, slots: Iterable[int] | None = None, capacity: int = 0
) -> placing.Venue:
    return placing.Venue(
        id=venue.id if key is None else key,
        name=venue.name,
        location=(venue.latitude, venue.longitude),
        kind=venue.kind,
        slots=frozenset(venue.slots if slots is None else slots),
        capacity=capacity or venue.capacity,
        step_free=venue.step_free,
        quietness=venue.quietness,
        walk_start=venue.walk_start,
    )


def library_venues(venues: Sequence[Venue], taken: Seats) -> list[placing.Venue]:
    """The library's venues with the seats ``taken`` already removed.

    The library gives a venue one capacity for every slot, so a venue with
    seats taken at some slots becomes one entry for its untouched slots and
    one per touched slot with the seats left (keyed ``(venue id, slot)``).
    """
    out = []
    for venue in venues:
        open_slots = venue.slots
        touched = {slot for (vid, slot) in taken if vid == venue.id and slot in open_slots}
        if open_slots - touched:
            out.append(to_library_venue(venue, key=(venue.id, None), slots=open_slots - touched))
        for slot in sorted(touched):
            left = venue.capacity - taken[(venue.id, slot)]
            if left > 0:
                out.append(
                    to_library_venue(venue, key=(venue.id, slot), slots={slot}, capacity=left)
                )
    return out


def access_needs() -> tuple[set[int], set[int]]:
    """Who needs step-free venues and who asked for quiet ones, from consenting profiles."""
    rows = db.session.execute(
        select(Profile.user_id, Profile.needs_step_free, Profile.prefers_quiet).where(
            Profile.consent_at.is_not(None),
            or_(Profile.needs_step_free.is_(True), Profile.prefers_quiet.is_(True)),
        )
    ).all()
    return {u for u, step_free, _ in rows if step_free}, {u for u, _, quiet in rows if quiet}


def seats_taken(round_: MatchRound, *, besides: Iterable[int] = ()) -> Seats:
    """Venue seats held in this round (but for ``besides``) and by approved rounds that week."""
    same_week = select(MatchRound.id).where(
        MatchRound.week_start == round_.week_start,
        MatchRound.status == "approved",
        MatchRound.id != round_.id,
    )
    rows = db.session.execute(
        select(Match.venue_id, Match.slot, func.count())
        .where(
            Match.venue_id.is_not(None),
            Match.status != "cancelled",
            or_(Match.round_id == round_.id, Match.round_id.in_(same_week)),
            Match.id.not_in(list(besides)),
        )
        .group_by(Match.venue_id, Match.slot)
    ).all()
    return Counter({(venue_id, slot): n for venue_id, slot, n in rows if venue_id is not None})


# --- placing meetings ---------------------------------------------------------------------


def plan_places(
    meetings: Sequence[matching.Match],
    members: Mapping[int, matching.Member],
    *,
    walks: bool,
    venues: Sequence[Venue],
    taken: Seats | None = None,
) -> list[Place]:
    """One :class:`Place` per meeting, in order; writes nothing."""
    places = [Place() for _ in meetings]
    in_person = []
    for i, meeting in enumerate(meetings):
        if needs_room(meeting):
            places[i] = room_place()
        elif needs_venue(meeting):
            if any(
                members.get(m) is None or members[m].location is None for m in meeting.member_ids
            ):
                places[i] = Place(
                    venue_problem="someone in it has no neighbourhood set, so no venue fits"
                )
            else:
                in_person.append(i)
    if not in_person:
        return places
    if not venues:
        for i in in_person:
            places[i] = Place(venue_problem="no venues are set up yet: add some on the Venues page")
        return places
    step_free, quiet = access_needs()
    requests = placing.meeting_requests(
        [meetings[i] for i in in_person],
        [members[m] for i in in_person for m in meetings[i].member_ids],
        walks=walks,
        step_free=step_free,
        quiet=quiet,
        keys=in_person,
    )
    result = placing.place_meetings(requests, library_venues(venues, taken or Counter()))
    for placed in result.placed:
        # Keys are indices into ``meetings``; venue ids (venue id, slot or None).
        venue_key = cast(tuple[int, int | None], placed.venue_id)
        places[cast(int, placed.key)] = Place(venue_id=venue_key[0])
    for unplaced in result.unplaced:
        places[cast(int, unplaced.key)] = Place(venue_problem=unplaced.reason)
    return places


def place_proposal(
    round_: MatchRound,
    meetings: Sequence[matching.Match],
    members: Iterable[matching.Member],
) -> list[Place]:
    """Places for a fresh proposal (``store_proposal`` writes them with the matches).

    Seats held by approved rounds of the same week count as taken; the
    proposal's own matches were just deleted, so they hold none.
    """
    if round_.kind == "volunteering":
        return [Place() for _ in meetings]
    return plan_places(
        meetings,
        {cast(int, m.id): m for m in members},
        walks=round_.kind == "walks",
        venues=active_venues(),
        taken=seats_taken(round_),
    )


def as_library_match(match: Match, user_ids: Sequence[int]) -> matching.Match:
    return matching.Match(
        kind=match.kind,
        member_ids=tuple(user_ids),
        slot=match.slot,
        slot_label=matching.slot_label(match.slot),
        format=match.format,
        score=match.score,
        reason=match.reason,
        opportunity_id=match.opportunity_id,
    )


def seated_users(match: Match) -> list[int]:
    return [s.user_id for s in match.members if s.user_id is not None]


# --- is every meeting placed? ---------------------------------------------------------------


@dataclass(frozen=True)
class PlaceSummary:
    in_person: int
    without_venue: int
    online: int
    without_room: int
    room_base: str

    @property
    def without_place(self) -> int:
        return self.without_venue + self.without_room

    def blockers(self) -> list[str]:
        """What stops approval, in words for the organizer."""
        reasons = []
        if self.without_venue:
            many = self.without_venue != 1
            reasons.append(
                f"{self.without_venue} in-person meeting{'s have' if many else ' has'} no venue "
                "yet: choose one by hand below, or add venues, before approving."
            )
        if self.online and not self.room_base:
            reasons.append(f"{no_room_reason()} Set it up, then approve.")
        elif self.without_room:
            many = self.without_room != 1
            reasons.append(
                f"{self.without_room} online meeting{'s have' if many else ' has'} no room yet."
            )
        return reasons


def place_summary(round_: MatchRound) -> PlaceSummary:
    """Counts over the whole round (not one page) in one query."""
    in_person = (Match.format == "in_person") & (Match.kind != "placement")
    online = (Match.format == "online") & (Match.kind != "placement")
    row = db.session.execute(
        select(
            func.count().filter(in_person),
            func.count().filter(in_person & Match.venue_id.is_(None)),
            func.count().filter(online),
            func.count().filter(online & (Match.room_url == "")),
        ).where(Match.round_id == round_.id)
    ).one()
    return PlaceSummary(row[0], row[1], row[2], row[3], room_base())


def require_places(round_: MatchRound) -> None:
    """Raise ``RoundNotReady`` while any meeting has nowhere to happen."""
    give_missing_rooms(round_)
    db.session.flush()
    blockers = place_summary(round_).blockers()
    if blockers:
        raise RoundNotReady(" ".join(blockers))
