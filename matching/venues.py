"""Venues for in-person meetings: every invitation says exactly where to go.

A matching round decides who meets whom and when; this module decides where.
Each meeting (a group, a pair, a walk) goes to one venue that is open at the
meeting's slot, lies within every member's travel distance, is step-free
when anyone needs it, is quiet when the meeting holds a shy member or
someone who asked for quiet places, and, for walks, is a good place to
start one. A venue never seats more meetings at one slot than its capacity.
Among the placements that seat the most meetings, total travel (summed over
members) is smallest.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching, min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from .feasibility import EARTH_RADIUS_KM, haversine_km
from .members import N_SLOTS, Member, _check_location, _check_slots, slot_label
from .results import Match
from .volunteers import solve_transport

VENUE_KINDS = (
    "cafe",
    "library_room",
    "community_centre",
    "park_meeting_point",
    "volunteering_site",
)
QUIETNESS = ("quiet", "some_noise", "lively")
MEETING_KINDS = ("group", "pair", "trio", "walk")
CANDIDATES = 24  # venues kept per meeting for the assignment: the nearest few, not the city
SEARCH_FACTOR = 2  # candidates are the cheapest of this many times as many nearest venues
NOISE_KM = 0.05  # km of travel per member that one level of noise costs: quieter wins ties
SHY_COMFORT = 2  # a member at or below this comfort makes the meeting want a quiet venue
_REACH_SLACK = 1e-9  # the tree's chord and haversine_km may round a boundary venue apart


def _check_flag(value: object, name: str, owner: str) -> None:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class Venue:
    """A place where meetings happen.

    Parameters
    ----------
    id : hashable
        The caller's id for the venue (returned unchanged in results).
    name : str
        What the invitation calls it, e.g. "Chapel Allerton Library, room 2".
    location : (lat, lon)
    kind : {"cafe", "library_room", "community_centre", "park_meeting_point", \
"volunteering_site"}
    slots : frozenset of int
        Weekly opening, ``weekday * 3 + part_of_day`` in 0..20 as in
        :class:`matching.Member`.
    capacity : int
        How many meetings it can seat at once (at least 1).
    step_free : bool
        Whether it can be reached and used without steps.
    quietness : {"quiet", "some_noise", "lively"}
    walk_start : bool
        Whether it is a good place to start a walk (park meeting points
        always are).
    """

    id: Hashable
    name: str
    location: tuple[float, float]
    kind: str = "community_centre"
    slots: frozenset[int] = frozenset()
    capacity: int = 1
    step_free: bool = False
    quietness: str = "some_noise"
    walk_start: bool = False

    def __post_init__(self) -> None:
        owner = f"venue {self.id!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"{owner}: name must be a non-empty string")
        if self.location is None:
            raise ValueError(f"{owner}: location must be (lat, lon)")
        _check_location(self.location, owner)
        if self.kind not in VENUE_KINDS:
            raise ValueError(f"{owner}: kind must be one of {VENUE_KINDS}, got {self.kind!r}")
        if self.quietness not in QUIETNESS:
            raise ValueError(
                f"{owner}: quietness must be one of {QUIETNESS}, got {self.quietness!r}"
            )
        if (
            not isinstance(self.capacity, int)
            or isinstance(self.capacity, bool)
            or self.capacity < 1
        ):
            raise ValueError(f"{owner}: capacity must be an int of at least 1")
        _check_flag(self.step_free, "step_free", owner)
        _check_flag(self.walk_start, "walk_start", owner)
        _check_slots(self.slots, owner)
        object.__setattr__(self, "slots", frozenset(self.slots))
        object.__setattr__(self, "location", (float(self.location[0]), float(self.location[1])))

    @property
    def starts_walks(self) -> bool:
        """Whether a walk may start here."""
        return self.walk_start or self.kind == "park_meeting_point"


@dataclass(frozen=True)
class MeetingRequest:
    """One meeting that needs a venue.

    Parameters
    ----------
    key : hashable
        The caller's key for the meeting (returned unchanged in results).
    slot : int
        The weekly slot it meets in, 0..20.
    locations : tuple of (lat, lon)
        Where each member starts from (at least one).
    max_km : tuple of float
        How far each member will travel, aligned with ``locations``.
    kind : {"group", "pair", "trio", "walk"}
        "walk" implies ``walk=True``.
    walk : bool
        A walk meets only where walks start (see :attr:`Venue.starts_walks`).
    needs_step_free : bool
        Someone in the meeting needs a step-free venue.
    wants_quiet : bool
        The meeting holds a shy member or someone who asked for quiet places,
        so only "quiet" venues will do.
    """

    key: Hashable
    slot: int
    locations: tuple[tuple[float, float], ...]
    max_km: tuple[float, ...]
    kind: str = "group"
    walk: bool = False
    needs_step_free: bool = False
    wants_quiet: bool = False

    def __post_init__(self) -> None:
        owner = f"meeting {self.key!r}"
        try:
            hash(self.key)
        except TypeError:
            raise ValueError(f"{owner}: key must be hashable") from None
        if self.kind not in MEETING_KINDS:
            raise ValueError(f"{owner}: kind must be one of {MEETING_KINDS}, got {self.kind!r}")
        if isinstance(self.slot, bool) or not isinstance(self.slot, int | np.integer):
            raise ValueError(f"{owner}: slot must be an int in 0..{N_SLOTS - 1}")
        _check_slots(frozenset({int(self.slot)}), owner)
        for name in ("walk", "needs_step_free", "wants_quiet"):
            _check_flag(getattr(self, name), name, owner)
        locations = tuple(self.locations)
        limits = tuple(self.max_km)
        if not locations:
            raise ValueError(f"{owner}: needs at least one member location")
        if len(limits) != len(locations):
            raise ValueError(f"{owner}: max_km must give one limit per location")
        for location in locations:
            if location is None:
                raise ValueError(f"{owner}: every member needs a location to meet in person")
            _check_location(location, owner)
        for km in limits:
            if not (isinstance(km, int | float | np.number) and math.isfinite(km) and km >= 0):
                raise ValueError(f"{owner}: max_km must be non-negative numbers, got {km!r}")
        object.__setattr__(self, "slot", int(self.slot))
        object.__setattr__(self, "locations", tuple((float(a), float(b)) for a, b in locations))
        object.__setattr__(self, "max_km", tuple(float(km) for km in limits))
        object.__setattr__(self, "walk", bool(self.walk) or self.kind == "walk")
        object.__setattr__(self, "needs_step_free", bool(self.needs_step_free))
        object.__setattr__(self, "wants_quiet", bool(self.wants_quiet))


@dataclass(frozen=True)
class PlacedMeeting:
    """A meeting and the venue it goes to.

    Attributes
    ----------
    key : hashable
    venue_id : hashable
    slot : int
    slot_label : str
        e.g. "Tuesday evening".
    travel_km : float
        Distance summed over the members (what the placement minimises).
    farthest_km : float
        The longest distance any one member travels.
    reason : str
        Where and why, in words the invitation can use.
    """

    key: Hashable
    venue_id: Hashable
    slot: int
    slot_label: str
    travel_km: float
    farthest_km: float
    reason: str


@dataclass(frozen=True)
class UnplacedMeeting:
    """A meeting no venue can take, with the reason a person can read."""

    key: Hashable
    reason: str


@dataclass(frozen=True)
class VenuePlacement:
    """Result of :func:`place_meetings`.

    ``placed`` follows the order of the requests; every request is either in
    ``placed`` or in ``unplaced``.
    """

    placed: tuple[PlacedMeeting, ...]
    unplaced: tuple[UnplacedMeeting, ...]
    total_travel_km: float

    @property
    def placements(self) -> dict[Hashable, Hashable]:
        """Meeting key to venue id."""
        return {p.key: p.venue_id for p in self.placed}

    @property
    def travel_km(self) -> dict[Hashable, float]:
        """Meeting key to travel summed over its members."""
        return {p.key: p.travel_km for p in self.placed}

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and numbers, ready for ``json.dumps`` (ids permitting)."""
        return {
            "placed": [asdict(p) for p in self.placed],
            "unplaced": [asdict(u) for u in self.unplaced],
            "total_travel_km": self.total_travel_km,
        }


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
    vectors) per slot and per set of needs, holding the venues open then
    that meet those needs: the nearest to the meeting's centre, no farther
    than its tightest member can reach. A maximum matching first splits the
    meetings that compete for too few seats from those every maximum
    placement seats (see :func:`_assign`). The latter go to the library's
    auction (:func:`matching.volunteers.solve_transport`, fit
    ``1 - cost / max cost`` plus a placement weight of 10); the short seats
    are filled at least cost by scipy's sparse LAPJV. A last pass
    seats any meeting still unplaced at the cheapest venue that obeys the
    rules and has room, looking at every venue.
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
    rows, cols, cost = _candidate_edges(meets, places, noise_km, SEARCH_FACTOR * candidates)
    capacity = np.repeat(np.array([v.capacity for v in venues], dtype=np.float64), N_SLOTS)
    picked = _assign(rows, cols, cost, n, capacity, candidates)
    seat_of = np.full(n, -1, dtype=np.int64)
    seat_of[rows[picked]] = cols[picked]
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
                slot_label=slot_label(r.slot),
                travel_km=float(travel[i]),
                farthest_km=float(farthest[i]),
                reason=_placed_reason(r, venue, float(farthest[i])),
            )
        )
    total = float(travel[seat_of >= 0].sum())
    return VenuePlacement(
        placed=tuple(placed), unplaced=tuple(unplaced), total_travel_km=round(total, 6)
    )


