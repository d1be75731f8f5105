"""Greedy seeding and swap/move local search for size-constrained groups in one block.

Everything works on a dense block similarity matrix ``S`` in which pairs
that may not meet carry a large penalty, so a move that would seat them
together always loses and never needs a separate check. The objective is
the sum over groups of ``P_g / (n_g - 1)`` where ``P_g`` is the sum of the
similarities of all pairs in group ``g``: twice that, divided by the number
of members, is the mean over members of their mean similarity to
group-mates. With ``T = S @ onehot(labels)``, every swap and move is scored
exactly from ``T``, ``P`` and the sizes, for all candidates at once.
"""

from __future__ import annotations

import numpy as np

from .blocks import group_sums
from .feasibility import SLOT_BITS

PENALTY = -1000.0
INSERT_PRIORITY = 100.0
EPS = 1e-9


def slot_matrix(masks: np.ndarray) -> np.ndarray:
    """(n, 21) 0/1 matrix of each member's slots."""
    return ((masks[:, None] & SLOT_BITS) != 0).astype(np.int32)


def greedy_groups(
    S: np.ndarray,
    ok: np.ndarray,
    masks: np.ndarray,
    shy: np.ndarray,
    *,
    min_size: int,
    max_size: int,
    small_cap: int,
    target: int,
    rng: np.random.RandomState,
    first: np.ndarray | None = None,
    shuffle: bool = False,
) -> np.ndarray:
    """Seed groups from the hardest-to-place members first, adding the best fit each time.

    ``first`` lists members to seed before anyone else (a retry for leftovers);
    ``shuffle`` seeds in random order and picks among near-best additions
    at random (diverse restarts on small instances).

    Returns labels (``-1`` for members no feasible group was found for).
    """
    n = len(S)
    lab = np.full(n, -1, dtype=np.int64)
    free = np.ones(n, dtype=bool)
    degree = ok.sum(axis=1)
    priority = np.zeros(n, dtype=np.int64)
    if first is not None:
        priority[first] = -1
    if shuffle:
        degree = np.zeros(n, dtype=np.int64)
    order = np.lexsort((rng.permutation(n), degree, priority))
    n_groups = 0
    n_free = n
    for seed in order:
        if not free[seed]:
            continue
        group = [seed]
        gmask = masks[seed]
        has_shy = bool(shy[seed])
        cand = free & ok[seed]
        score = S[seed].copy()
        while True:
            size = len(group)
            cap = small_cap if has_shy else max_size
            goal = _goal_size(n_free, target, min_size, cap)
            if size >= goal:
                break
            c = cand & ((masks & gmask) != 0)
            if size + 1 > small_cap:
                c &= ~shy
            if not c.any():
                break
            noisy = score + rng.gumbel(scale=0.05 * size, size=n) if shuffle else score
            k = int(np.argmax(np.where(c, noisy, -np.inf)))
            group.append(k)
            gmask &= masks[k]
            has_shy |= bool(shy[k])
            cand &= ok[k]
            score += S[k]
        if len(group) >= min_size:
            lab[group] = n_groups
            free[group] = False
            n_groups += 1
            n_free -= len(group)
    return lab


