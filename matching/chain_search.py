"""The compiled part of the ejection chains (see :mod:`matching.chains` for the method).

Kept apart from the Python driver so that this file holds only numba
kernels: numba's on-disk cache (``cache=True``) is keyed by source file and
line, and ``make install`` compiles these once by running a small round.

The search from one root (``_search_root``) only reads the groups, and
``apply_chains`` changes them, so that two threads can search from
different roots against the same groups (``search_roots`` releases the GIL)
and the chains found are then applied one after another.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .blocks import PREFER_BONUS
from .feasibility import EARTH_RADIUS_KM

# A chain must gain more than rounding can fake. Group sums are updated in
# place, so predicted gains carry errors near 1e-9: at 1e-9, 17,818
# few_interests members (many of them alike) cycled between chains of no
# real gain forever (the objective unchanged to 12 digits).
MIN_GAIN = 1e-7
# And the search stops after this many passes over the members whatever
# happens; rounds end in 10-40.
MAX_PASSES = 200


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _dot(indptr, indices, data, x, M, r):
    """Sparse row ``x`` times dense row ``r`` of ``M``."""
    total = 0.0
    for t in range(indptr[x], indptr[x + 1]):
        total += data[t] * M[r, indices[t]]
    return total


# A pool's members (read only), its groups (changed as chains are applied), and one
# searching thread's working arrays. Numba takes named tuples of arrays as arguments.
Pool = namedtuple(
    "Pool", "Xp indptr indices data norm2 masks shy langs coords max_km gidx avoid prefer nbr"
)
Groups = namedtuple(
    "Groups", "lab size mem T P own n_shy group_mask mask_without version changed dirty"
)
Scratch = namedtuple(
    "Scratch",
    "tree_m tree_g tree_up tree_v chain_g mark seen closing rest_row "
    "cache_group cache_version cache_to cache_step cache_top counter",
)
# Positions in the integer settings array ``cfg``.
N_ALL, IN_PERSON, PAIR_RULES, HAS_PREFER, LENGTH, BEAM, MIN_SIZE, MAX_SIZE, SMALL_CAP = range(9)


@njit(cache=True, fastmath=True, inline="always")
def _pair_sim(indptr, indices, data, Xp, gidx, prefer, n_all, has_prefer, a, b):
    s = _dot(indptr, indices, data, a, Xp, b)
    if has_prefer and _has_key(prefer, gidx[a], gidx[b], n_all):
        s += PREFER_BONUS
    return s


@njit(cache=True, fastmath=True, inline="always")
def _group_sim(indptr, indices, data, T, size, mem, gidx, prefer, n_all, has_prefer, x, g):
    """Summed similarity of ``x`` to the members of ``g`` (``x`` not in ``g``)."""
    total = _dot(indptr, indices, data, x, T, g)
    if has_prefer:
        for t in range(size[g]):
            if _has_key(prefer, gidx[x], gidx[mem[g, t]], n_all):
                total += PREFER_BONUS
    return total


@njit(cache=True, fastmath=True)
def _refresh(p, s, cfg, g):
    """Group ``g``'s objective, shy count, shared slots and each member's own share."""
    size, mem, own, masks, mask_without = s.size, s.mem, s.own, p.masks, s.mask_without
    total, n_shy, shared = 0.0, 0, -1
    for t in range(size[g]):
        a = mem[g, t]
        own[a] = (
            _group_sim(
                p.indptr, p.indices, p.data, s.T, size, mem, p.gidx, p.prefer,
                cfg[N_ALL], cfg[HAS_PREFER] != 0, a, g,
            )
            - p.norm2[a]
        )  # fmt: skip
        total += own[a]
        n_shy += p.shy[a]
        shared &= masks[a]
        mask_without[g, t] = -1
        for u in range(size[g]):
            if u != t:
                mask_without[g, t] &= masks[mem[g, u]]
    s.P[g] = total / 2.0
    s.n_shy[g] = n_shy
    s.group_mask[g] = shared


@njit(cache=True, inline="always")
def _joins(
    group_mask,
    mask_without,
    masks,
    size,
    mem,
    langs,
    coords,
    max_km,
    gidx,
    avoid,
    in_person,
    pair_rules,
    n_all,
    x,
    g,
    at,
):
    """Whether ``x`` may join ``g`` in place of its member at position ``at``
    (-1: as an extra member)."""
    shared = group_mask[g] if at < 0 else mask_without[g, at]
    if (shared & masks[x]) == 0:
        return False
    if not pair_rules:
        return True
    for t in range(size[g]):
        y = mem[g, t]
        if t != at and not _pair_fits(x, y, langs, coords, max_km, in_person, gidx, n_all, avoid):
            return False
    return True


# The row updates below take T and Xp out of their tuples before looping over
# columns: taken out on every step, they cost reference counting and vectorising.
@njit(cache=True, fastmath=True)
def _leave(p, s, x, g):
    mem, T, Xp = s.mem, s.T, p.Xp
    for t in range(s.size[g]):
        if mem[g, t] == x:
            mem[g, t] = mem[g, s.size[g] - 1]
            mem[g, s.size[g] - 1] = -1
            break
    s.size[g] -= 1
    for c in range(Xp.shape[1]):
        T[g, c] -= Xp[x, c]


@njit(cache=True, fastmath=True)
def _enter(p, s, x, g):
    T, Xp = s.T, p.Xp
    s.mem[g, s.size[g]] = x
    s.size[g] += 1
    s.lab[x] = g
    for c in range(Xp.shape[1]):
        T[g, c] += Xp[x, c]


@njit(cache=True, fastmath=True)
def _replace(p, s, x, y, g):
    """``x`` takes ``y``'s place in ``g``."""
    mem, T, Xp = s.mem, s.T, p.Xp
    for t in range(s.size[g]):
        if mem[g, t] == y:
            mem[g, t] = x
    s.lab[x] = g
    for c in range(Xp.shape[1]):
        T[g, c] += Xp[x, c] - Xp[y, c]


