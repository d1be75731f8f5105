"""Volunteer placements: members to opportunities, never over capacity."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
from sklearn.neighbors import BallTree

from .auction import auction
from .feasibility import (
    EARTH_RADIUS_KM,
    IN_PERSON,
    ONLINE,
    first_slot,
    haversine_km,
    member_arrays,
    pair_keys,
    pairs_in,
    slot_mask,
)
from .members import Member, Opportunity, slot_label
from .quality import quality
from .reasons import placement_reason, slots_phrase
from .results import AssignmentResult, Match, Unplaced
from .vectorize import ProfileVectorizer

Pairs = Iterable[tuple[Hashable, Hashable]]
CANDIDATES = 30
AUCTION_EPS = 5e-4  # total fit within n * eps of the optimum on the candidate edges
PLACEMENT_WEIGHT = 10.0  # placing one more person outweighs any fit it may cost others


def assign_volunteers(
    members: Sequence[Member],
    opportunities: Sequence[Opportunity],
    *,
    avoid: Pairs = (),
    random_state=0,
    interest_names: Mapping[int, str] | None = None,
    vectorizer=None,
) -> AssignmentResult:
    """Place volunteers so that as many as possible are placed, then total fit is maximal.

    Fit (0..1) = 0.8 interest cosine (TF-IDF on shared interest ids) + 0.1
    shared-slot breadth + 0.1 closeness. Hard rules: comfort at least the
    opportunity's ``min_comfort``, a shared slot, formats compatible
    (in-person opportunities need a member who meets in person and lives
    within ``max_km``), capacities respected, no ``avoid`` pair placed at the
    same opportunity. Each volunteer keeps their best ``CANDIDATES``
    opportunities; the assignment on those edges is solved by an auction to
    within ``n * AUCTION_EPS`` of the optimum (see :func:`solve_transport`),
    then any place still free goes to whoever still fits it. ``random_state`` is accepted for
    a uniform API; the result does not depend on it. ``vectorizer`` is a
    fitted vectorizer whose ``interest_ids_`` and ``idf_`` weigh interests
    (e.g. a :class:`matching.FeedbackVectorizer`); None fits a
    ProfileVectorizer on ``members``.
    """
    members = list(members)
    opportunities = list(opportunities)
    for o in opportunities:
        if not isinstance(o, Opportunity):
            raise ValueError(f"expected matching.Opportunity instances, got {type(o).__name__}")
    if len({o.id for o in opportunities}) != len(opportunities):
        raise ValueError("opportunity ids must be unique")
    arr = member_arrays(members)
    if not members or not opportunities:
        return AssignmentResult(
            matches=(),
            unplaced=tuple(Unplaced(m.id, "no opportunities were offered") for m in members),
            quality=quality(0.0, 0.0),
        )
    if vectorizer is None:
        vectorizer = ProfileVectorizer().fit(members)
    rarity = dict(zip(vectorizer.interest_ids_.tolist(), vectorizer.idf_.tolist(), strict=False))
    everything = candidate_fits(members, opportunities, vectorizer, arr)
    all_rows, all_cols, all_fit = everything
    rows, cols, fit = _keep_best(all_rows, all_cols, all_fit, len(members), CANDIDATES)
    capacity = np.array([o.capacity for o in opportunities], dtype=np.float64)
    chosen = solve_transport(rows, cols, fit, len(members), capacity)
    rows, cols, fit = rows[chosen], cols[chosen], fit[chosen]
    avoid_keys = pair_keys(avoid, arr.index)
    rows, cols, fit, bumped = _separate_avoided(
        rows, cols, fit, avoid_keys, len(members), everything, capacity
    )
    rows, cols, fit = _fill_spare_places(
        rows, cols, fit, avoid_keys, len(members), everything, capacity
    )
    bumped -= set(rows.tolist())

    opp_slots = np.array([slot_mask(o.slots) for o in opportunities], dtype=np.int64)
    opp_coords = np.radians([o.location or (0.0, 0.0) for o in opportunities])
    matches = []
    for i, j, f in sorted(
        zip(rows.tolist(), cols.tolist(), fit.tolist(), strict=False), key=lambda t: t[1]
    ):
        o = opportunities[j]
        slot = first_slot(int(arr.slots[i] & opp_slots[j]))
        distance = None
        if o.location is not None:
            distance = float(haversine_km(arr.coords[i], opp_coords[j]))
        matches.append(
            Match(
                kind="placement",
                member_ids=(arr.ids[i],),
                slot=slot,
                slot_label=slot_label(slot),
                format="online" if o.location is None else "in_person",
                score=round(f, 6),
                reason=placement_reason(
                    members[i],
                    o,
                    slot,
                    distance_km=distance,
                    rarity=rarity,
                    interest_names=interest_names,
                ),
                opportunity_id=o.id,
            )
        )
    placed = np.zeros(len(members), dtype=bool)
    placed[rows] = True
    opp_arrays = _OpportunityArrays(opportunities)
    unplaced = [
        Unplaced(arr.ids[i], _left_reason(members[i], opp_arrays, bumped, i))
        for i in np.flatnonzero(~placed)
    ]
    best = np.zeros(len(members))
    np.maximum.at(best, everything[0], everything[2])
    achieved = float(fit.mean()) if len(fit) else 0.0
    bound = float(best[rows].mean()) if len(rows) else 0.0
    return AssignmentResult(
        matches=tuple(matches), unplaced=tuple(unplaced), quality=quality(achieved, bound)
    )


def candidate_fits(members, opportunities, vectorizer, arr=None):
    """All feasible (member, opportunity) edges and their fit, as three arrays.

    In-person opportunities are found with a haversine BallTree query within
    each member's ``max_km``; online ones are checked against everyone.
    """
    arr = arr if arr is not None else member_arrays(members)
    n = len(members)
    k = len(vectorizer.interest_ids_)
    member_vec = _interest_rows(members, vectorizer)
    opp_vec = _interest_rows(opportunities, vectorizer)
    opp_slots = np.array([slot_mask(o.slots) for o in opportunities], dtype=np.int64)
    min_comfort = np.array([o.min_comfort for o in opportunities])
    online = np.array([o.location is None for o in opportunities])
    in_person_opps = np.flatnonzero(~online)
    online_opps = np.flatnonzero(online)
    rows_parts, cols_parts = [], []
    walkers = np.flatnonzero((arr.format != ONLINE) & arr.has_location)
    if len(in_person_opps) and len(walkers):
        coords = np.radians([opportunities[j].location for j in in_person_opps])
        tree = BallTree(coords, metric="haversine")
        found = tree.query_radius(arr.coords[walkers], r=arr.max_km[walkers] / EARTH_RADIUS_KM)
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        rows_parts.append(np.repeat(walkers, counts))
        cols_parts.append(
            in_person_opps[np.concatenate(found)] if counts.sum() else np.zeros(0, dtype=np.int64)
        )
    remote = np.flatnonzero(arr.format != IN_PERSON)
    if len(online_opps) and len(remote):
        rows_parts.append(np.repeat(remote, len(online_opps)))
        cols_parts.append(np.tile(online_opps, len(remote)))
    rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols_parts) if cols_parts else np.zeros(0, dtype=np.int64)
    shared = arr.slots[rows] & opp_slots[cols]
    keep = (shared != 0) & (arr.comfort[rows] >= min_comfort[cols])
    keep &= np.array([o.capacity for o in opportunities])[cols] > 0
    rows, cols, shared = rows[keep], cols[keep], shared[keep]
    interest = np.zeros(len(rows))
    if k and len(rows):
        # One dense product (members x opportunities, float32) beats gathering per edge.
        dense = member_vec.astype(np.float32) @ opp_vec.astype(np.float32).T
        interest = dense[rows, cols].astype(np.float64)
        del dense
    # Two or more shared slots give room to reschedule: full marks; one gives half.
    breadth = np.where((shared & (shared - 1)) != 0, 1.0, 0.5)
    closeness = np.full(len(rows), 0.5)
    near = ~online[cols]
    if near.any():
        opp_coords = np.radians([o.location or (0.0, 0.0) for o in opportunities])
        d = haversine_km(arr.coords[rows[near]], opp_coords[cols[near]])
        closeness[near] = 1.0 - d / np.maximum(arr.max_km[rows[near]], 1e-9)
    fit = 0.8 * interest + 0.1 * breadth + 0.1 * np.clip(closeness, 0.0, 1.0)
    del n
    return rows, cols, fit


def _interest_rows(items, vectorizer) -> np.ndarray:
    ids = vectorizer.interest_ids_
    out = np.zeros((len(items), len(ids)))
    for r, item in enumerate(items):
        wanted = np.array(sorted(item.interests), dtype=np.int64)
        if len(ids) == 0 or len(wanted) == 0:
            continue
        pos = np.searchsorted(ids, wanted).clip(0, len(ids) - 1)
        known = ids[pos] == wanted
        out[r, pos[known]] = vectorizer.idf_[pos[known]]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=out, where=norms > 0)


def _keep_best(rows, cols, fit, n, k):
    """Each member's ``k`` best opportunities (ties broken by opportunity order)."""
    order = np.lexsort((cols, -fit, rows))
    rows, cols, fit = rows[order], cols[order], fit[order]
    start = np.searchsorted(rows, np.arange(n))
    rank = np.arange(len(rows)) - start[rows]
    keep = rank < k
    return rows[keep], cols[keep], fit[keep]


