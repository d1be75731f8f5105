"""A reference local search for the rules-off grouping problem: ejection chains.

Used only by ``bench.ceiling`` to measure how close a deeper local search
gets to +5% over k-means-constrained, and in how many seconds. The shipped
search (``matching.localsearch``) tries moves and swaps, changes between two
groups. An ejection chain is a cycle over up to ``length`` groups: member
``i`` of group A replaces ``j`` in B, ``j`` replaces ``k`` in C, ... and the
last member ejected replaces ``i`` in A. Sizes do not change, and because
each group is touched once the gain is the exact sum of each group's own
change. From every member, chains are grown level by level along each
member's ``neighbours`` most similar members, keeping the ``beam`` best open
chains per level; the best closed chain (or plain move) is applied when it
improves the objective. Members are re-examined only when a group near them
changed, until nothing improves.

The objective is the one Q averages: sum over groups of (sum of pair
similarities) / (size - 1). Sizes stay in range, the shy cap and shared slots
hold, and the number of groups never changes, so the result is compared with
the peer on the same terms as the shipped search. It is compiled with numba
(a bench-only dependency) because growing chains is a long sequence of small
dependent decisions that numpy cannot vectorise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .anneal import nearest


def chains(
    S: np.ndarray,
    labels: np.ndarray,
    masks: np.ndarray,
    shy: np.ndarray,
    *,
    length: int = 5,
    beam: int = 8,
    neighbours: int = 8,
    min_size: int = 4,
    max_size: int = 6,
    small_cap: int = 4,
) -> tuple[np.ndarray, int]:
    """Labels after ejection-chain search from ``labels`` (everyone placed, groups 0..g-1),
    and the number of chains and moves applied. ``S`` must have a low diagonal."""
    if length < 2 or beam < 1:
        raise ValueError("length must be at least 2 and beam at least 1")
    nbr = nearest(S, neighbours)
    rev_start, rev = _reverse(nbr, len(S))
    out = labels.astype(np.int64).copy()
    applied = _search(
        S,
        out,
        masks.astype(np.int64),
        shy.astype(np.int64),
        nbr,
        rev_start,
        rev,
        length,
        beam,
        min_size,
        max_size,
        small_cap,
    )
    return out, applied


def _reverse(nbr: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each member, who counts them among their neighbours (CSR)."""
    src = np.repeat(np.arange(n), nbr.shape[1])
    order = np.argsort(nbr.ravel(), kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(nbr.ravel(), minlength=n), out=start[1:])
    return start, src[order].astype(np.int64)


@njit(cache=True)
def _sum_to(S, k, mem, size, g):
    total = 0.0
    for x in range(size[g]):
        total += S[k, mem[g, x]]
    return total


@njit(cache=True)
def _mask_without(masks, mem, size, g, skip):
    mask = -1
    for x in range(size[g]):
        if mem[g, x] != skip:
            mask &= masks[mem[g, x]]
    return mask


@njit(cache=True)
def _refresh(S, mem, size, g, P, own):
    """Recompute group ``g``'s pair sum and each member's sum to their group-mates."""
    P[g] = 0.0
    for x in range(size[g]):
        a = mem[g, x]
        own[a] = 0.0
        for y in range(size[g]):
            if y != x:
                own[a] += S[a, mem[g, y]]
        P[g] += own[a]
    P[g] /= 2.0


