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

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from flask import current_app
from sqlalchemy import func, inspect, or_, select

import matching
from community.extensions import db
from community.models import Match, MatchRound, Profile, User, Venue
from community.rounds.eligibility import members_for
from community.rounds.errors import BadAdjustment, RoundNotReady
from matching import venues as placing
from matching.feasibility import haversine_km

ROOM_SETTING = "KINDRED_VIDEO_ROOM_URL"
CHOICES_SHOWN = 15  # venues offered in a match's select, nearest first
Seats = Counter[tuple[int, int]]  # (venue id, slot) -> meetings seated there


@dataclass(frozen=True)
class Place:
    """What one meeting gets: a venue, a room, or the reason it has neither."""

    venue_id: int | None = None
    venue_problem: str = ""
    room_url: str = ""


def needs_venue(match: Match | matching.Match) -> bool:
    """In-person groups, pairs and trios; a placement meets at its opportunity."""
    return match.format == "in_person" and match.kind != "placement"


def needs_room(match: Match | matching.Match) -> bool:
    return match.format == "online" and match.kind != "placement"


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


def replace_after_change(round_: MatchRound, matches: Iterable[Match]) -> list[str]:
    """After a move or removal: keep a venue that still suits everyone, else place again.

    Only the changed matches move; everyone else keeps their seat, so the
    changed match chooses among the seats left. When no venue suits everyone
    any more, the match keeps its venue if that still keeps the hard rules (as
    a venue picked by hand may), and the organizer is told what it bends.
    Returns a note for each match whose venue changed or now bends a rule.
    """
    changed = [m for m in matches if needs_venue(m) or needs_room(m)]
    notes: list[str] = []
    if not changed:
        return notes
    db.session.flush()
    for match in changed:
        db.session.refresh(match, ["members"])
    people = members_for(u for m in changed for u in seated_users(m))
    for match in changed:
        if needs_room(match):
            if not match.room_url:
                apply(match, room_place())
            continue
        meeting = as_library_match(match, seated_users(match))
        before = match.venue
        check = VenueCheck()
        if before is not None:
            check = check_venue(
                match,
                before,
                meeting,
                people,
                walks=round_.kind == "walks",
                taken=seats_taken(round_, besides=[match.id]),
                needs=access_needs(),
                names=display_names(meeting.member_ids),
            )
            if not check.refusals and not check.warnings:
                continue
        [place] = plan_places(
            [meeting],
            people,
            walks=round_.kind == "walks",
            venues=active_venues(),
            taken=seats_taken(round_, besides=[match.id]),
        )
        if place.venue_id is None and before is not None and not check.refusals:
            notes += [
                f"No venue suits everyone in a changed group, so it keeps {before.name}. {w}"
                for w in check.warnings
            ]
            continue
        apply(match, place)
        db.session.flush()
        after = db.session.get(Venue, place.venue_id) if place.venue_id else None
        was = f"{before.name} no longer suits everyone" if before else "it had no venue"
        if after is not None and after is not before:
            notes.append(f"A changed group now meets at {after.name}, as {was}.")
        elif after is None and before is not None:
            notes.append(
                f"A changed group has no venue now ({was}): {place.venue_problem}. "
                "Choose one by hand before approving."
            )
    return notes


def apply(match: Match, place: Place) -> None:
    match.venue_id = place.venue_id
    match.venue_problem = place.venue_problem
    match.room_url = place.room_url
    if inspect(match).persistent:
        db.session.expire(match, ["venue"])  # the loaded venue would outlive its id


# --- rules for one venue and one meeting --------------------------------------------------


@dataclass
class VenueCheck:
    """Why a venue cannot take a meeting (``refusals``), and what it bends (``warnings``)."""

    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    farthest_km: float = 0.0


def check_venue(
    match: Match,
    venue: Venue,
    meeting: matching.Match,
    people: Mapping[int, matching.Member],
    *,
    walks: bool,
    taken: Seats,
    needs: tuple[set[int], set[int]],
    names: Mapping[int, str] | None = None,
) -> VenueCheck:
    check = VenueCheck()
    when = matching.slot_label(match.slot)
    if venue.retired_at is not None:
        check.refusals.append(f"{venue.name} has been retired.")
    if match.slot not in venue.slots:
        check.refusals.append(f"{venue.name} isn't open on {when}s, when this meeting is.")
    elif taken[(venue.id, match.slot)] >= venue.capacity:
        check.refusals.append(
            f"{venue.name} has no free seat on {when}s: it seats {venue.capacity} "
            f"meeting{'s' if venue.capacity != 1 else ''} at once and they are taken."
        )
    step_free, quiet = needs
    ids = list(meeting.member_ids)
    if any(u in step_free for u in ids) and not venue.step_free:
        check.refusals.append(
            f"{venue.name} isn't step-free, and someone in this meeting needs step-free access."
        )
    if any(u in quiet or (u in people and people[u].comfort <= placing.SHY_COMFORT) for u in ids):
        if venue.quietness != "quiet":
            check.warnings.append(
                f"{venue.name} isn't a quiet place ({venue.quietness_label.lower()}), "
                "and this meeting wants a quiet one."
            )
    if walks and not (venue.walk_start or venue.kind == "park_meeting_point"):
        check.warnings.append(f"{venue.name} isn't marked as a place to start a walk.")
    located = [people[u] for u in ids if u in people and people[u].location is not None]
    if located:
        here = np.radians([venue.latitude, venue.longitude])
        km = haversine_km(np.radians(np.array([p.location for p in located], dtype=float)), here)
        check.farthest_km = float(km.max())
        for person, distance in zip(located, km, strict=True):
            if distance > person.max_km:
                who = (names or {}).get(cast(int, person.id), "Someone")
                check.warnings.append(
                    f"{venue.name} is {distance:.1f} km from {who}, "
                    f"farther than the {person.max_km:g} km they said they would travel."
                )
    return check