def solve_transport(rows, cols, fit, n_members, capacity) -> np.ndarray:
    """Boolean mask of the chosen edges: most placements first, then most total fit.

    Runs the vectorised auction (:mod:`matching.auction`) on each member's
    candidate edges, with value ``fit + PLACEMENT_WEIGHT`` so that placing
    one more person always beats a better fit for someone else.
    ``rows`` must be sorted (as :func:`_keep_best` returns them).
    """
    if len(rows) == 0:
        return np.zeros(0, dtype=bool)
    start = np.searchsorted(rows, np.arange(n_members))
    rank = np.arange(len(rows)) - start[rows]
    width = int(rank.max()) + 1
    cand = np.full((n_members, width), -1, dtype=np.int64)
    value = np.zeros((n_members, width))
    cand[rows, rank] = cols
    value[rows, rank] = fit + PLACEMENT_WEIGHT
    owner = auction(
        cand,
        value,
        np.asarray(capacity, dtype=np.int64),
        eps_start=AUCTION_EPS,
        eps_final=AUCTION_EPS,
    )
    return owner[rows] == cols


def _separate_avoided(rows, cols, fit, avoid_keys, n, candidates, capacity):
    """Keep avoid pairs apart: bump the lower-fit one, then reseat them where there is room.

    ``candidates`` are all feasible (rows, cols, fit) edges, so a bumped
    volunteer can move to any opportunity that fits them and still has room.
    """
    bumped: set[int] = set()
    if len(avoid_keys) == 0 or len(rows) == 0:
        return rows, cols, fit, bumped
    keep = np.ones(len(rows), dtype=bool)
    by_opp: dict[int, list[int]] = {}
    for e in np.argsort(-fit, kind="stable"):
        seated = by_opp.setdefault(int(cols[e]), [])
        members = np.array([rows[x] for x in seated], dtype=np.int64)
        if len(seated) and pairs_in(avoid_keys, np.full(len(seated), rows[e]), members, n).any():
            keep[e] = False
            bumped.add(int(rows[e]))
        else:
            seated.append(int(e))
    load = np.bincount(cols[keep], minlength=len(capacity))
    seated_at = {j: [int(rows[x]) for x in xs] for j, xs in by_opp.items()}
    extra_rows, extra_cols, extra_fit = [], [], []
    c_rows, c_cols, c_fit = candidates

    def try_seat(i: int, j: int, e: int) -> bool:
        """Seat i at j (candidate edge e) if there is room and nobody there to avoid."""
        others = np.array(seated_at.get(j, []), dtype=np.int64)
        if load[j] >= capacity[j]:
            return False
        if len(others) and pairs_in(avoid_keys, np.full(len(others), i), others, n).any():
            return False
        load[j] += 1
        seated_at.setdefault(j, []).append(i)
        extra_rows.append(i)
        extra_cols.append(j)
        extra_fit.append(c_fit[e])
        return True

    for i in sorted(bumped):
        mine = np.flatnonzero(c_rows == i)
        for e in mine[np.argsort(-c_fit[mine], kind="stable")]:
            if try_seat(i, int(c_cols[e]), int(e)):
                break
    # Seats freed by a bump go to anyone else who fits there, best fit first.
    placed = set(rows[keep].tolist()) | set(extra_rows)
    freed = {int(cols[e]) for e in np.flatnonzero(~keep)}
    for j in sorted(freed):
        edges = np.flatnonzero(c_cols == j)
        for e in edges[np.argsort(-c_fit[edges], kind="stable")]:
            if load[j] >= capacity[j]:
                break
            i = int(c_rows[e])
            if i not in placed and try_seat(i, j, int(e)):
                placed.add(i)
    bumped -= set(extra_rows)
    rows = np.concatenate([rows[keep], np.array(extra_rows, dtype=np.int64)])
    cols = np.concatenate([cols[keep], np.array(extra_cols, dtype=np.int64)])
    fit = np.concatenate([fit[keep], np.array(extra_fit, dtype=np.float64)])
    return rows, cols, fit, bumped


