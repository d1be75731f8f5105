"""Walking partners: pairs (a trio only where someone would otherwise walk alone)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
from sklearn.neighbors import BallTree
from sklearn.utils import check_random_state

from .blocks import block_similarity, feature_blocks, map_blocks
from .feasibility import (
    EARTH_RADIUS_KM,
    ONLINE,
    MemberArrays,
    first_slot,
    haversine_km,
    member_arrays,
    pair_keys,
    pair_ok,
)
from .members import Member, slot_label
from .quality import mean_similarity, member_scores, quality, top_k_bound
from .reasons import match_reason, slots_phrase
from .results import Match, PairingResult, Unplaced
from .threads import one_blas_thread
from .vectorize import ProfileVectorizer

Pairs = Iterable[tuple[Hashable, Hashable]]
PAIR_BLOCK = 400


@one_blas_thread
def pair_walkers(
    members: Sequence[Member],
    *,
    avoid: Pairs = (),
    prefer: Pairs = (),
    random_state=0,
    interest_names: Mapping[int, str] | None = None,
) -> PairingResult:
    """Pair members for regular walks, maximising total similarity.

    Hard rules: both meet in person (format "in_person" or "either" with a
    location), are within each other's ``max_km``, share a slot, walk at
    compatible paces (gentle-steady or steady-brisk, not gentle-brisk), share
    a language if both stated one, and are not an ``avoid`` pair. ``prefer``
    pairs get a 0.1 similarity bonus. Pairs are found by mutual-best greedy
    matching and improved by 2-exchanges; a member left over joins a pair as
    a trio when that pair can take them.
    """
    members = list(members)
    rng = check_random_state(random_state)
    arr = member_arrays(members)
    if not members:
        return PairingResult(matches=(), unplaced=(), quality=quality(0.0, 0.0))
    vectorizer = ProfileVectorizer().fit(members)
    X = vectorizer.transform(members)
    rarity = dict(zip(vectorizer.interest_ids_.tolist(), vectorizer.idf_.tolist(), strict=False))
    avoid_keys = pair_keys(avoid, arr.index)
    prefer_keys = pair_keys(prefer, arr.index)
    everyone = np.arange(len(members))
    walkers = everyone[(arr.format != ONLINE) & arr.has_location]
    found, left = pair_pool(
        X, arr, walkers, avoid_keys, prefer_keys, in_person=True, pace_rule=True, rng=rng
    )
    from .groups import build_matches  # local: groups imports this module

    matches = tuple(
        build_matches(
            members,
            arr,
            X,
            found,
            ["in_person"] * len(found),
            rarity,
            interest_names,
            groups=False,
        )
    )
    unplaced = [
        Unplaced(
            arr.ids[i],
            "walks meet in person and they chose online only"
            if arr.format[i] == ONLINE
            else "wants to walk but gave no location",
        )
        for i in everyone[(arr.format == ONLINE) | ~arr.has_location]
    ]
    unplaced += [
        Unplaced(arr.ids[i], walker_left_reason(arr, i, walkers, avoid_keys)) for i in left
    ]
    achieved = mean_similarity(X, found)
    bound = (
        top_k_bound(
            X,
            arr,
            found,
            ["in_person"] * len(found),
            walkers,
            avoid_keys,
            pace_rule=True,
            random_state=random_state,
        )
        if found
        else 0.0
    )
    return PairingResult(
        matches=matches, unplaced=tuple(unplaced), quality=quality(achieved, bound)
    )


def pair_pool(
    X: np.ndarray,
    arr: MemberArrays,
    idx: np.ndarray,
    avoid_keys: np.ndarray,
    prefer_keys: np.ndarray,
    *,
    in_person: bool,
    pace_rule: bool,
    rng: np.random.RandomState,
    block_size: int = PAIR_BLOCK,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Pairs (and trios for would-be loners) among ``idx``; returns (matches, leftovers)."""
    kw = dict(in_person=in_person, pace_rule=pace_rule)
    pairs: list[np.ndarray] = []
    rest = idx
    # Pair inside blocks, then once more across the leftovers of all blocks.
    for _ in range(2):
        if len(rest) < 2:
            break
        left: list[np.ndarray] = []
        for block in _pair_blocks(X, arr, rest, in_person, block_size, rng):
            S, ok = block_similarity(X, arr, block, avoid_keys, prefer_keys, **kw)
            mate = improve_pairs(S, ok, greedy_pairs(S, ok))
            first = np.flatnonzero(mate > np.arange(len(block)))
            pairs += [block[[a, mate[a]]] for a in first]
            left.append(block[mate < 0])
        rest = np.concatenate(left) if left else rest[:0]
    trios, rest = _attach_trios(X, arr, pairs, rest, avoid_keys, in_person, pace_rule)
    return [p for k, p in enumerate(pairs) if k not in trios] + list(trios.values()), rest