def _unit_vectors(coords: np.ndarray) -> np.ndarray:
    """Radian (lat, lon) to points on the unit sphere, where chord length orders distance."""
    lat, lon = coords[..., 0], coords[..., 1]
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


class _MeetingArrays:
    """Meeting columns, members padded to the largest meeting (padding reaches everywhere)."""

    def __init__(self, requests: Sequence[MeetingRequest]) -> None:
        n = len(requests)
        width = max((len(r.locations) for r in requests), default=1)
        self.slot = np.array([r.slot for r in requests], dtype=np.int64)
        coords = np.zeros((n, width, 2))
        self.limit = np.full((n, width), np.inf)
        self.present = np.zeros((n, width), dtype=bool)
        for i, r in enumerate(requests):
            k = len(r.locations)
            coords[i, :k] = r.locations
            coords[i, k:] = r.locations[0]
            self.limit[i, :k] = r.max_km
            self.present[i, :k] = True
        self.coords = np.radians(coords)
        self.size = self.present.sum(axis=1)
        self.needs = np.array(
            [_needs(r.needs_step_free, r.wants_quiet, r.walk) for r in requests], dtype=np.int64
        )


def _needs(step_free: bool, quiet: bool, walk: bool) -> int:
    return int(step_free) | int(quiet) << 1 | int(walk) << 2