def _fill_spare_places(rows, cols, fit, avoid_keys, n, candidates, capacity):
    """Seat anyone still unplaced at a fitting opportunity with room, best fit first.

    The exact solve only sees each member's best ``CANDIDATES`` opportunities;
    this pass makes sure nobody is left out while any opportunity that fits
    them has a free place.
    """
    c_rows, c_cols, c_fit = candidates
    load = np.bincount(cols, minlength=len(capacity)).astype(np.int64)
    placed = np.zeros(n, dtype=bool)
    placed[rows] = True
    open_edges = np.flatnonzero(~placed[c_rows] & (load[c_cols] < capacity[c_cols]))
    if len(open_edges) == 0:
        return rows, cols, fit
    seated: dict[int, list[int]] = {}
    if len(avoid_keys):
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            seated.setdefault(j, []).append(i)
    extra = []
    for e in open_edges[np.argsort(-c_fit[open_edges], kind="stable")]:
        i, j = int(c_rows[e]), int(c_cols[e])
        if placed[i] or load[j] >= capacity[j]:
            continue
        if len(avoid_keys):
            others = np.array(seated.get(j, []), dtype=np.int64)
            if len(others) and pairs_in(avoid_keys, np.full(len(others), i), others, n).any():
                continue
            seated.setdefault(j, []).append(i)
        placed[i] = True
        load[j] += 1
        extra.append(e)
    extra_idx = np.array(extra, dtype=np.int64)
    return (
        np.concatenate([rows, c_rows[extra_idx]]),
        np.concatenate([cols, c_cols[extra_idx]]),
        np.concatenate([fit, c_fit[extra_idx]]),
    )