@njit(cache=True)
def _search(S, lab, masks, shy, nbr, rev_start, rev, L, beam, min_size, max_size, small_cap):
    n = len(lab)
    n_groups = lab.max() + 1
    size = np.zeros(n_groups, np.int64)
    mem = np.full((n_groups, max_size), -1, np.int64)
    for i in range(n):
        g = lab[i]
        mem[g, size[g]] = i
        size[g] += 1
    P = np.zeros(n_groups)
    own = np.zeros(n)
    n_shy = np.zeros(n_groups, np.int64)
    for g in range(n_groups):
        _refresh(S, mem, size, g, P, own)
        for x in range(size[g]):
            n_shy[g] += shy[mem[g, x]]
    K = nbr.shape[1]
    # Open chains: members in order (chain[0] is the start), the groups they visit, gains.
    open_m = np.zeros((beam, L), np.int64)
    open_g = np.zeros((beam, L), np.int64)
    open_v = np.zeros(beam)
    next_m = np.zeros((beam, L), np.int64)
    next_g = np.zeros((beam, L), np.int64)
    next_v = np.zeros(beam)
    best_m = np.zeros(L, np.int64)
    dirty = np.ones(n, np.bool_)
    queue = np.arange(n)
    applied = 0
    while len(queue):
        for i in queue:
            dirty[i] = False
            A = lab[i]
            sa = size[A]
            mask_a = _mask_without(masks, mem, size, A, i)
            best, best_len, move_to = 1e-9, 0, -1
            # A plain move of i into a neighbour's group (sizes change).
            if sa > min_size:
                for a in range(K):
                    B = lab[nbr[i, a]]
                    sb = size[B]
                    if B == A or sb >= max_size:
                        continue
                    if (n_shy[B] + shy[i]) > 0 and sb + 1 > small_cap:
                        continue
                    if (_mask_without(masks, mem, size, B, -1) & masks[i]) == 0:
                        continue
                    gain = (
                        (P[A] - own[i]) / (sa - 2)
                        - P[A] / (sa - 1)
                        + (P[B] + _sum_to(S, i, mem, size, B)) / sb
                        - P[B] / (sb - 1)
                    )
                    if gain > best:
                        best, move_to = gain, B
            n_open = 1
            open_m[0, 0] = i
            open_g[0, 0] = A
            open_v[0] = 0.0
            for level in range(1, L):
                n_next = 0
                for p in range(n_open):
                    x = open_m[p, level - 1]
                    for a in range(K):
                        Y = lab[nbr[x, a]]
                        skip = False
                        for q in range(level):
                            if open_g[p, q] == Y:
                                skip = True
                        for a2 in range(a):
                            if lab[nbr[x, a2]] == Y:
                                skip = True
                        if skip:
                            continue
                        sy = size[Y]
                        to_y = _sum_to(S, x, mem, size, Y)
                        for z in range(sy):
                            y = mem[Y, z]
                            if (n_shy[Y] - shy[y] + shy[x]) > 0 and sy > small_cap:
                                continue
                            if (_mask_without(masks, mem, size, Y, y) & masks[x]) == 0:
                                continue
                            value = open_v[p] + (to_y - S[x, y] - own[y]) / (sy - 1)
                            # Close: y replaces i in A.
                            shy_ok = not ((n_shy[A] - shy[i] + shy[y]) > 0 and sa > small_cap)
                            if shy_ok and (mask_a & masks[y]) != 0:
                                close = (_sum_to(S, y, mem, size, A) - S[y, i] - own[i]) / (sa - 1)
                                if value + close > best:
                                    best, best_len, move_to = value + close, level + 1, -1
                                    for q in range(level):
                                        best_m[q] = open_m[p, q]
                                    best_m[level] = y
                            if level == L - 1:
                                continue
                            # Keep the beam best open chains (insertion into a short sorted list).
                            if n_next == beam and value <= next_v[n_next - 1]:
                                continue
                            slot = min(n_next, beam - 1)
                            while slot > 0 and next_v[slot - 1] < value:
                                if slot < beam:
                                    next_v[slot] = next_v[slot - 1]
                                    next_m[slot, :] = next_m[slot - 1, :]
                                    next_g[slot, :] = next_g[slot - 1, :]
                                slot -= 1
                            next_v[slot] = value
                            next_m[slot, :level] = open_m[p, :level]
                            next_g[slot, :level] = open_g[p, :level]
                            next_m[slot, level] = y
                            next_g[slot, level] = Y
                            n_next = min(n_next + 1, beam)
                if n_next == 0:
                    break
                n_open = n_next
                open_m[:n_open] = next_m[:n_open]
                open_g[:n_open] = next_g[:n_open]
                open_v[:n_open] = next_v[:n_open]
            if move_to >= 0:
                touched = np.array([A, move_to])
                for x in range(sa):
                    if mem[A, x] == i:
                        mem[A, x] = mem[A, sa - 1]
                        mem[A, sa - 1] = -1
                mem[move_to, size[move_to]] = i
                size[A] -= 1
                size[move_to] += 1
                n_shy[A] -= shy[i]
                n_shy[move_to] += shy[i]
                lab[i] = move_to
            elif best_len:
                touched = np.empty(best_len, np.int64)
                for q in range(best_len):
                    touched[q] = lab[best_m[q]]
                for q in range(best_len):
                    src, dst = best_m[q], best_m[(q + 1) % best_len]
                    G = touched[(q + 1) % best_len]
                    for x in range(size[G]):
                        if mem[G, x] == dst:
                            mem[G, x] = src
                    n_shy[G] += shy[src] - shy[dst]
                for q in range(best_len):
                    lab[best_m[q]] = touched[(q + 1) % best_len]
            else:
                continue
            applied += 1
            for G in touched:
                _refresh(S, mem, size, G, P, own)
                for x in range(size[G]):
                    a = mem[G, x]
                    dirty[a] = True
                    for r in range(rev_start[a], rev_start[a + 1]):
                        dirty[rev[r]] = True
        queue = np.flatnonzero(dirty)
    return applied
