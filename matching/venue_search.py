"""The search behind :func:`matching.venues.place_meetings`: candidate venues, then the assignment.

Candidates come from one k-d tree per (slot, needs), built once and reused. The assignment
splits meetings that every best placement seats (solved by the library's auction) from those
competing for too few seats (an exact sparse solve); the latter see every venue they can reach,
so the split, and the number placed, are those of the exact problem."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    maximum_flow,
    min_weight_full_bipartite_matching,
)
from scipy.spatial import cKDTree

from .feasibility import EARTH_RADIUS_KM, haversine_km
from .members import N_SLOTS
from .venue_types import QUIETNESS, MeetingRequest, Venue
from .volunteers import solve_transport

CANDIDATES = 24  # venues kept per meeting for the assignment: the nearest few, not the city


SEARCH_FACTOR = 2  # candidates are the cheapest of this many times as many nearest venues


NOISE_KM = 0.05  # km of travel per member that one level of noise costs: quieter wins ties


_REACH_SLACK = 1e-9  # the tree's chord and haversine_km may round a boundary venue apart


SOLVE_EDGES = 24  # a meeting's cheapest edges the solves see (the split sees them all)


COST_UNIT_KM = 0.01  # the exact solve of the short seats counts cost in 10 m steps


_OWN_SOLVE_SEATS = 400  # contested parts this large get their own exact solve, smaller share one


def _unit_vectors(coords: np.ndarray) -> np.ndarray:
    """Radian (lat, lon) to points on the unit sphere, where chord length orders distance."""
    lat, lon = coords[..., 0], coords[..., 1]
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def _chord(km: np.ndarray) -> np.ndarray:
    """The chord on the unit sphere of a great-circle distance (inf stays inf)."""
    return np.where(
        np.isfinite(km), 2 * np.sin(np.minimum(km / (2 * EARTH_RADIUS_KM), np.pi / 2)), np.inf
    )


def _needs(step_free: bool, quiet: bool, walk: bool) -> int:
    return int(step_free) | int(quiet) << 1 | int(walk) << 2


class _MeetingArrays:
    """Meeting columns, members padded to the largest meeting (padding reaches everywhere)."""

    def __init__(self, requests: Sequence[MeetingRequest]) -> None:
        n = len(requests)
        sizes = np.array([len(r.locations) for r in requests], dtype=np.int64)
        width = int(sizes.max(initial=1))
        self.slot = np.array([r.slot for r in requests], dtype=np.int64)
        self.present = np.arange(width) < sizes[:, None]
        coords = np.zeros((n, width, 2))
        self.limit = np.full((n, width), np.inf)
        if n:
            coords[self.present] = [p for r in requests for p in r.locations]
            self.limit[self.present] = [km for r in requests for km in r.max_km]
            coords[~self.present] = np.repeat(coords[:, 0], width - sizes, axis=0)
        # Tightest member first (padding, reaching everywhere, last): checks drop pairs sooner.
        order = np.argsort(self.limit, axis=1, kind="stable")
        self.limit = np.take_along_axis(self.limit, order, axis=1)
        self.present = np.take_along_axis(self.present, order, axis=1)
        self.coords = np.radians(np.take_along_axis(coords, order[..., None], axis=1))
        self.size = sizes
        self.needs = np.array(
            [_needs(r.needs_step_free, r.wants_quiet, r.walk) for r in requests], dtype=np.int64
        )
        # Geometry for the trees: members on the unit sphere, the chord each can travel,
        # the centre, and the member who can travel least.
        self.unit = _unit_vectors(self.coords)
        self.reach = _chord(self.limit)  # checked exactly: a venue past max_km is out
        centre = np.where(self.present[..., None], self.unit, 0.0).sum(axis=1)
        self.centre = centre / np.maximum(np.linalg.norm(centre, axis=1, keepdims=True), 1e-12)
        self.tight_at = self.unit[:, 0] if n else np.zeros((0, 3))
        # The trees' radii get a little slack; the exact check comes after.
        self.tight_reach = (
            self.reach[:, 0] * (1 + _REACH_SLACK) + _REACH_SLACK if n else np.zeros(0)
        )
        # Any venue the tightest member reaches lies within this chord of the centre.
        self.bound = np.linalg.norm(self.centre - self.tight_at, axis=1) + self.tight_reach


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
        self.unit = _unit_vectors(self.coords)

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


class _VenueSearch:
    """Every meeting's feasible venues: the nearest few for all, every one for those who ask.

    One :class:`scipy.spatial.cKDTree` per (slot, needs) holds the venues open then that
    meet those needs; meetings are searched a whole group at a time. Edges number their
    columns ``venue * N_SLOTS + slot``.
    """

    def __init__(self, meets: _MeetingArrays, places: _VenueArrays, noise_km: float) -> None:
        self.meets, self.places, self.noise_km = meets, places, noise_km
        key = meets.slot * 8 + meets.needs
        self._order = np.argsort(key, kind="stable")
        self._keys, self._starts = np.unique(key[self._order], return_index=True)
        self._trees: dict[int, tuple[cKDTree | None, np.ndarray]] = {}

    def _tree(self, key: int) -> tuple[cKDTree | None, np.ndarray]:
        if key not in self._trees:
            slot, needs = divmod(key, 8)
            where = np.flatnonzero(self.places.open[:, slot] & self.places.serve(needs))
            tree = cKDTree(self.places.unit[where]) if len(where) else None
            self._trees[key] = (tree, where)
        return self._trees[key]

    def _groups(self, mask: np.ndarray | None = None):
        """(key, meetings) for each (slot, needs), optionally only meetings in ``mask``."""
        ends = np.append(self._starts[1:], len(self._order))[: len(self._starts)]
        for key, a, b in zip(self._keys.tolist(), self._starts, ends, strict=True):
            who = self._order[a:b]
            if mask is not None:
                who = who[mask[who]]
            if len(who):
                yield key, who

    def nearest(self, pool: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each meeting's feasible venues among the ``pool`` nearest its centre.

        Returns rows, cols, cost (rows sorted, cost ascending within a row) and, per
        meeting, whether that search already saw every venue the meeting can reach.
        """
        meets, places = self.meets, self.places
        n = len(meets.slot)
        complete = np.ones(n, dtype=bool)
        # One row of ``pool`` slots per meeting, each row cost-sorted as it is filled, so the
        # edges come out in order without a sort over all of them.
        venue_of = np.zeros((n, pool), dtype=np.int64)
        cost_of = np.full((n, pool), np.inf)
        for key, who in self._groups():
            tree, where = self._tree(key)
            if tree is None:
                continue
            k = min(pool, len(where))
            _, found = tree.query(
                meets.centre[who], k=k, distance_upper_bound=float(meets.bound[who].max())
            )
            found = np.asarray(found).reshape(len(who), k)
            ok = found < len(where)
            complete[who] = ok.sum(axis=1) < k
            venue = where[np.minimum(found, len(where) - 1)]
            at = places.unit[venue]
            travel = np.zeros(found.shape)
            # Member by member on the (meetings, venues) block, tightest member first.
            for p in range(meets.unit.shape[1]):
                live = meets.present[who, p]
                if not live.any():
                    break  # members are sorted, so nobody here has a member past p
                gap = at - meets.unit[who, p][:, None, :]
                chord = np.sqrt(np.einsum("gkj,gkj->gk", gap, gap))
                ok &= chord <= meets.reach[who, p][:, None]
                km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))
                travel += np.where(live[:, None], km, 0.0)
            cost = travel + self.noise_km * meets.size[who, None] * places.noise[venue]
            cost = np.where(ok, cost, np.inf)
            order = np.argsort(cost, axis=1, kind="stable")
            cost_of[who, :k] = np.take_along_axis(cost, order, axis=1)
            venue_of[who, :k] = np.take_along_axis(venue * N_SLOTS + key // 8, order, axis=1)
        found_any = np.isfinite(cost_of)
        rows = np.repeat(np.arange(n), found_any.sum(axis=1))
        return rows, venue_of[found_any], cost_of[found_any], complete

    def within_reach(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every feasible venue of the meetings in ``mask`` (a ball around the tightest member)."""
        parts = []
        for key, who in self._groups(mask):
            tree, where = self._tree(key)
            if tree is None:
                continue
            found = tree.query_ball_point(
                self.meets.tight_at[who], r=self.meets.tight_reach[who], return_sorted=False
            )
            counts = np.fromiter(map(len, found), dtype=np.int64, count=len(who))
            venue = np.concatenate([*found, []]).astype(np.int64)
            parts.append(self._check(np.repeat(who, counts), where[venue], key))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        rows, cols, cost = (np.concatenate(part) for part in zip(*parts, strict=True))
        return rows, cols, cost

    def _check(
        self, rows: np.ndarray, venue: np.ndarray, key: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keep the (meeting, venue) pairs every member reaches; cost is travel plus noise."""
        meets, at = self.meets, self.places.unit[venue]
        travel = np.zeros(len(rows))
        # Member by member, tightest first, dropping pairs as soon as someone cannot reach.
        for p in range(meets.unit.shape[1]):
            live = np.flatnonzero(meets.present[rows, p])
            gap = meets.unit[rows[live], p] - at[live]
            chord = np.sqrt(np.einsum("ij,ij->i", gap, gap))
            ok = np.ones(len(rows), dtype=bool)
            ok[live] = chord <= meets.reach[rows[live], p]
            travel[live] += 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))
            rows, venue, at, travel = rows[ok], venue[ok], at[ok], travel[ok]
        cost = travel + self.noise_km * meets.size[rows] * self.places.noise[venue]
        return rows, venue * N_SLOTS + key // 8, cost