class _OpportunityArrays:
    """Opportunity columns for explaining why a volunteer was not placed."""

    def __init__(self, opportunities):
        self.min_comfort = np.array([o.min_comfort for o in opportunities])
        self.slots = np.array([slot_mask(o.slots) for o in opportunities], dtype=np.int64)
        self.online = np.array([o.location is None for o in opportunities])
        self.coords = np.radians([o.location or (0.0, 0.0) for o in opportunities])


def _left_reason(member: Member, opps: _OpportunityArrays, bumped, i) -> str:
    if i in bumped:
        return "the only places that fitted were shared with someone they asked not to meet"
    if not member.slots:
        return "gave no available times"
    comfortable = opps.min_comfort <= member.comfort
    if not comfortable.any():
        return "every opportunity asks for more social confidence for now"
    timed = comfortable & ((opps.slots & slot_mask(member.slots)) != 0)
    if not timed.any():
        return f"no opportunity runs in {slots_phrase(member.slots)}"
    if member.format == "online":
        fitting = timed & opps.online
        where = "online"
    else:
        fitting = timed & opps.online & (member.format != "in_person")
        if member.location is not None:
            d = haversine_km(np.radians(member.location)[None, :], opps.coords)
            fitting |= timed & ~opps.online & (d <= member.max_km)
        where = f"within {member.max_km:g} km"
    if not fitting.any():
        return f"no opportunity {where} runs in {slots_phrase(member.slots)}"
    return f"every opportunity {where} that fits their times was full"
