"""The search behind :func:`matching.venues.place_meetings`: candidate venues, then the assignment.

Candidates come from one tree per (slot, needs); the assignment splits meetings that every
best placement seats (solved by the auction) from those competing for too few seats (an
exact sparse solve), then seats whoever is left where a fitting venue has room."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching, min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

from .feasibility import EARTH_RADIUS_KM, haversine_km
from .members import N_SLOTS
from .venue_types import QUIETNESS, MeetingRequest, Venue
from .volunteers import solve_transport

CANDIDATES = 24  # venues kept per meeting for the assignment: the nearest few, not the city


SEARCH_FACTOR = 2  # candidates are the cheapest of this many times as many nearest venues


NOISE_KM = 0.05  # km of travel per member that one level of noise costs: quieter wins ties


_REACH_SLACK = 1e-9  # the tree's chord and haversine_km may round a boundary venue apart


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