class _VenueArrays:
    def __init__(self, venues: Sequence[Venue]) -> None:
        self.coords = np.radians(np.array([v.location for v in venues], dtype=np.float64))
        self.coords = self.coords.reshape(len(venues), 2)
        self.open = np.zeros((len(venues), N_SLOTS), dtype=bool)
        for j, v in enumerate(venues):
            self.open[j, sorted(v.slots)] = True
        self.step_free = np.array([v.step_free for v in venues], dtype=bool)
        self.quiet = np.array([v.quietness == "quiet" for v in venues], dtype=bool)
        self.noise = np.array([QUIETNESS.index(v.quietness) for v in venues], dtype=np.float64)
        self.walk_start = np.array([v.starts_walks for v in venues], dtype=bool)

    def serve(self, needs: int) -> np.ndarray:
        """Which venues meet a set of needs (as :func:`_needs` encodes it)."""
        ok = np.ones(len(self.coords), dtype=bool)
        if needs & 1:
            ok &= self.step_free
        if needs & 2:
            ok &= self.quiet
        if needs & 4:
            ok &= self.walk_start
        return ok


def _candidate_edges(
    meets: _MeetingArrays, places: _VenueArrays, noise_km: float, pool: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to ``pool`` edges per meeting that obey every rule, nearest its centre first.

    Columns number ``venue * N_SLOTS + slot``. Rows come out sorted and,
    within a row, cost ascending.
    """
    n = len(meets.slot)
    if n == 0 or len(places.coords) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    members = _unit_vectors(meets.coords)
    centre = np.where(meets.present[..., None], members, 0.0).sum(axis=1)
    centre /= np.maximum(np.linalg.norm(centre, axis=1, keepdims=True), 1e-12)
    tight = np.argmin(meets.limit, axis=1)
    tight_at = members[np.arange(n), tight]
    tight_km = meets.limit[np.arange(n), tight]
    # Any venue the tightest member reaches lies within this chord of the centre.
    bound = np.linalg.norm(centre - tight_at, axis=1)
    bound += 2 * np.sin(np.minimum(tight_km / (2 * EARTH_RADIUS_KM), np.pi / 2))
    bound = bound * (1 + _REACH_SLACK) + _REACH_SLACK
    venue_at = _unit_vectors(places.coords)
    width = meets.coords.shape[1]
    parts = []
    for group in np.unique(meets.slot * 8 + meets.needs):
        slot, needs = divmod(int(group), 8)
        who = np.flatnonzero((meets.slot == slot) & (meets.needs == needs))
        where = np.flatnonzero(places.open[:, slot] & places.serve(needs))
        if len(where) == 0:
            continue
        k = min(pool, len(where))
        _, found = cKDTree(venue_at[where]).query(
            centre[who], k=k, distance_upper_bound=float(bound[who].max())
        )
        found = np.asarray(found).reshape(len(who), k)
        hit = found < len(where)
        rows = np.repeat(who, hit.sum(axis=1))
        venue = where[found[hit]]
        venue_coords = places.coords[venue]
        d = np.stack(
            [haversine_km(meets.coords[rows, p], venue_coords) for p in range(width)], axis=1
        )
        reach = (d <= meets.limit[rows]).all(axis=1)
        travel = np.where(meets.present[rows], d, 0.0).sum(axis=1)
        rows, venue, travel = rows[reach], venue[reach], travel[reach]
        cost = travel + noise_km * meets.size[rows] * places.noise[venue]
        parts.append((rows, venue * N_SLOTS + slot, cost))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    cost = np.concatenate([p[2] for p in parts])
    order = np.lexsort((cols, cost, rows))
    return rows[order], cols[order], cost[order]


def _assign(
    rows: np.ndarray,
    cols: np.ndarray,
    cost: np.ndarray,
    n: int,
    capacity: np.ndarray,
    candidates: int,
) -> np.ndarray:
    """Indices into the edges of the chosen (meeting, venue slot) pairs.

    ``rows`` sorted and, within a row, cost ascending (as
    :func:`_candidate_edges` returns them); each meeting keeps its
    ``candidates`` cheapest. :func:`_split_contested` then separates the
    meetings that compete for too few seats from those every maximum
    placement seats. The auction seats the latter, where everyone can be
    seated and it converges quickly; :func:`_fill_short_seats` fills the
    short seats. Run on the whole problem, the auction has to raise the
    price of every short seat to the placement weight in steps of about its
    epsilon before the meetings left out give up; at 2,000 meetings it hit
    its iteration cap and left out meetings that could have been seated.
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.searchsorted(rows, np.arange(n))
    keep = np.arange(len(rows)) - start[rows] < candidates
    # Meetings some maximum placement would leave out get every edge found for them,
    # so a far seat the cheapest few miss can still take one of them.
    short_rows, _ = _split_contested(rows[keep], cols[keep], n, capacity)
    kept = np.flatnonzero(keep | short_rows[rows])
    rows, cols, cost = rows[kept], cols[kept], cost[kept]
    scale = float(cost.max()) * (1 + 1e-9) + 1e-12
    fit = 1.0 - cost / scale
    # Both parts see the same edges as the split, so everyone outside the contested
    # part can be seated and the forward auction never has to price anyone out.
    short_rows, short_cols = _split_contested(rows, cols, n, capacity)
    outside = np.flatnonzero(~short_rows[rows] & ~short_cols[cols])
    chosen = [outside[solve_transport(rows[outside], cols[outside], fit[outside], n, capacity)]]
    contested = np.flatnonzero(short_rows[rows] & short_cols[cols])
    if len(contested):
        chosen.append(
            contested[
                _fill_short_seats(rows[contested], cols[contested], cost[contested], n, capacity)
            ]
        )
    return kept[np.concatenate(chosen)]


def _fill_short_seats(
    rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, n: int, capacity: np.ndarray
) -> np.ndarray:
    """Indices of the chosen edges where every seat of every venue slot ends filled.

    Every seat must be taken, so this is a full matching of the seats into
    the meetings, solved exactly at least cost by scipy's sparse LAPJV
    (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`). The
    auction struggles here: forward, the short seats' prices must climb to
    the placement weight in steps of about epsilon before the meetings left
    out give up; transposed, the copies of one venue slot's seats outbid
    one another in the same small steps (4.5 s and its iteration cap at
    20,000 meetings with evening venues scarce); with epsilon scaling the
    coarse phases overshoot and meetings that belong in a seat give up.
    """
    short = np.unique(cols)
    seats = capacity[short].astype(np.int64)
    first_seat = np.zeros(len(capacity), dtype=np.int64)
    first_seat[short] = np.cumsum(seats) - seats
    per_edge = capacity[cols].astype(np.int64)
    edge = np.repeat(np.arange(len(rows)), per_edge)
    seat = first_seat[cols[edge]] + _ranges(per_edge)
    # Shift costs off zero: an explicit zero would still count as an edge, but keep it plain.
    graph = sparse.csr_array((cost[edge] + 1.0, (seat, rows[edge])), shape=(int(seats.sum()), n))
    seat_idx, row_idx = min_weight_full_bipartite_matching(graph)
    # Map each (seat, meeting) pair back to its edge.
    key = seat.astype(np.int64) * n + rows[edge]
    order = np.argsort(key, kind="stable")
    found = order[np.searchsorted(key[order], seat_idx.astype(np.int64) * n + row_idx)]
    return edge[found]


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``0..c-1`` for each ``c`` in ``counts``, concatenated."""
    ends = np.cumsum(counts)
    return np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts, counts)


def _split_contested(
    rows: np.ndarray, cols: np.ndarray, n: int, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Meetings some maximum placement leaves out, and the venue slots they reach.

    A maximum matching (Hopcroft-Karp, each venue slot split into one column
    per seat) seats the most meetings these edges can. The meetings
    reachable from an unseated one by alternating paths (the Gallai-Edmonds
    set) are exactly those some maximum placement leaves out; the venue
    slots they reach are full in every maximum placement and held by those
    meetings only. So the problem splits in two: those meetings on those
    venue slots, where every seat is filled, and everyone else, who is
    seated in every maximum placement. Both sets are the same whichever
    maximum matching is found, so the result does not depend on it.
    """
    # No venue slot needs more seats than meetings that can reach it.
    seats = np.minimum(capacity.astype(np.int64), np.bincount(cols, minlength=len(capacity)))
    first_seat = np.cumsum(seats) - seats
    per_edge = seats[cols]
    edge = np.repeat(np.arange(len(rows)), per_edge)
    seat = first_seat[cols[edge]] + _ranges(per_edge)
    graph = sparse.csr_array(
        (np.ones(len(edge), dtype=np.int8), (rows[edge], seat)), shape=(n, int(seats.sum()))
    )
    seat_of = maximum_bipartite_matching(graph, perm_type="column")
    matched = seat_of >= 0
    held = np.zeros(n, dtype=np.int64)
    held[matched] = np.searchsorted(first_seat, seat_of[matched], side="right") - 1
    reach = sparse.csr_array(
        (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, len(capacity))
    )
    short_rows = ~matched & (np.bincount(rows, minlength=n) > 0)
    short_cols = np.zeros(len(capacity), dtype=bool)
    frontier = short_rows.copy()
    while frontier.any():
        new_cols = (reach.T @ frontier.astype(np.int8) > 0) & ~short_cols
        short_cols |= new_cols
        frontier = matched & new_cols[held] & ~short_rows
        short_rows |= frontier
    return short_rows, short_cols


def _options(
    r: MeetingRequest, places: _VenueArrays, noise_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Every venue that obeys the rules for ``r``, and its cost, checked one by one."""
    ok = places.open[:, r.slot] & places.serve(_needs(r.needs_step_free, r.wants_quiet, r.walk))
    where = np.flatnonzero(ok)
    d = haversine_km(np.radians(np.array(r.locations))[None, :, :], places.coords[where][:, None])
    reach = (d <= np.array(r.max_km)).all(axis=1)
    where = where[reach]
    cost = d[reach].sum(axis=1) + noise_km * len(r.locations) * places.noise[where]
    return where, cost


def _seat_the_rest(
    seat_of: np.ndarray,
    requests: Sequence[MeetingRequest],
    places: _VenueArrays,
    capacity: np.ndarray,
    noise_km: float,
) -> None:
    """Seat meetings still unplaced where any venue that fits them has room, cheapest first.

    The assignment only saw each meeting's nearest few venues; this looks at
    all of them, so nobody is left out while a fitting venue has room.
    """
    load = np.bincount(seat_of[seat_of >= 0], minlength=len(capacity))
    rows, cols, costs = [], [], []
    for i in np.flatnonzero(seat_of < 0).tolist():
        where, cost = _options(requests[i], places, noise_km)
        col = where * N_SLOTS + requests[i].slot
        room = load[col] < capacity[col]
        rows.append(np.full(int(room.sum()), i))
        cols.append(col[room])
        costs.append(cost[room])
    if not rows:
        return
    row, col, cost = np.concatenate(rows), np.concatenate(cols), np.concatenate(costs)
    for e in np.lexsort((col, row, cost)):
        i, c = row[e], col[e]
        if seat_of[i] < 0 and load[c] < capacity[c]:
            seat_of[i] = c
            load[c] += 1


def _reach_phrase(r: MeetingRequest) -> str:
    if len(r.max_km) == 1:
        return f"within {r.max_km[0]:g} km"
    if len(set(r.max_km)) == 1:
        return f"within {r.max_km[0]:g} km of everyone"
    return f"within reach of everyone (as little as {min(r.max_km):g} km for some)"


def _wanted(r: MeetingRequest) -> str:
    words = (["quiet"] if r.wants_quiet else []) + (["step-free"] if r.needs_step_free else [])
    return " ".join([*words, "walk start" if r.walk else "venue"])


def _unplaced_reason(r: MeetingRequest, places: _VenueArrays) -> str:
    """The first rule that rules every venue out, or that the venues that fit are full."""
    when = slot_label(r.slot)
    noun = "walk start" if r.walk else "venue"
    fits = places.open[:, r.slot].copy()
    if not fits.any():
        return f"no venue is open on {when}"
    if r.walk:
        fits &= places.walk_start
        if not fits.any():
            return f"no walk start is open on {when}"
    near = np.flatnonzero(fits)
    d = haversine_km(np.radians(np.array(r.locations))[None, :, :], places.coords[near][:, None])
    fits[near] = (d <= np.array(r.max_km)).all(axis=1)
    if not fits.any():
        return f"no {noun} open on {when} is {_reach_phrase(r)}"
    if r.needs_step_free:
        fits &= places.step_free
        if not fits.any():
            return f"no step-free {noun} open on {when} is {_reach_phrase(r)}"
    if r.wants_quiet:
        fits &= places.quiet
        if not fits.any():
            return f"no {_wanted(r)} open on {when} is {_reach_phrase(r)}"
    return f"every {_wanted(r)} {_reach_phrase(r)} is full on {when}"


def _placed_reason(r: MeetingRequest, venue: Venue, farthest_km: float) -> str:
    traits = []
    if venue.quietness == "quiet":
        traits.append("quiet")
    if venue.step_free:
        traits.append("step-free")
    described = f" ({', '.join(traits)})" if traits else ""
    who = "you" if len(r.locations) == 1 else "any of you"
    start = "start at" if r.walk else "meet at"
    return (
        f"You {start} {venue.name}{described} on {slot_label(r.slot)}s, "
        f"{farthest_km:.1f} km at most from {who}"
    )