def best_first_groups(
    S: np.ndarray,
    ok: np.ndarray,
    masks: np.ndarray,
    shy: np.ndarray,
    *,
    min_size: int,
    max_size: int,
    small_cap: int,
    target: int,
    share: float = 0.1,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Grow a greedy group from every free member at once, keep the tightest, repeat.

    Seeding in a fixed order spends good partners on whichever seed comes
    first; here every free member proposes the group it would grow, and the
    best ``share`` of proposals (by mean pair similarity) that do not overlap
    are kept each round, so tight groups form before loose ones. The whole
    round is a handful of matrix operations over the block. ``start`` holds
    groups already formed (labels, ``-1`` = free), which are kept.

    Returns labels (``-1`` for members no feasible group was found for).
    """
    n = len(S)
    lab = np.full(n, -1, dtype=np.int64) if start is None else start.copy()
    free = lab < 0
    n_groups = int(lab.max()) + 1 if n else 0
    while free.sum() >= min_size:
        seeds = np.flatnonzero(free)
        m = len(seeds)
        rows = np.arange(m)
        members = np.full((m, max_size), -1, dtype=np.int64)
        members[:, 0] = seeds
        total = S[seeds]
        cand = free[None, :] & ok[seeds]
        gmask = masks[seeds].copy()
        has_shy = shy[seeds].copy()
        size = np.ones(m, dtype=np.int64)
        pair_sum = np.zeros(m)
        stuck = np.zeros(m, dtype=bool)
        goal_free = _goal_size(int(free.sum()), target, min_size, max_size)
        for step in range(1, max_size):
            goal = np.minimum(np.where(has_shy, small_cap, max_size), goal_free)
            grow = ~stuck & (size < goal)
            if not grow.any():
                break
            c = cand & ((masks[None, :] & gmask[:, None]) != 0)
            if step + 1 > small_cap:
                c &= ~shy[None, :]
            scores = np.where(c, total, -np.inf)
            k = np.argmax(scores, axis=1)
            best = scores[rows, k]
            stuck |= grow & ~np.isfinite(best)
            r = np.flatnonzero(grow & np.isfinite(best))
            members[r, step] = k[r]
            pair_sum[r] += best[r]
            size[r] += 1
            gmask[r] &= masks[k[r]]
            has_shy[r] |= shy[k[r]]
            cand[r] &= ok[k[r]]
            total[r] += S[k[r]]
        whole = size >= min_size
        if not whole.any():
            break
        value = np.where(whole, pair_sum / (size * (size - 1) / 2).clip(1), -np.inf)
        keep = max(1, int(share * whole.sum()))
        taken = np.zeros(n, dtype=bool)
        kept = 0
        for g in np.argsort(-value, kind="stable")[: whole.sum()]:
            group = members[g, : size[g]]
            if taken[group].any():
                continue
            taken[group] = True
            lab[group] = n_groups
            n_groups += 1
            kept += 1
            if kept >= keep:
                break
        free &= ~taken
    return lab


def _goal_size(n_free: int, target: int, min_size: int, cap: int) -> int:
    """The size closest to ``target`` that does not strand fewer than ``min_size`` people.

    Eight people in groups of 4 to 6 should make 4 + 4, not 5 + 3 left over.
    """
    sizes = sorted(range(min_size, max(cap, min_size) + 1), key=lambda g: (abs(g - target), g))
    for g in sizes:
        rest = n_free - g
        if rest == 0 or rest >= min_size:
            return min(g, cap) if g <= cap else cap
    return min(target, cap)


def improve_groups(
    S: np.ndarray,
    lab: np.ndarray,
    masks: np.ndarray,
    shy: np.ndarray,
    *,
    min_size: int,
    max_size: int,
    small_cap: int,
    max_rounds: int = 200,
) -> np.ndarray:
    """Insert leftovers where they fit, then apply improving swaps and moves until none is left.

    Each round scores every swap between an "active" member (one whose group
    changed last round) and every other member, and every move of a member
    to another group; it applies the best improving changes that touch
    disjoint groups, so their gains stay exact.
    """
    lab = lab.copy()
    n = len(lab)
    n_groups = int(lab.max()) + 1 if n else 0
    if n_groups == 0:
        return lab
    H = slot_matrix(masks).astype(np.float32)
    placed_mask = lab >= 0
    T = group_sums(lab[placed_mask], S[placed_mask], n_groups).T.copy()  # S is symmetric
    group_ids = np.arange(n_groups)
    active = np.flatnonzero(placed_mask)
    for _ in range(max_rounds):
        placed = np.flatnonzero(lab >= 0)
        loose = np.flatnonzero(lab < 0)
        lp = lab[placed]
        size = np.bincount(lp, minlength=n_groups)
        own = T[placed, lp]
        P = 0.5 * np.bincount(lp, weights=own, minlength=n_groups)
        # Slot counts per group: a small dense product beats sparse set-up at block size.
        member_of = np.zeros((len(placed), n_groups), dtype=np.float32)
        member_of[np.arange(len(placed)), lp] = 1.0
        K = (member_of.T @ H[placed]).astype(np.int64)
        shy_count = np.bincount(lp, weights=shy[placed], minlength=n_groups)
        gmask = (K == size[:, None]).astype(np.int64) @ SLOT_BITS
        w = 1.0 / (size - 1)
        d = np.zeros(n)
        d[placed] = own
        excl = np.zeros(n, dtype=np.int64)
        excl[placed] = ((K[lp] - H[placed]) == (size[lp] - 1)[:, None]).astype(np.int64) @ SLOT_BITS

        cand_gain: list[np.ndarray] = []
        cand_i: list[np.ndarray] = []
        cand_j: list[np.ndarray] = []  # partner member (swaps) or -1 - group (moves)

        R = active
        if len(R) and len(placed) > 1:
            lR, lC = lab[R], lp
            # Rows first, then columns: two plain takes beat one np.ix_ gather.
            SRC = S.take(R, axis=0).take(placed, axis=1)
            U_RC = T.take(R, axis=0).take(lC, axis=1)
            U_CR = T.take(placed, axis=0).take(lR, axis=1).T
            gain = w[lR][:, None] * (U_CR - d[R][:, None] - SRC)
            gain += w[lC][None, :] * (U_RC - d[placed][None, :] - SRC)
            feas = lR[:, None] != lC[None, :]
            feas &= (masks[R][:, None] & excl[placed][None, :]) != 0
            feas &= (masks[placed][None, :] & excl[R][:, None]) != 0
            if shy.any():
                feas &= ~shy[R][:, None] | (size[lC] <= small_cap)[None, :]
                feas &= ~shy[placed][None, :] | (size[lR] <= small_cap)[:, None]
            gain = np.where(feas, gain, -np.inf)
            jb = np.argmax(gain, axis=1)
            gb = gain[np.arange(len(R)), jb]
            good = gb > EPS
            cand_gain.append(gb[good])
            cand_i.append(R[good])
            cand_j.append(placed[jb[good]])

        # Moves (placed members) and insertions (leftovers) into group b.
        rows = np.concatenate([placed, loose])
        la = lab[rows]
        is_placed = la >= 0
        cap = np.where(shy[rows][:, None] | (shy_count > 0)[None, :], small_cap, max_size)
        mv_ok = size[None, :] < cap
        mv_ok &= (masks[rows][:, None] & gmask[None, :]) != 0
        mv_ok &= la[:, None] != group_ids[None, :]
        a = np.where(is_placed, la, 0)
        can_leave = np.where(is_placed, size[a] > min_size, True)
        mv_ok &= can_leave[:, None]
        Trb = T[rows]
        add = (P[None, :] + Trb) / size[None, :] - P[None, :] / (size - 1)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            rem = np.where(
                is_placed,
                (P[a] - d[rows]) / np.maximum(size[a] - 2, 1) - P[a] / (size[a] - 1),
                INSERT_PRIORITY,
            )
        # A leftover may not join a group holding someone it must not meet.
        mv_ok &= Trb > PENALTY / 2
        mv_gain = np.where(mv_ok, rem[:, None] + add, -np.inf)
        bb = np.argmax(mv_gain, axis=1)
        gbm = mv_gain[np.arange(len(rows)), bb]
        good = gbm > EPS
        cand_gain.append(gbm[good])
        cand_i.append(rows[good])
        cand_j.append(-1 - bb[good])

        gains = np.concatenate(cand_gain)
        if len(gains) == 0:
            break
        ci = np.concatenate(cand_i)
        cj = np.concatenate(cand_j)
        touched = np.zeros(n_groups, dtype=bool)
        moved = np.zeros(n, dtype=bool)
        for k in np.argsort(-gains, kind="stable"):
            i, j = int(ci[k]), int(cj[k])
            a_i = int(lab[i])
            if moved[i]:
                continue
            if j >= 0:
                b = int(lab[j])
                if touched[a_i] or touched[b] or moved[j]:
                    continue
                delta = S[:, j] - S[:, i]
                T[:, a_i] += delta
                T[:, b] -= delta
                lab[i], lab[j] = b, a_i
                touched[[a_i, b]] = True
                moved[[i, j]] = True
            else:
                b = -1 - j
                if touched[b] or (a_i >= 0 and touched[a_i]):
                    continue
                if a_i >= 0:
                    T[:, a_i] -= S[:, i]
                    touched[a_i] = True
                T[:, b] += S[:, i]
                lab[i] = b
                touched[b] = True
                moved[i] = True
        active = np.flatnonzero(touched[np.maximum(lab, 0)] & (lab >= 0))
    return lab


def objective(S: np.ndarray, lab: np.ndarray) -> float:
    """Sum over groups of ``P_g / (n_g - 1)`` (half the summed member means)."""
    placed = np.flatnonzero(lab >= 0)
    if len(placed) == 0:
        return 0.0
    lp = lab[placed]
    same = lp[:, None] == lp[None, :]
    pair_sum = np.where(same, S[np.ix_(placed, placed)], 0.0).sum(axis=1)
    size = np.bincount(lp)
    return float((pair_sum / (size[lp] - 1)).sum() / 2)
