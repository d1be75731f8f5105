"""A slow, strong reference search for the rules-off grouping problem: simulated annealing.

Used only by ``bench.ceiling`` to estimate how far the best reachable
grouping lies above k-means-constrained, and what that costs in time. It is
compiled with numba (a bench-only dependency) because annealing is a long
sequential chain of small moves, which numpy cannot vectorise.

Each step picks a random member ``i`` and one of its ``K`` most similar
members ``j``; of "move ``i`` into ``j``'s group" and "swap ``i`` with each
member of that group", the best is taken when it improves the objective, or
with probability ``exp(delta / T)`` when it does not. ``T`` falls
geometrically from ``t_start`` to ``t_end``. Sizes stay in range, the shy
cap and shared slots hold, and the number of groups never changes, so the
result is compared with the peer on the same terms as the shipped search.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NEIGHBOURS = 12


def nearest(S: np.ndarray, k: int = NEIGHBOURS, chunk: int = 2048) -> np.ndarray:
    """Each member's ``k`` most similar members (the diagonal of ``S`` must be low)."""
    k = min(k, len(S) - 1)
    out = np.empty((len(S), k), dtype=np.int64)
    for start in range(0, len(S), chunk):
        rows = S[start : start + chunk]
        out[start : start + len(rows)] = np.argpartition(-rows, k, axis=1)[:, :k]
    return out


def anneal(
    S: np.ndarray,
    labels: np.ndarray,
    masks: np.ndarray,
    shy: np.ndarray,
    *,
    steps_per_member: int,
    min_size: int = 4,
    max_size: int = 6,
    small_cap: int = 4,
    t_start: float = 0.1,
    t_end: float = 1e-4,
    seed: int = 0,
) -> np.ndarray:
    """Labels after annealing from ``labels`` (every member placed, groups numbered 0..g-1)."""
    placed = int((labels >= 0).sum())
    return _anneal(
        S,
        labels.astype(np.int64).copy(),
        masks.astype(np.int64),
        shy.astype(np.int64),
        min_size,
        max_size,
        small_cap,
        nearest(S),
        steps_per_member * placed,
        t_start,
        t_end,
        seed,
    )


@njit(cache=True)
def _sum_to(S, k, mem, g, size, skip):
    """Similarity of member ``k`` to everyone in group ``g`` except ``skip``."""
    total = 0.0
    for x in range(size):
        if mem[g, x] != skip:
            total += S[k, mem[g, x]]
    return total


@njit(cache=True)
def _anneal(S, lab, masks, shy, min_size, max_size, small_cap, nbr, steps, t_start, t_end, seed):
    np.random.seed(seed)
    n_groups = lab.max() + 1
    size = np.zeros(n_groups, np.int64)
    mem = np.full((n_groups, max_size), -1, np.int64)
    pos = np.zeros(len(lab), np.int64)
    for i in range(len(lab)):
        g = lab[i]
        if g >= 0:
            mem[g, size[g]] = i
            pos[i] = size[g]
            size[g] += 1
    P = np.zeros(n_groups)
    n_shy = np.zeros(n_groups, np.int64)
    for g in range(n_groups):
        for x in range(size[g]):
            n_shy[g] += shy[mem[g, x]]
            for y in range(x + 1, size[g]):
                P[g] += S[mem[g, x], mem[g, y]]
    placed = np.flatnonzero(lab >= 0)
    k_nbr = nbr.shape[1]
    cool = (t_end / t_start) ** (1.0 / max(steps - 1, 1))
    T = t_start
    for _ in range(steps):
        T *= cool
        i = placed[np.random.randint(len(placed))]
        j = nbr[i, np.random.randint(k_nbr)]
        a, b = lab[i], lab[j]
        if b < 0 or a == b:
            continue
        sa, sb = size[a], size[b]
        r_ia = _sum_to(S, i, mem, a, sa, i)
        r_ib = _sum_to(S, i, mem, b, sb, -1)
        va, vb = P[a] / (sa - 1), P[b] / (sb - 1)
        best, pick = -1e18, -2
        # Move i into b.
        shy_cap_hit = (n_shy[b] + shy[i]) > 0 and sb + 1 > small_cap
        if sa > min_size and sb < max_size and not shy_cap_hit:
            mask = masks[i]
            for x in range(sb):
                mask &= masks[mem[b, x]]
            if mask != 0:
                best = (P[a] - r_ia) / (sa - 2) - va + (P[b] + r_ib) / sb - vb
                pick = -1
        # Swap i with k of b.
        for y in range(sb):
            k = mem[b, y]
            if (n_shy[a] - shy[i] + shy[k]) > 0 and sa > small_cap:
                continue
            if (n_shy[b] - shy[k] + shy[i]) > 0 and sb > small_cap:
                continue
            r_kb = _sum_to(S, k, mem, b, sb, k)
            r_ka = _sum_to(S, k, mem, a, sa, i)
            new_a = (P[a] - r_ia + r_ka) / (sa - 1)
            new_b = (P[b] - r_kb + r_ib - S[i, k]) / (sb - 1)
            delta = new_a - va + new_b - vb
            if delta <= best:
                continue
            mask_a, mask_b = masks[k], masks[i]
            for x in range(sa):
                if mem[a, x] != i:
                    mask_a &= masks[mem[a, x]]
            for x in range(sb):
                if mem[b, x] != k:
                    mask_b &= masks[mem[b, x]]
            if mask_a != 0 and mask_b != 0:
                best, pick = delta, k
        if pick == -2 or (best < 0 and np.random.random() >= np.exp(best / T)):
            continue
        if pick == -1:
            P[a] -= r_ia
            P[b] += r_ib
            last = mem[a, sa - 1]
            mem[a, pos[i]] = last
            pos[last] = pos[i]
            mem[a, sa - 1] = -1
            size[a] -= 1
            mem[b, sb] = i
            pos[i] = sb
            size[b] += 1
            n_shy[a] -= shy[i]
            n_shy[b] += shy[i]
            lab[i] = b
        else:
            k = pick
            P[a] += _sum_to(S, k, mem, a, sa, i) - r_ia
            P[b] += r_ib - S[i, k] - _sum_to(S, k, mem, b, sb, k)
            pi, pk = pos[i], pos[k]
            mem[a, pi], mem[b, pk] = k, i
            pos[k], pos[i] = pi, pk
            n_shy[a] += shy[k] - shy[i]
            n_shy[b] += shy[i] - shy[k]
            lab[i], lab[k] = b, a
    return lab
