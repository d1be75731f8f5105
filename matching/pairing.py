"""Pairs among a pool of members, with a trio only where someone would otherwise be left alone.

The search behind both :func:`matching.pair_walkers` and the "one_on_one"
members of :func:`matching.group_members`: mutual-best greedy pairs inside
blocks, improved by 2-exchanges, then a leftover joins a pair that can take them.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import BallTree

from .blocks import block_similarity, feature_blocks, map_blocks
from .feasibility import EARTH_RADIUS_KM, MemberArrays, pair_ok

PAIR_BLOCK = 400


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
    keep_preferred: bool = False,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Pairs (and trios for would-be loners) among ``idx``; returns (matches, leftovers).

    ``keep_preferred`` first pairs again those ``prefer_keys`` pairs that every
    hard rule still allows (walking partners who both asked to walk together
    again); otherwise a preferred pair only gets a similarity bonus.
    """
    kw = dict(in_person=in_person, pace_rule=pace_rule)
    pairs: list[np.ndarray] = []
    rest = idx
    if keep_preferred and len(prefer_keys):
        pairs, rest = kept_pairs(X, arr, idx, avoid_keys, prefer_keys, in_person, pace_rule)
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


def kept_pairs(
    X: np.ndarray,
    arr: MemberArrays,
    idx: np.ndarray,
    avoid_keys: np.ndarray,
    prefer_keys: np.ndarray,
    in_person: bool,
    pace_rule: bool,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Preferred pairs within ``idx`` that meet every rule, each member at most once.

    A member with several such partners keeps the most similar one. Returns
    (pairs, the rest of ``idx``).
    """
    n = max(len(arr.ids), 1)
    a, b = prefer_keys // n, prefer_keys % n
    pool = np.zeros(len(arr.ids), dtype=bool)
    pool[idx] = True
    a, b = a[pool[a] & pool[b]], b[pool[a] & pool[b]]
    fine = pair_ok(arr, a, b, avoid_keys, in_person)
    if pace_rule:
        fine &= (arr.pace[a] < 0) | (arr.pace[b] < 0) | (np.abs(arr.pace[a] - arr.pace[b]) <= 1)
    a, b = a[fine], b[fine]
    similarity = np.einsum("ij,ij->i", X[a].astype(np.float64), X[b].astype(np.float64))
    taken = np.zeros(len(arr.ids), dtype=bool)
    pairs = []
    for k in np.argsort(-similarity, kind="stable"):
        if not (taken[a[k]] or taken[b[k]]):
            taken[[a[k], b[k]]] = True
            pairs.append(np.array([a[k], b[k]], dtype=np.int64))
    return pairs, idx[~taken[idx]]


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