@njit(cache=True, fastmath=True, nogil=True)
def pool_groups(p, cfg, lab, n_groups):
    """The groups' state for labels ``lab`` (kept, and changed in place, as ``Groups.lab``)."""
    n, d = p.Xp.shape
    max_size = cfg[MAX_SIZE]
    s = Groups(
        lab,
        np.zeros(n_groups, np.int64),
        np.full((n_groups, max_size), -1, np.int64),
        np.zeros((n_groups, d)),
        np.zeros(n_groups),
        np.zeros(n),
        np.zeros(n_groups, np.int64),
        np.zeros(n_groups, np.int64),
        np.zeros((n_groups, max_size), np.int64),
        np.zeros(n_groups, np.int64),
        np.full(n_groups, -1, np.int64),
        np.ones(n, np.bool_),
    )
    for i in range(n):
        g = lab[i]
        s.mem[g, s.size[g]] = i
        s.size[g] += 1
        for c in range(d):
            s.T[g, c] += p.Xp[i, c]
    for g in range(n_groups):
        _refresh(p, s, cfg, g)
    return s


@njit(cache=True, fastmath=True, nogil=True)
def scratch(n, n_groups, d, cfg, K):
    """One searching thread's working arrays, and its cache of each member's gains in
    its neighbours' groups (kept per thread so that no thread reads a half-written entry)."""
    L, beam, max_size = cfg[LENGTH], cfg[BEAM], cfg[MAX_SIZE]
    return Scratch(
        np.zeros((L, beam), np.int64),
        np.zeros((L, beam), np.int64),
        np.zeros((L, beam), np.int64),
        np.zeros((L, beam)),
        np.zeros(L, np.int64),
        np.zeros(n_groups, np.int64),
        np.full(n, -1, np.int64),
        np.zeros(n),
        np.zeros((1, d)),
        np.full((n, K), -1, np.int64),
        np.zeros((n, K), np.int64),
        np.zeros((n, K)),
        np.zeros((n, K, max_size)),
        np.zeros((n, K)),
        np.zeros(2, np.int64),
    )


