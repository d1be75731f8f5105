"""The compiled part of the ejection chains (see :mod:`matching.chains` for the method).

Kept apart from the Python driver so that this file holds only numba
kernels: numba's on-disk cache (``cache=True``) is keyed by source file and
line, and ``make install`` compiles these once by running a small round.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .blocks import PREFER_BONUS
from .feasibility import EARTH_RADIUS_KM


@njit(cache=True, nogil=True)
def most_similar(sims, k, first):
    """Per row, the ``k`` columns of highest similarity, best first, skipping column
    ``first + row`` (the member itself). Six times faster than ``np.argpartition`` here:
    after the first few columns almost every value fails one comparison."""
    rows, m = sims.shape
    out = np.full((rows, k), -1, np.int64)
    vals = np.empty(k)
    for r in range(rows):
        vals[:] = -np.inf
        for c in range(m):
            v = sims[r, c]
            if v <= vals[k - 1] or c == first + r:
                continue
            j = k - 1
            while j > 0 and vals[j - 1] < v:
                vals[j] = vals[j - 1]
                out[r, j] = out[r, j - 1]
                j -= 1
            vals[j] = v
            out[r, j] = c
    return out


@njit(cache=True)
def _has_key(keys, a, b, n):
    if len(keys) == 0:
        return False
    q = min(a, b) * n + max(a, b)
    pos = np.searchsorted(keys, q)
    return pos < len(keys) and keys[pos] == q


@njit(cache=True)
def _pair_fits(a, b, langs, coords, max_km, in_person, gidx, n_all, avoid):
    """Languages, travel limits and blocked pairs (slots are checked per group)."""
    la, lb = langs[a], langs[b]
    if la != 0 and lb != 0 and (la & lb) == 0:
        return False
    if in_person:
        dlat = coords[b, 0] - coords[a, 0]
        dlon = coords[b, 1] - coords[a, 1]
        h = (
            np.sin(dlat / 2) ** 2
            + np.cos(coords[a, 0]) * np.cos(coords[b, 0]) * np.sin(dlon / 2) ** 2
        )
        dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(max(h, 0.0), 1.0)))
        if dist > min(max_km[a], max_km[b]):
            return False
    return not _has_key(avoid, gidx[a], gidx[b], n_all)


@njit(cache=True)
def _dot(indptr, indices, data, x, M, r):
    """Sparse row ``x`` times dense row ``r`` of ``M``."""
    total = 0.0
    for t in range(indptr[x], indptr[x + 1]):
        total += data[t] * M[r, indices[t]]
    return total


@njit(cache=True, fastmath=True, nogil=True)
def search_chains(
    Xp,
    indptr,
    indices,
    data,
    lab,
    masks,
    shy,
    langs,
    coords,
    max_km,
    in_person,
    gidx,
    n_all,
    avoid,
    prefer,
    nbr,
    L,
    beam,
    min_size,
    max_size,
    small_cap,
):
    n, d = Xp.shape
    n_groups = lab.max() + 1
    size = np.zeros(n_groups, np.int64)
    mem = np.full((n_groups, max_size), -1, np.int64)
    T = np.zeros((n_groups, d))
    for i in range(n):
        g = lab[i]
        mem[g, size[g]] = i
        size[g] += 1
        for c in range(d):
            T[g, c] += Xp[i, c]
    P = np.zeros(n_groups)
    own = np.zeros(n)
    n_shy = np.zeros(n_groups, np.int64)
    has_prefer = len(prefer) > 0
    # Online, with no blocked pairs and no languages stated, only slots can rule a change out.
    pair_rules = in_person or len(avoid) > 0
    for i in range(n):
        pair_rules = pair_rules or langs[i] != 0
    group_mask = np.zeros(n_groups, np.int64)
    mask_without = np.zeros((n_groups, max_size), np.int64)
    # Squared norms from the same float64 arithmetic as the sums: with a rounded 1.0
    # instead, predicted and applied gains differ by 1e-7 and moves can cycle forever.
    norm2 = np.zeros(n)
    for i in range(n):
        for t in range(indptr[i], indptr[i + 1]):
            norm2[i] += data[t] * data[t]

    def link(a, b):
        s = _dot(indptr, indices, data, a, Xp, b)
        if has_prefer and _has_key(prefer, gidx[a], gidx[b], n_all):
            s += PREFER_BONUS
        return s

    def to_group(x, g):
        """Summed similarity of ``x`` to the members of ``g`` (``x`` not in ``g``)."""
        s = _dot(indptr, indices, data, x, T, g)
        if has_prefer:
            for t in range(size[g]):
                if _has_key(prefer, gidx[x], gidx[mem[g, t]], n_all):
                    s += PREFER_BONUS
        return s

    def refresh(g):
        P[g] = 0.0
        n_shy[g] = 0
        group_mask[g] = -1
        for t in range(size[g]):
            a = mem[g, t]
            own[a] = to_group(a, g) - norm2[a]
            P[g] += own[a]
            n_shy[g] += shy[a]
            group_mask[g] &= masks[a]
            mask_without[g, t] = -1
            for u in range(size[g]):
                if u != t:
                    mask_without[g, t] &= masks[mem[g, u]]
        P[g] /= 2.0

    def joins(x, g, at):
        """Whether ``x`` may join ``g`` in place of its member at position ``at``
        (-1: as an extra member)."""
        shared = group_mask[g] if at < 0 else mask_without[g, at]
        if (shared & masks[x]) == 0:
            return False
        if not pair_rules:
            return True
        for t in range(size[g]):
            y = mem[g, t]
            if t != at and not _pair_fits(
                x, y, langs, coords, max_km, in_person, gidx, n_all, avoid
            ):
                return False
        return True

    def leave(x, g):
        for t in range(size[g]):
            if mem[g, t] == x:
                mem[g, t] = mem[g, size[g] - 1]
                mem[g, size[g] - 1] = -1
                break
        size[g] -= 1
        for c in range(d):
            T[g, c] -= Xp[x, c]

    def enter(x, g):
        mem[g, size[g]] = x
        size[g] += 1
        lab[x] = g
        for c in range(d):
            T[g, c] += Xp[x, c]

    def replace(x, y, g):
        """``x`` takes ``y``'s place in ``g``."""
        for t in range(size[g]):
            if mem[g, t] == y:
                mem[g, t] = x
        lab[x] = g
        for c in range(d):
            T[g, c] += Xp[x, c] - Xp[y, c]

    for g in range(n_groups):
        refresh(g)
    K = nbr.shape[1]
    # Open chains as a tree: entry (level, slot) holds a chain's last member and group,
    # its value and the slot of its prefix one level up, so keeping a chain in the beam
    # copies no prefix.
    tree_m = np.zeros((L, beam), np.int64)
    tree_g = np.zeros((L, beam), np.int64)
    tree_up = np.zeros((L, beam), np.int64)
    tree_v = np.zeros((L, beam))

    def chain_of(tree, p, level, out):
        """Open chain ``p`` at ``level``, root first, into ``out``: its members from
        ``tree_m`` or its groups from ``tree_g``."""
        for q in range(level - 1, -1, -1):
            out[q] = tree[q, p]
            p = tree_up[q, p]

    def beam_takes(level, n_next, value):
        """Whether an open chain of this value enters the beam at ``level``."""
        return level < L - 1 and (n_next < beam or value > tree_v[level, beam - 1])

    best_m = np.zeros(L, np.int64)
    chain_g = np.zeros(L, np.int64)
    dirty = np.ones(n, np.bool_)
    queue = np.arange(n)
    version = np.zeros(n_groups, np.int64)
    cache_group = np.full((n, K), -1, np.int64)
    cache_version = np.zeros((n, K), np.int64)
    cache_to = np.zeros((n, K))
    cache_step = np.zeros((n, K, max_size))
    cache_top = np.zeros((n, K))
    mark = np.zeros(n_groups, np.int64)
    stamp = 0
    seen = np.full(n, -1, np.int64)
    closing = np.zeros(n)
    rest_row = np.zeros((1, d))  # the sum of the root's group-mates
    visit = 0
    while len(queue):
        for i in queue:
            visit += 1
            dirty[i] = False
            A = lab[i]
            sa = size[A]
            at_i = 0
            while mem[A, at_i] != i:
                at_i += 1
            best, best_len, best_end = 1e-9, 0, -1
            # Removing i from A without a replacement: the start of a path (a path of
            # one step is a plain move of i into a neighbour's group).
            can_shrink = sa > min_size
            leave_a = (P[A] - own[i]) / (sa - 2) - P[A] / (sa - 1) if can_shrink else 0.0
            # No member can gain more by taking i's place than a unit vector's dot product
            # with the sum of A's other members (plus any preferred-pair bonuses) allows:
            # most closes are ruled out without computing them.
            rest = 0.0
            for c in range(d):
                rest_row[0, c] = T[A, c] - Xp[i, c]
                rest += rest_row[0, c] ** 2
            close_cap = np.sqrt(rest) * (1 + 1e-6) + 1e-9 - own[i]
            if has_prefer:
                close_cap += PREFER_BONUS * (sa - 1)
            close_cap /= sa - 1
            n_open = 1
            tree_m[0, 0] = i
            tree_g[0, 0] = A
            tree_v[0, 0] = 0.0
            for level in range(1, L):
                n_next = 0
                for p in range(n_open):
                    x = tree_m[level - 1, p]
                    v = tree_v[level - 1, p]
                    # Groups already in this chain, or already tried from x, are marked.
                    stamp += 1
                    chain_of(tree_g, p, level, chain_g)
                    for q in range(level):
                        mark[chain_g[q]] = stamp
                    for a in range(K):
                        if nbr[x, a] < 0:
                            break
                        Y = lab[nbr[x, a]]
                        if mark[Y] == stamp:
                            continue
                        mark[Y] = stamp
                        sy = size[Y]
                        # x's gain from taking each place in a neighbour's group lasts until
                        # that group changes.
                        if cache_group[x, a] != Y or cache_version[x, a] != version[Y]:
                            cache_group[x, a] = Y
                            cache_version[x, a] = version[Y]
                            to_y = to_group(x, Y)
                            cache_to[x, a] = to_y
                            cache_top[x, a] = -np.inf
                            for z in range(sy):
                                y = mem[Y, z]
                                step = (to_y - link(x, y) - own[y]) / (sy - 1)
                                cache_step[x, a, z] = step
                                cache_top[x, a] = max(cache_top[x, a], step)
                        to_y = cache_to[x, a]
                        # A path: x joins Y as an extra member, A keeps one fewer.
                        if (
                            can_shrink
                            and sy < max_size
                            and not ((n_shy[Y] + shy[x]) > 0 and sy + 1 > small_cap)
                        ):
                            value = v + leave_a + (P[Y] + to_y) / sy - P[Y] / (sy - 1)
                            if value > best and joins(x, Y, -1):
                                best, best_len, best_end = value, level, Y
                                chain_of(tree_m, p, level, best_m)
                        # Skip Y when no place in it could close a better chain or enter the beam.
                        top = v + cache_top[x, a]
                        if top + close_cap <= best and not beam_takes(level, n_next, top):
                            continue
                        for z in range(sy):
                            y = mem[Y, z]
                            if (n_shy[Y] - shy[y] + shy[x]) > 0 and sy > small_cap:
                                continue
                            value = v + cache_step[x, a, z]
                            # Close: y replaces i in A.
                            close_ok = not ((n_shy[A] - shy[i] + shy[y]) > 0 and sa > small_cap)
                            close_ok = close_ok and value + close_cap > best
                            if close_ok:
                                # Chains from one root reach the same members often; one
                                # product with A's sum less i is half the reads of two.
                                if seen[y] != visit:
                                    seen[y] = visit
                                    to_rest = _dot(indptr, indices, data, y, rest_row, 0)
                                    if has_prefer:
                                        for t in range(sa):
                                            w = mem[A, t]
                                            if w != i and _has_key(prefer, gidx[y], gidx[w], n_all):
                                                to_rest += PREFER_BONUS
                                    closing[y] = (to_rest - own[i]) / (sa - 1)
                                close = closing[y]
                                close_ok = value + close > best
                            extend = beam_takes(level, n_next, value)
                            if not (close_ok or extend):
                                continue
                            if not joins(x, Y, z):
                                continue
                            if close_ok and joins(y, A, at_i):
                                best, best_len, best_end = value + close, level + 1, -1
                                chain_of(tree_m, p, level, best_m)
                                best_m[level] = y
                            if not extend:
                                continue
                            # Keep the beam best open chains (insertion into a short sorted list).
                            slot = min(n_next, beam - 1)
                            while slot > 0 and tree_v[level, slot - 1] < value:
                                tree_v[level, slot] = tree_v[level, slot - 1]
                                tree_m[level, slot] = tree_m[level, slot - 1]
                                tree_g[level, slot] = tree_g[level, slot - 1]
                                tree_up[level, slot] = tree_up[level, slot - 1]
                                slot -= 1
                            tree_v[level, slot] = value
                            tree_m[level, slot] = y
                            tree_g[level, slot] = Y
                            tree_up[level, slot] = p
                            n_next = min(n_next + 1, beam)
                if n_next == 0:
                    break
                n_open = n_next
            if not best_len:
                continue
            # The groups before anything moves: lab changes as members move.
            touched = np.empty(best_len + (best_end >= 0), np.int64)
            for q in range(best_len):
                touched[q] = lab[best_m[q]]
            if best_end >= 0:  # a path: the last member joins best_end, A shrinks
                touched[best_len] = best_end
                for q in range(best_len - 1):
                    replace(best_m[q], best_m[q + 1], touched[q + 1])
                leave(i, A)
                enter(best_m[best_len - 1], best_end)
            else:  # a cycle: the last member takes i's place in A
                for q in range(best_len):
                    nxt = (q + 1) % best_len
                    replace(best_m[q], best_m[nxt], touched[nxt])
            for G in touched:
                version[G] += 1
                refresh(G)
                for t in range(size[G]):
                    dirty[mem[G, t]] = True
        queue = np.flatnonzero(dirty)