def display_names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = list(user_ids)
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


def choose_venue(
    round_: MatchRound, match_id: int, venue_id: int
) -> tuple[Match, Venue, list[str]]:
    """An organizer picks the venue of one meeting; returns both with the rules it bends.

    Refuses (``BadAdjustment``) a venue that is unknown, retired, closed at the
    slot, full then, or has steps when someone needs step-free access.
    """
    if round_.status != "ready":
        raise RoundNotReady("Only a round waiting for approval can be adjusted.")
    match = db.session.get(Match, match_id) if 0 < match_id < 2**31 else None
    if match is None or match.round_id != round_.id:
        raise BadAdjustment("That meeting isn't in this round's proposal any more.")
    if match.kind == "placement":
        raise BadAdjustment("A volunteering placement meets at its opportunity, not at a venue.")
    if match.format != "in_person":
        raise BadAdjustment("This meeting is online: it gets a video room, not a venue.")
    venue = db.session.get(Venue, venue_id) if 0 < venue_id < 2**31 else None
    if venue is None:
        raise BadAdjustment("That venue isn't on the list. Please choose one from the menu.")
    user_ids = seated_users(match)
    people = members_for(user_ids)
    names = display_names(user_ids)
    check = check_venue(
        match,
        venue,
        as_library_match(match, user_ids),
        people,
        walks=round_.kind == "walks",
        taken=seats_taken(round_, besides=[match.id]),
        needs=access_needs(),
        names=names,
    )
    if check.refusals:
        raise BadAdjustment(" ".join(check.refusals))
    apply(match, Place(venue_id=venue.id))
    return match, venue, check.warnings


@dataclass(frozen=True)
class VenueChoice:
    venue_id: int
    label: str
    selected: bool = False


def venue_choices(
    round_: MatchRound, matches: Sequence[Match], seats: Mapping[int, Sequence[int]]
) -> dict[int, list[VenueChoice]]:
    """For each in-person match, the active venues it may be given by hand, nearest first.

    Only venues that pass the hard rules are offered; one that bends a
    preference says so in its label.
    """
    wanted = [m for m in matches if needs_venue(m)]
    if not wanted or round_.status != "ready":
        return {}
    venues = active_venues()
    people = members_for(u for m in wanted for u in seats.get(m.id, ()))
    taken = seats_taken(round_)
    needs = access_needs()
    walks = round_.kind == "walks"
    out: dict[int, list[VenueChoice]] = {}
    if not venues:
        return out
    where = np.radians([[v.latitude, v.longitude] for v in venues])
    opening = np.array([[v.slot_mask >> slot & 1 for slot in range(21)] for v in venues], bool)
    for match in wanted:
        own = Counter({(match.venue_id, match.slot): 1}) if match.venue_id else Counter()
        meeting = as_library_match(match, list(seats.get(match.id, ())))
        located = [people[u].location for u in meeting.member_ids if u in people]
        # Nearest first by the farthest member's distance; only the first few are checked.
        far = np.zeros(len(venues))
        if located and all(p is not None for p in located):
            spots = np.radians(np.array(located, dtype=float))
            far = haversine_km(spots[None, :, :], where[:, None, :]).max(axis=1)
        order = [int(j) for j in np.argsort(far, kind="stable") if opening[j, match.slot]]
        shown: list[VenueChoice] = []
        for j in order:
            venue = venues[j]
            if len(shown) >= CHOICES_SHOWN and venue.id != match.venue_id:
                continue
            check = check_venue(
                match, venue, meeting, people, walks=walks, taken=taken - own, needs=needs
            )
            if check.refusals:
                continue
            bends = " (bends a preference)" if check.warnings else ""
            label = f"{venue.name}, {check.farthest_km:.1f} km at most{bends}"
            shown.append(VenueChoice(venue.id, label, venue.id == match.venue_id))
            if len(shown) >= CHOICES_SHOWN and (
                not match.venue_id or any(c.selected for c in shown)
            ):
                break
        out[match.id] = shown
    return out


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


def require_places(round_: MatchRound) -> None:
    """Raise ``RoundNotReady`` while any meeting has nowhere to happen."""
    give_missing_rooms(round_)
    db.session.flush()
    blockers = place_summary(round_).blockers()
    if blockers:
        raise RoundNotReady(" ".join(blockers))