@njit(cache=True, inline="always")
def _chain_of(tree, tree_up, p, level, out):
    """Open chain ``p`` at ``level``, root first, into ``out``: its members from
    ``tree_m`` or its groups from ``tree_g``."""
    for q in range(level - 1, -1, -1):
        out[q] = tree[q, p]
        p = tree_up[q, p]


@njit(cache=True, fastmath=True, inline="always")
def _search_root(p, s, cfg, w, i, best_m):
    """The best chain or path from ``i``: (gain, length, end group or -1), its members
    into ``best_m``. Reads the groups and writes only ``w`` and ``best_m``."""
    L, beam, min_size, max_size, small_cap = (
        cfg[LENGTH],
        cfg[BEAM],
        cfg[MIN_SIZE],
        cfg[MAX_SIZE],
        cfg[SMALL_CAP],
    )
    has_prefer = cfg[HAS_PREFER] != 0
    d = p.Xp.shape[1]
    K = p.nbr.shape[1]
    # Every array is taken out of its tuple once, here: taken out in the loops, each use
    # costs reference counting (the search took 1.5 times as long).
    nbr, lab, size, mem, shy, n_shy, P, own = (
        p.nbr,
        s.lab,
        s.size,
        s.mem,
        p.shy,
        s.n_shy,
        s.P,
        s.own,
    )
    tree_m, tree_g, tree_up, tree_v = w.tree_m, w.tree_g, w.tree_up, w.tree_v
    cache_group, cache_version, cache_to = w.cache_group, w.cache_version, w.cache_to
    cache_step, cache_top, mark, seen = w.cache_step, w.cache_top, w.mark, w.seen
    closing, rest_row, chain_g, counter = w.closing, w.rest_row, w.chain_g, w.counter
    version, T, Xp = s.version, s.T, p.Xp
    indptr, indices, data, gidx, prefer = p.indptr, p.indices, p.data, p.gidx, p.prefer
    n_all = cfg[N_ALL]
    group_mask, mask_without, masks = s.group_mask, s.mask_without, p.masks
    langs, coords, max_km, avoid = p.langs, p.coords, p.max_km, p.avoid
    in_person, pair_rules = cfg[IN_PERSON], cfg[PAIR_RULES]

    def joins(x, g, at):
        return _joins(
            group_mask, mask_without, masks, size, mem, langs, coords, max_km, gidx, avoid,
            in_person, pair_rules, n_all, x, g, at,
        )  # fmt: skip

    counter[1] += 1
    visit = counter[1]
    A = lab[i]
    sa = size[A]
    at_i = 0
    while mem[A, at_i] != i:
        at_i += 1
    best, best_len, best_end = MIN_GAIN, 0, -1
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
        for o in range(n_open):
            x = tree_m[level - 1, o]
            v = tree_v[level - 1, o]
            # Groups already in this chain, or already tried from x, are marked.
            counter[0] += 1
            stamp = counter[0]
            _chain_of(tree_g, tree_up, o, level, chain_g)
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
                    to_y = _group_sim(
                        indptr, indices, data, T, size, mem, gidx, prefer, n_all, has_prefer, x, Y
                    )
                    cache_to[x, a] = to_y
                    cache_top[x, a] = -np.inf
                    for z in range(sy):
                        y = mem[Y, z]
                        step = (
                            to_y
                            - _pair_sim(
                                indptr, indices, data, Xp, gidx, prefer, n_all, has_prefer, x, y
                            )
                            - own[y]
                        ) / (sy - 1)
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
                        _chain_of(tree_m, tree_up, o, level, best_m)
                # Skip Y when no place in it could close a better chain or enter the beam.
                top = v + cache_top[x, a]
                takes = level < L - 1 and (n_next < beam or top > tree_v[level, beam - 1])
                if top + close_cap <= best and not takes:
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
                                    u = mem[A, t]
                                    if u != i and _has_key(prefer, gidx[y], gidx[u], n_all):
                                        to_rest += PREFER_BONUS
                            closing[y] = (to_rest - own[i]) / (sa - 1)
                        close_ok = value + closing[y] > best
                    extend = level < L - 1 and (n_next < beam or value > tree_v[level, beam - 1])
                    if not (close_ok or extend):
                        continue
                    if not joins(x, Y, z):
                        continue
                    if close_ok and joins(y, A, at_i):
                        best, best_len, best_end = value + closing[y], level + 1, -1
                        _chain_of(tree_m, tree_up, o, level, best_m)
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
                    tree_up[level, slot] = o
                    n_next = min(n_next + 1, beam)
        if n_next == 0:
            break
        n_open = n_next
    return best, best_len, best_end


