"""Ejection chains over a whole pool of groups, scored from group vector sums.

Swaps and moves change two groups at a time and stop at a local optimum
that a cycle over more groups can still improve: member ``i`` of group A
replaces ``j`` in B, ``j`` replaces ``k`` in C, ... and the last member
ejected takes ``i``'s place in A. Sizes do not change and each group is
touched once, so the gain is the exact sum of each group's own change. A
*path* ends instead with the last member ejected joining a group with room,
so A shrinks by one and that group grows: this moves a group's fifth or
sixth place to where it fits best. A path of one step is a plain move of
``i`` into a neighbour's group.

Chains grow from each member along its nearest feasible partners, level by
level, keeping the ``beam`` best open chains; the best closing chain or path
is applied when it improves the objective, and members are looked at again
only when their own group changed (looking again at everyone near a changed
group too took 1.7 times the work for 0.1% more at 10,000 members). The objective is the one Q
averages: over groups, the summed pair similarity divided by (size - 1).

Most candidates are ruled out by bounds before they are scored, which leaves
the chains found unchanged: no member can gain more by taking the root's
place than a unit vector's dot product with the sum of the root's
group-mates allows, and each member keeps its best gain in a neighbour's
group next to its gain for each place there.

No similarity matrix is stored. For unit vectors a member's summed
similarity to a group is its dot product with the group's vector sum, so
memory is one sum per group and a pool of any size fits (a dense matrix was
317 MB at 10,000 members and 1.27 GB at 20,000). Every rule is checked on
each change: shared slot, shy cap, languages, blocked pairs and, in person,
both travel limits.

The search is compiled with numba (:mod:`matching.chain_search`): growing
chains is a long run of small dependent decisions that whole-array numpy
cannot express (see ``docs/benchmarks.md`` for the numpy searches tried
first). It releases the GIL, so a web process running a round in a
background thread keeps serving.

Pools of ``BATCHED_POOL`` members or more use both cores: two threads search
from ``BATCH`` roots against the same groups, and the chains found are applied
in order, except where an earlier chain of the batch changed one of their
groups (their root is searched again). On 10,000-member pools the search
alone took 0.65 times as long as one root at a time, for the same Q or
slightly more; inside a whole round the gain was smaller (see
docs/research-log.md, 7 December 2026).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse

from .blocks import map_blocks
from .chain_search import (
    MAX_PASSES,
    Groups,
    Pool,
    Scratch,
    apply_chains,
    pool_groups,
    scratch,
    search_in_turn,
    search_roots,
    squared_norms,
)
from .feasibility import MemberArrays, pair_ok
from .nearest import most_similar_rows

NEIGHBOURS = 12
LENGTH = 10
BEAM = 8
SHORTLIST = 6  # neighbours are picked among the SHORTLIST * k most similar
ROWS = 512
REGION = 2000
NEIGHBOUR_THREADS = 2
BATCHED_POOL = 2000  # members; smaller pools are searched one root at a time
BATCH = 32  # roots searched between two applications of chains
SCRAMBLE = 2654435761  # a multiplier that scrambles member order (Knuth's)


def chain_groups(
    X: np.ndarray,
    arr: MemberArrays,
    groups: Sequence[np.ndarray],
    *,
    in_person: bool,
    avoid_keys: np.ndarray,
    prefer_keys: np.ndarray,
    min_size: int,
    max_size: int,
    small_cap: int,
    neighbours: int = NEIGHBOURS,
    length: int = LENGTH,
    beam: int = BEAM,
) -> list[np.ndarray]:
    """The same members in as many groups, improved by ejection chains and moves.

    ``groups`` hold member indices into ``X`` and ``arr``; every group must
    already obey the rules, and every returned group does too.
    """
    if length < 2 or beam < 1 or neighbours < 1:
        raise ValueError("length must be at least 2, beam and neighbours at least 1")
    if len(groups) < 2:
        return [np.asarray(g) for g in groups]
    _check_sizes(arr, groups, min_size, max_size, small_cap)
    members = np.concatenate(groups).astype(np.int64)
    labels = np.repeat(np.arange(len(groups)), [len(g) for g in groups]).astype(np.int64)
    Xp = np.ascontiguousarray(X[members], dtype=np.float32)
    rows = sparse.csr_matrix(Xp)
    nbr = nearest_feasible(Xp, arr, members, neighbours, in_person, avoid_keys)
    indptr = rows.indptr.astype(np.int64)
    langs = arr.languages[members].astype(np.int64)
    pool = Pool(
        Xp,
        indptr,
        rows.indices.astype(np.int64),
        rows.data.astype(np.float64),
        squared_norms(indptr, rows.data.astype(np.float64)),
        arr.slots[members].astype(np.int64),
        arr.shy[members].astype(np.int64),
        langs,
        np.ascontiguousarray(arr.coords[members]),
        arr.max_km[members].astype(np.float64),
        members,
        avoid_keys.astype(np.int64),
        prefer_keys.astype(np.int64),
        nbr,
    )
    # Online, with no blocked pairs and no languages stated, only slots can rule a change out.
    pair_rules = in_person or len(avoid_keys) > 0 or bool(langs.any())
    cfg = np.array(
        [
            max(len(arr.ids), 1),
            in_person,
            pair_rules,
            len(prefer_keys) > 0,
            length,
            beam,
            min_size,
            max_size,
            small_cap,
        ],
        dtype=np.int64,
    )
    state = pool_groups(pool, cfg, labels, len(groups))
    n, d = Xp.shape
    if n < BATCHED_POOL:
        search_in_turn(pool, state, cfg, scratch(n, len(groups), d, cfg, neighbours))
    else:
        works = [scratch(n, len(groups), d, cfg, neighbours) for _ in range(2)]
        search_in_batches(pool, state, cfg, works)
    labels = state.lab
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return [members[part] for part in np.split(order, cuts)]


def _check_sizes(
    arr: MemberArrays, groups: Sequence[np.ndarray], min_size: int, max_size: int, small_cap: int
) -> None:
    """Refuse groups outside the size range or over the shy cap.

    The search's bookkeeping assumes both hold from the start: given four
    groups over the shy cap, a 10,000-member search ran for 20 minutes
    instead of 1 s without finishing.
    """
    sizes = np.array([len(g) for g in groups])
    if sizes.min() < min_size or sizes.max() > max_size:
        raise ValueError(f"group sizes must lie in {min_size}-{max_size}")
    shy = np.array([bool(arr.shy[np.asarray(g)].any()) for g in groups])
    if (shy & (sizes > small_cap)).any():
        raise ValueError(f"a group with a shy member holds more than {small_cap}")


def nearest_feasible(
    Xp: np.ndarray,
    arr: MemberArrays,
    members: np.ndarray,
    k: int,
    in_person: bool,
    avoid_keys: np.ndarray,
) -> np.ndarray:
    """For each pool member, up to ``k`` most similar members who may meet them (-1 pads).

    Similarities come ``ROWS`` members at a time from the sparse rows
    (:func:`matching.nearest.most_similar_rows`: on 10,000 members with 405
    columns, 0.14 s where a dense product took 0.4-0.5 s); the rules are checked
    only on each member's ``SHORTLIST * k`` most similar.
    In person, candidates come from the member's map region (``REGION``
    members), since the most similar people across a city are mostly out of
    reach.
    """
    p = len(members)
    out = np.full((p, k), -1, dtype=np.int64)
    csr = sparse.csr_matrix(Xp)
    indptr, indices = csr.indptr.astype(np.int64), csr.indices.astype(np.int64)
    data = csr.data.astype(np.float32)
    everyone = np.arange(p)
    regions = [everyone]
    if in_person and p > REGION:
        regions = map_blocks(arr.coords[members], everyone, REGION)

    def rows_of(job: tuple[np.ndarray, np.ndarray, int]) -> None:
        region, Xt, start = job
        wide = min(len(region) - 1, SHORTLIST * k)
        rows = region[start : start + ROWS]
        top = region[most_similar_rows(indptr, indices, data, Xt, rows, wide, start)]
        who = np.repeat(rows, wide)
        fine = pair_ok(arr, members[who], members[top.ravel()], avoid_keys, in_person)
        fine = fine.reshape(top.shape)
        # The first k that pass, in order of similarity.
        rank = np.cumsum(fine, axis=1) - 1
        r, c = np.nonzero(fine & (rank < k))
        out[rows[r], rank[r, c]] = top[r, c]

    jobs = []
    for region in regions:
        if len(region) < 2:
            continue
        Xt = np.ascontiguousarray(Xp[region].T)
        jobs += [(region, Xt, start) for start in range(0, len(region), ROWS)]
    # The compiled search releases the GIL: two threads use both cores.
    with ThreadPoolExecutor(NEIGHBOUR_THREADS) as pool:
        list(pool.map(rows_of, jobs))
    return out


def search_in_batches(pool: Pool, state: Groups, cfg: np.ndarray, works: list[Scratch]) -> None:
    """Ejection chains from ``BATCH`` roots at a time: two threads search half each
    against the same groups, then the chains are applied in root order, a chain
    whose groups an earlier one changed being searched again later.

    Results depend only on the roots' order, never on which thread finishes
    first. Roots are taken in a scrambled order so that a batch seldom holds
    two members of one group (whose chains would collide).
    """
    out_len = np.zeros(BATCH, np.int64)
    out_end = np.zeros(BATCH, np.int64)
    out_m = np.zeros((BATCH, works[0].tree_m.shape[0]), np.int64)  # chain members
    batch = 0
    with ThreadPoolExecutor(1) as helper:
        queue = np.flatnonzero(state.dirty)
        for _ in range(MAX_PASSES):
            if not len(queue):
                break
            queue = queue[np.argsort((queue * SCRAMBLE) % 2**32, kind="stable")]
            for start in range(0, len(queue), BATCH):
                roots = queue[start : start + BATCH]
                m = len(roots)
                half = (m + 1) // 2
                job = helper.submit(
                    search_roots,
                    pool,
                    state,
                    cfg,
                    works[1],
                    roots[half:],
                    out_len[half:m],
                    out_end[half:m],
                    out_m[half:m],
                )
                search_roots(
                    pool,
                    state,
                    cfg,
                    works[0],
                    roots[:half],
                    out_len[:half],
                    out_end[:half],
                    out_m[:half],
                )
                job.result()
                batch += 1
                apply_chains(pool, state, cfg, roots, out_len[:m], out_end[:m], out_m[:m], batch)
            queue = np.flatnonzero(state.dirty)