def _assign(search: _VenueSearch, n: int, capacity: np.ndarray, candidates: int) -> np.ndarray:
    """The venue slot (column) each meeting takes, ``-1`` for none.

    Each meeting starts with its ``candidates`` cheapest venues among the
    ``SEARCH_FACTOR * candidates`` nearest. :func:`_split_contested` then finds
    the meetings some maximum placement leaves out; those get every venue
    they can reach (a ball query on the tightest member's reach), and the
    split is redone until every meeting it calls contested sees all its
    venues. At that point no far venue can seat one more meeting, so the
    number placed is the exact maximum. The auction
    (:func:`matching.volunteers.solve_transport`) seats the rest, who can all
    be seated; :func:`_fill_short_seats` fills the short seats exactly.
    """
    pool_rows, pool_cols, pool_cost, complete = search.nearest(SEARCH_FACTOR * candidates)
    start = np.searchsorted(pool_rows, np.arange(n))
    keep = np.arange(len(pool_rows)) - start[pool_rows] < candidates
    rows, cols, cost = pool_rows[keep], pool_cols[keep], pool_cost[keep]
    full = np.zeros(n, dtype=bool)  # meetings whose edges are every venue they can reach
    while True:
        short_rows, short_cols, seated = _split_contested(rows, cols, n, capacity)
        grow = short_rows & ~full
        if not grow.any():
            break
        # Complete searches already hold every reachable venue; the others ask the trees.
        whole = grow & complete
        wide = search.within_reach(grow & ~complete)
        again = np.flatnonzero(whole[pool_rows])
        stay = np.flatnonzero(~grow[rows])
        rows, cols, cost = (
            np.concatenate(part)
            for part in zip(
                (rows[stay], cols[stay], cost[stay]),
                (pool_rows[again], pool_cols[again], pool_cost[again]),
                wide,
                strict=True,
            )
        )
        order = np.argsort(rows, kind="stable")
        rows, cols, cost = rows[order], cols[order], cost[order]
        full |= grow
    seat_of = np.full(n, -1, dtype=np.int64)
    if len(rows) == 0:
        return seat_of
    # The split needed every edge; the solves need only the cheapest few of each meeting
    # plus those of one maximum placement, which keep the same number placeable.
    # Only widened meetings have more; theirs are sorted by cost here, the rest already are.
    taken = np.isin(rows * len(capacity) + cols, seated)
    widened = np.flatnonzero(full[rows])
    by_cost = widened[np.lexsort((cost[widened], rows[widened]))]
    rank = np.zeros(len(rows), dtype=np.int64)
    rank[by_cost] = np.arange(len(by_cost)) - np.searchsorted(rows[by_cost], rows[by_cost])
    # Each venue slot keeps its cheapest few too: a far seat that must be filled then goes
    # to the meeting nearest it, not to whichever meeting the maximum flow put there.
    by_col = widened[np.lexsort((cost[widened], cols[widened]))]
    col_rank = np.zeros(len(rows), dtype=np.int64)
    col_rank[by_col] = np.arange(len(by_col)) - np.searchsorted(cols[by_col], cols[by_col])
    keep = np.flatnonzero((rank < SOLVE_EDGES) | (col_rank < SOLVE_EDGES) | taken)
    rows, cols, cost = rows[keep], cols[keep], cost[keep]
    outside = np.flatnonzero(~short_rows[rows] & ~short_cols[cols])
    if len(outside):
        # Only the rows present, so a meeting with many edges does not widen every row.
        present, dense = np.unique(rows[outside], return_inverse=True)
        scale = float(cost[outside].max()) * (1 + 1e-9) + 1e-12
        chosen = outside[
            solve_transport(
                dense, cols[outside], 1.0 - cost[outside] / scale, len(present), capacity
            )
        ]
        seat_of[rows[chosen]] = cols[chosen]
    contested = np.flatnonzero(short_rows[rows] & short_cols[cols])
    if len(contested):
        chosen = contested[
            _fill_short_seats(rows[contested], cols[contested], cost[contested], capacity)
        ]
        seat_of[rows[chosen]] = cols[chosen]
    return seat_of