@njit(cache=True, fastmath=True, nogil=True)
def search_roots(p, s, cfg, w, roots, out_len, out_end, out_m):
    """The best chain from each root, against the groups as they stand (nothing moves)."""
    for r in range(len(roots)):
        _, out_len[r], out_end[r] = _search_root(p, s, cfg, w, roots[r], out_m[r])


@njit(cache=True, fastmath=True, nogil=True)
def apply_chains(p, s, cfg, roots, out_len, out_end, out_m, batch):
    """Apply the chains found from ``roots``, in order, except those that touch a group
    an earlier one changed: their gain was computed for groups that are gone, so their
    roots are searched again. Members of every changed group are searched again too."""
    for r in range(len(roots)):
        s.dirty[roots[r]] = False
    touched = np.empty(cfg[LENGTH] + 1, np.int64)
    for r in range(len(roots)):
        n_moved, end, chain = out_len[r], out_end[r], out_m[r]
        if n_moved == 0:
            continue
        # The groups before anything moves: lab changes as members move.
        n_touched = n_moved + (end >= 0)
        for q in range(n_moved):
            touched[q] = s.lab[chain[q]]
        if end >= 0:
            touched[n_moved] = end
        stale = False
        for q in range(n_touched):
            stale = stale or s.changed[touched[q]] == batch
        if stale:
            s.dirty[roots[r]] = True
            continue
        if end >= 0:  # a path: the last member joins end, the root's group shrinks
            for q in range(n_moved - 1):
                _replace(p, s, chain[q], chain[q + 1], touched[q + 1])
            _leave(p, s, chain[0], touched[0])
            _enter(p, s, chain[n_moved - 1], end)
        else:  # a cycle: the last member takes the root's place
            for q in range(n_moved):
                nxt = (q + 1) % n_moved
                _replace(p, s, chain[q], chain[nxt], touched[nxt])
        for q in range(n_touched):
            G = touched[q]
            s.changed[G] = batch
            s.version[G] += 1
            _refresh(p, s, cfg, G)
            for t in range(s.size[G]):
                s.dirty[s.mem[G, t]] = True


@njit(cache=True, fastmath=True, nogil=True)
def search_in_turn(p, s, cfg, w):
    """Ejection chains from every member in turn, each applied before the next search,
    until no member's search finds a gain."""
    roots = np.zeros(1, np.int64)
    out_len = np.zeros(1, np.int64)
    out_end = np.zeros(1, np.int64)
    out_m = np.zeros((1, cfg[LENGTH]), np.int64)
    batch = 0
    queue = np.flatnonzero(s.dirty)
    passes = 0
    while len(queue) and passes < MAX_PASSES:
        passes += 1
        for i in queue:
            roots[0] = i
            batch += 1
            search_roots(p, s, cfg, w, roots, out_len, out_end, out_m)
            apply_chains(p, s, cfg, roots, out_len, out_end, out_m, batch)
        queue = np.flatnonzero(s.dirty)


@njit(cache=True, fastmath=True, nogil=True)
def squared_norms(indptr, data):
    """Each row's squared norm, from the same float64 arithmetic as the group sums: with a
    rounded 1.0 instead, predicted and applied gains differ by 1e-7 and moves can cycle."""
    n = len(indptr) - 1
    out = np.zeros(n)
    for i in range(n):
        for t in range(indptr[i], indptr[i + 1]):
            out[i] += data[t] * data[t]
    return out