def _pair_blocks(X, arr, idx, in_person, block_size, rng) -> list[np.ndarray]:
    if len(idx) <= block_size:
        return [idx]
    if in_person:
        return map_blocks(arr.coords, idx, block_size)
    return feature_blocks(X.astype(np.float64), idx, block_size, rng)


def greedy_pairs(S: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Mutual-best greedy matching: the same pairs as taking heaviest edges first.

    Returns ``mate`` with ``mate[i] = j`` for pairs, -1 for the unmatched.
    """
    n = len(S)
    mate = np.full(n, -1, dtype=np.int64)
    W = np.where(ok, S, -np.inf)
    free = np.arange(n)
    while len(free) > 1:
        sub = W[np.ix_(free, free)]
        best = np.argmax(sub, axis=1)
        has = np.isfinite(sub[np.arange(len(free)), best])
        if not has.any():
            break
        mutual = has & (best[best] == np.arange(len(free)))
        a = free[mutual]
        mate[a] = free[best[mutual]]
        # Drop the matched and those with no feasible partner left.
        keep = ~mutual & has
        free = free[keep]
    return mate


def improve_pairs(S: np.ndarray, ok: np.ndarray, mate: np.ndarray, rounds: int = 20) -> np.ndarray:
    """Re-pair two pairs (a, b), (c, d) as (a, c), (b, d) when that raises total similarity."""
    mate = mate.copy()
    for _ in range(rounds):
        first = np.flatnonzero(mate > np.arange(len(mate)))
        if len(first) < 2:
            break
        a, b = first, mate[first]
        base = S[a, b]
        options = []
        # Pairs k=(a_k, b_k), l=(a_l, b_l) become (a_k, p_l), (b_k, q_l).
        for p, q in ((a, b), (b, a)):
            gain = (
                np.where(ok[np.ix_(a, p)], S[np.ix_(a, p)], -np.inf)
                + np.where(ok[np.ix_(b, q)], S[np.ix_(b, q)], -np.inf)
                - base[:, None]
                - base[None, :]
            )
            np.fill_diagonal(gain, -np.inf)
            options.append((gain, a, b, p, q))
        best_gain = np.full(len(first), -np.inf)
        best_opt = np.zeros(len(first), dtype=np.int64)
        best_l = np.zeros(len(first), dtype=np.int64)
        for o, (gain, *_rest) in enumerate(options):
            col = np.argmax(gain, axis=1)
            val = gain[np.arange(len(first)), col]
            better = val > best_gain
            best_gain[better], best_opt[better], best_l[better] = val[better], o, col[better]
        touched = np.zeros(len(first), dtype=bool)
        changed = False
        for k in np.argsort(-best_gain, kind="stable"):
            if best_gain[k] <= 1e-9:
                break
            lk = best_l[k]
            if touched[k] or touched[lk]:
                continue
            _, x, y, p, q = options[best_opt[k]]
            u, v, s, t = x[k], p[lk], y[k], q[lk]
            mate[u], mate[v], mate[s], mate[t] = v, u, t, s
            touched[[k, lk]] = True
            changed = True
        if not changed:
            break
    return mate


def _attach_trios(X, arr, pairs, rest, avoid_keys, in_person, pace_rule):
    """Give each leftover a pair to join, best similarity first, one extra per pair."""
    trios: dict[int, np.ndarray] = {}
    if len(rest) == 0 or not pairs:
        return trios, rest
    table = np.array(pairs)
    both = np.bitwise_and(arr.slots[table[:, 0]], arr.slots[table[:, 1]])
    tree = None
    if in_person:
        tree = BallTree(arr.coords[table[:, 0]], metric="haversine")
    still = []
    for i in rest:
        if tree is not None:
            cand = tree.query_radius(arr.coords[i : i + 1], r=arr.max_km[i] / EARTH_RADIUS_KM)[0]
        else:
            cand = np.arange(len(table))
        cand = cand[[k not in trios for k in cand]] if len(cand) else cand
        if len(cand):
            a, b = table[cand, 0], table[cand, 1]
            fine = (both[cand] & arr.slots[i]) != 0
            for other in (a, b):
                fine &= pair_ok(arr, np.full(len(cand), i), other, avoid_keys, in_person)
                if pace_rule:
                    pi, pj = arr.pace[i], arr.pace[other]
                    fine &= (pi < 0) | (pj < 0) | (np.abs(pi - pj) <= 1)
            cand = cand[fine]
        if len(cand) == 0:
            still.append(i)
            continue
        gain = X[table[cand]].astype(np.float64).sum(axis=1) @ X[i].astype(np.float64)
        k = int(cand[np.argmax(gain)])
        trios[k] = np.append(table[k], i)
    return trios, np.array(still, dtype=np.int64)


def walk_match(members, arr, X, idx, fmt, rarity, interest_names) -> Match:
    """A pair or trio as a :class:`Match` with its reason."""
    slot = first_slot(int(np.bitwise_and.reduce(arr.slots[idx])))
    distance = None
    if fmt == "in_person":
        a, b = np.meshgrid(idx, idx, indexing="ij")
        distance = float(haversine_km(arr.coords[a], arr.coords[b]).max())
    reason = match_reason(
        [members[i] for i in idx],
        slot,
        fmt,
        distance_km=distance,
        rarity=rarity,
        interest_names=interest_names,
    )
    return Match(
        kind="pair" if len(idx) == 2 else "trio",
        member_ids=tuple(arr.ids[i] for i in idx),
        slot=slot,
        slot_label=slot_label(slot),
        format=fmt,
        score=round(float(member_scores(X, [idx]).mean()), 6),
        reason=reason,
    )


def walker_left_reason(arr: MemberArrays, i: int, walkers: np.ndarray, avoid_keys) -> str:
    """Why a walker has no partner, from the partners who could have fitted."""
    km = f"{arr.max_km[i]:g} km"
    if arr.slots[i] == 0:
        return "gave no available times, so nobody can share a slot"
    phrase = slots_phrase(frozenset(s for s in range(21) if int(arr.slots[i]) >> s & 1))
    others = walkers[walkers != i]
    if len(others) == 0:
        return "nobody else asked for a walking partner"
    reach = haversine_km(arr.coords[np.full(len(others), i)], arr.coords[others])
    near = others[reach <= np.minimum(arr.max_km[i], arr.max_km[others])]
    if len(near) == 0:
        return f"nobody within {km} asked for a walking partner"
    fit = near[pair_ok(arr, np.full(len(near), i), near, avoid_keys, True)]
    if len(fit) == 0:
        return f"nobody within {km} shares {phrase}"
    pi, pj = arr.pace[i], arr.pace[fit]
    if not ((pi < 0) | (pj < 0) | (np.abs(pi - pj) <= 1)).any():
        return f"nobody within {km} who shares {phrase} walks at a similar pace"
    return f"everyone within {km} who shares {phrase} and your pace was already paired"