def _fill_short_seats(
    rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Indices of the chosen edges where every seat of every venue slot ends filled.

    Every seat must be taken, so this is a full matching of the seats into
    the meetings, solved at least cost (in steps of ``COST_UNIT_KM``) by
    scipy's sparse LAPJV
    (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`), once
    per connected part: on a rectangular problem it scans every meeting at
    each step of its shortest-path search, so two slots solved apart take
    about half the time of both at once. The auction struggles here: forward, the
    short seats' prices must climb to the placement weight in steps of about
    its epsilon before the meetings left out give up; transposed, the copies
    of one venue slot's seats outbid one another in the same small steps;
    with epsilon scaling the coarse phases overshoot and meetings that
    belong in a seat give up.
    """
    meeting, row = np.unique(rows, return_inverse=True)
    column, col = np.unique(cols, return_inverse=True)
    n_parts, label = connected_components(
        sparse.csr_array(
            (np.ones(len(rows)), (row, len(meeting) + col)),
            shape=(len(meeting) + len(column),) * 2,
        ),
        directed=False,
    )
    part_seats = np.bincount(label[len(meeting) :], weights=capacity[column], minlength=n_parts)
    part = label[row]
    # Small parts share one solve: a call per part would cost more than it saves.
    part = np.where(part_seats[part] >= _OWN_SOLVE_SEATS, part, -1)
    seats = capacity[cols].astype(np.int64)
    chosen = []
    for p in np.unique(part).tolist():
        idx = np.flatnonzero(part == p)
        chosen.append(idx[_full_seat_matching(rows[idx], cols[idx], cost[idx], seats[idx])])
    return np.concatenate(chosen)


def _full_seat_matching(
    row: np.ndarray, col: np.ndarray, cost: np.ndarray, seats: np.ndarray
) -> np.ndarray:
    """Indices of the edges of a least-cost matching that fills every seat of every column."""
    meeting, r = np.unique(row, return_inverse=True)
    column, c = np.unique(col, return_inverse=True)
    per_col = np.zeros(len(column), dtype=np.int64)
    per_col[c] = seats
    first_seat = np.cumsum(per_col) - per_col
    edge = np.repeat(np.arange(len(r)), seats)
    seat = first_seat[c[edge]] + _ranges(seats)
    # Costs in whole units of COST_UNIT_KM, shifted off zero (an explicit zero would still
    # be an edge, but keep it plain). Whole units let the solver settle many meetings at one
    # distance per scan instead of one: 5 times faster at 20,000 meetings with evening venues
    # scarce. Rounding moves any placement's cost by at most half a unit per seat, so the
    # result is within one unit per seat of the least cost.
    weight = np.round(cost[edge] / COST_UNIT_KM) + 1.0
    graph = sparse.csr_array((weight, (seat, r[edge])), shape=(int(per_col.sum()), len(meeting)))
    seat_idx, row_idx = min_weight_full_bipartite_matching(graph)
    # Map each (seat, meeting) pair back to its edge.
    key = seat * len(meeting) + r[edge]
    order = np.argsort(key, kind="stable")
    found = order[np.searchsorted(key[order], seat_idx.astype(np.int64) * len(meeting) + row_idx)]
    return edge[found]


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``0..c-1`` for each ``c`` in ``counts``, concatenated."""
    ends = np.cumsum(counts)
    return np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts, counts)


def _split_contested(
    rows: np.ndarray, cols: np.ndarray, n: int, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Meetings some maximum placement leaves out, the venue slots they reach, and one
    maximum placement (as keys ``meeting * len(capacity) + venue slot``).

    A maximum flow (Dinic's, :func:`scipy.sparse.csgraph.maximum_flow`: source to
    each meeting, meeting to venue slot, venue slot to sink with its capacity)
    seats the most meetings these edges can. The meetings reachable from an
    unseated one by alternating paths (the Gallai-Edmonds set) are exactly
    those some maximum placement leaves out; the venue slots they reach are
    full in every maximum placement and held by those meetings only. So the
    problem splits in two: those meetings on those venue slots, where every
    seat is filled, and everyone else, who is seated in every maximum
    placement. Both sets are the same whichever maximum flow is found, so the
    result does not depend on it. The alternating paths are one
    breadth-first search of the residual graph from the source. (Hopcroft-Karp
    on one column per seat took 15 times as long at 20,000 meetings with
    evening venues scarce, where the alternating paths are long.)
    """
    m = len(capacity)
    source, sink = n + m, n + m + 1
    used = np.unique(cols)
    graph = sparse.csr_array(
        (
            np.concatenate([np.ones(n + len(rows)), capacity[used]]).astype(np.int32),
            (
                np.concatenate([np.full(n, source), rows, n + used]),
                np.concatenate([np.arange(n), n + cols, np.full(len(used), sink)]),
            ),
        ),
        shape=(sink + 1, sink + 1),
    )
    flow = maximum_flow(graph, source, sink, method="dinic").flow
    pairs = flow.tocoo()
    mine = (pairs.data > 0) & (pairs.row < n)  # meeting to venue slot, carrying flow
    seated = pairs.row[mine].astype(np.int64) * m + (pairs.col[mine] - n)
    residual = (graph - flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    reached = np.zeros(sink + 1, dtype=bool)
    reached[breadth_first_order(residual, source, directed=True, return_predecessors=False)] = True
    return reached[:n], reached[n:source], seated


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
