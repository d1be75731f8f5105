"""Venues for in-person meetings: every invitation says exactly where to go.

A matching round decides who meets whom and when; this module decides where.
Each meeting (a group, a pair, a walk) goes to one venue that is open at the
meeting's slot, lies within every member's travel distance, is step-free
when anyone needs it, is quiet when the meeting holds a shy member or
someone who asked for quiet places, and, for walks, is a good place to
start one. A venue never seats more meetings at one slot than its capacity.
Among the placements that seat the most meetings, total travel (summed over
members) is smallest.

The dataclasses live in :mod:`matching.venue_types` and the search in
:mod:`matching.venue_search`; this module is the public entry point.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from .feasibility import haversine_km
from .members import N_SLOTS, Member
from .results import Match
from .venue_reasons import _placed_reason, _unplaced_reason, _when
from .venue_search import (
    CANDIDATES,
    NOISE_KM,
    _assign,
    _MeetingArrays,
    _seat_the_rest,
    _VenueArrays,
    _VenueSearch,
)
from .venue_types import (
    MEETING_KINDS,
    QUIETNESS,
    SHY_COMFORT,
    VENUE_KINDS,
    MeetingRequest,
    PlacedMeeting,
    UnplacedMeeting,
    Venue,
    VenuePlacement,
)

__all__ = [
    "CANDIDATES",
    "MEETING_KINDS",
    "QUIETNESS",
    "SHY_COMFORT",
    "VENUE_KINDS",
    "MeetingRequest",
    "PlacedMeeting",
    "UnplacedMeeting",
    "Venue",
    "VenuePlacement",
    "meeting_requests",
    "place_meetings",
]


def meeting_requests(
    matches: Iterable[Match],
    members: Iterable[Member],
    *,
    walks: bool = False,
    step_free: Iterable[Hashable] = (),
    quiet: Iterable[Hashable] = (),
    keys: Sequence[Hashable] | None = None,
) -> tuple[MeetingRequest, ...]:
    """Build one :class:`MeetingRequest` per in-person match.

    Parameters
    ----------
    matches : iterable of Match
        From :func:`matching.group_members` or :func:`matching.pair_walkers`.
        Online matches and volunteer placements need no venue and are skipped.
    members : iterable of Member
        Everyone the matches name (others are ignored).
    walks : bool
        The matches are walks (e.g. from :func:`matching.pair_walkers`).
    step_free : iterable of member ids
        Members who need step-free venues.
    quiet : iterable of member ids
        Members who asked for quiet places; members of comfort
        ``SHY_COMFORT`` or below want quiet places whether they asked or not.
    keys : sequence, optional
        One key per match, aligned with ``matches``; by default a match's
        key is its ``member_ids``.
    """
    matches = list(matches)
    if keys is not None and len(keys) != len(matches):
        raise ValueError("keys must give one key per match")
    by_id = {m.id: m for m in members}
    step_free, quiet = set(step_free), set(quiet)
    out = []
    for n, match in enumerate(matches):
        if match.format != "in_person" or match.kind == "placement":
            continue
        people = []
        for member_id in match.member_ids:
            if member_id not in by_id:
                raise ValueError(f"match {match.member_ids!r} names unknown member {member_id!r}")
            people.append(by_id[member_id])
        out.append(
            MeetingRequest(
                key=match.member_ids if keys is None else keys[n],
                slot=match.slot,
                locations=tuple(p.location for p in people),  # type: ignore[misc]
                max_km=tuple(p.max_km for p in people),
                kind="walk" if walks else match.kind,
                walk=walks,
                needs_step_free=any(p.id in step_free for p in people),
                wants_quiet=any(p.comfort <= SHY_COMFORT or p.id in quiet for p in people),
            )
        )
    return tuple(out)


def place_meetings(
    requests: Sequence[MeetingRequest],
    venues: Sequence[Venue],
    *,
    candidates: int = CANDIDATES,
    noise_km: float = NOISE_KM,
    random_state: Any = 0,
) -> VenuePlacement:
    """Give each meeting a venue: as many meetings placed as possible, then least travel.

    Parameters
    ----------
    requests : sequence of MeetingRequest
        Keys must be unique.
    venues : sequence of Venue
        Ids must be unique.
    candidates : int
        Venues each meeting keeps for the assignment, cheapest first (chosen
        among the ``SEARCH_FACTOR * candidates`` nearest that obey the rules).
        Meetings competing for too few seats see every venue they can reach.
    noise_km : float
        Cost, in km per member, of each level of noise ("quiet" 0,
        "some_noise" 1, "lively" 2): among equally near venues the quieter
        one wins. Meetings that want quiet only ever see quiet venues.
    random_state : int, RandomState or None
        Accepted for a uniform API; the result does not depend on it.

    Returns
    -------
    VenuePlacement

    Notes
    -----
    Hard rules: the venue is open at the meeting's slot, within every
    member's ``max_km`` (:func:`matching.feasibility.haversine_km`),
    step-free when needed, "quiet" when wanted, a walk start for walks, and
    never seats more meetings at one slot than its capacity. Cost is travel
    summed over members plus the noise term.

    Candidates come from a k-d tree (:class:`scipy.spatial.cKDTree` on unit
    vectors) per slot and per set of needs, built once and reused, holding
    the venues open then that meet those needs: each meeting keeps its
    ``candidates`` cheapest among the nearest to its centre. A maximum flow
    then finds the meetings that compete for too few seats (some maximum
    placement leaves them out); those get every venue their tightest member
    can reach (a ball query on the same trees) and the split is redone until
    every contested meeting sees all its venues, so the number placed is the
    exact maximum (see :func:`matching.venue_search._assign`). The meetings
    every maximum placement seats go to the library's auction
    (:func:`matching.volunteers.solve_transport`, fit ``1 - cost / max cost``
    plus a placement weight of 10); the short seats are filled at least cost
    (counted in 10 m steps) by scipy's sparse LAPJV. A last pass seats any
    meeting still unplaced at the cheapest venue that obeys the rules and has
    room, looking at every venue.
    """
    del random_state  # nothing here is random; kept so every matcher is called alike
    requests = list(requests)
    venues = list(venues)
    for r in requests:
        if not isinstance(r, MeetingRequest):
            raise ValueError(f"expected MeetingRequest instances, got {type(r).__name__}")
    for v in venues:
        if not isinstance(v, Venue):
            raise ValueError(f"expected Venue instances, got {type(v).__name__}")
    if len({r.key for r in requests}) != len(requests):
        raise ValueError("meeting keys must be unique")
    if len({v.id for v in venues}) != len(venues):
        raise ValueError("venue ids must be unique")
    if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
        raise ValueError("candidates must be an int of at least 1")
    if not (math.isfinite(noise_km) and noise_km >= 0):
        raise ValueError("noise_km must be a non-negative number")

    n = len(requests)
    meets = _MeetingArrays(requests)
    places = _VenueArrays(venues)
    capacity = np.repeat(np.array([v.capacity for v in venues], dtype=np.float64), N_SLOTS)
    seat_of = _assign(_VenueSearch(meets, places, noise_km), n, capacity, candidates)
    _seat_the_rest(seat_of, requests, places, capacity, noise_km)

    venue_of = np.where(seat_of >= 0, seat_of // N_SLOTS, 0)
    d = np.zeros(meets.present.shape)
    if len(venues):
        d = haversine_km(meets.coords, places.coords[venue_of][:, None, :])
    travel = np.where(meets.present, d, 0.0).sum(axis=1).round(6)
    farthest = np.where(meets.present, d, 0.0).max(axis=1, initial=0.0).round(6)
    placed, unplaced = [], []
    for i, r in enumerate(requests):
        if seat_of[i] < 0:
            unplaced.append(UnplacedMeeting(r.key, _unplaced_reason(r, places)))
            continue
        venue = venues[int(venue_of[i])]
        placed.append(
            PlacedMeeting(
                key=r.key,
                venue_id=venue.id,
                slot=r.slot,
                slot_label=_when(r.slot),
                travel_km=float(travel[i]),
                farthest_km=float(farthest[i]),
                reason=_placed_reason(r, venue, float(farthest[i])),
            )
        )
    total = float(travel[seat_of >= 0].sum())
    return VenuePlacement(
        placed=tuple(placed), unplaced=tuple(unplaced), total_travel_km=round(total, 6)
    )
