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
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse

from .blocks import map_blocks
from .chain_search import most_similar, search_chains
from .feasibility import MemberArrays, pair_ok

NEIGHBOURS = 12
LENGTH = 10
BEAM = 8
SHORTLIST = 6  # neighbours are picked among the SHORTLIST * k most similar
ROWS = 512
REGION = 2000
NEIGHBOUR_THREADS = 2


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
    members = np.concatenate(groups).astype(np.int64)
    labels = np.repeat(np.arange(len(groups)), [len(g) for g in groups]).astype(np.int64)
    Xp = np.ascontiguousarray(X[members], dtype=np.float32)
    rows = sparse.csr_matrix(Xp)
    nbr = nearest_feasible(Xp, arr, members, neighbours, in_person, avoid_keys)
    search_chains(
        Xp,
        rows.indptr.astype(np.int64),
        rows.indices.astype(np.int64),
        rows.data.astype(np.float64),
        labels,
        arr.slots[members].astype(np.int64),
        arr.shy[members].astype(np.int64),
        arr.languages[members].astype(np.int64),
        np.ascontiguousarray(arr.coords[members]),
        arr.max_km[members].astype(np.float64),
        in_person,
        members,
        max(len(arr.ids), 1),
        avoid_keys.astype(np.int64),
        prefer_keys.astype(np.int64),
        nbr,
        length,
        beam,
        min_size,
        max_size,
        small_cap,
    )
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return [members[part] for part in np.split(order, cuts)]


def nearest_feasible(
    Xp: np.ndarray,
    arr: MemberArrays,
    members: np.ndarray,
    k: int,
    in_person: bool,
    avoid_keys: np.ndarray,
) -> np.ndarray:
    """For each pool member, up to ``k`` most similar members who may meet them (-1 pads).

    Similarities come ``ROWS`` members at a time from one matrix product; the
    rules are checked only on each member's ``SHORTLIST * k`` most similar.
    In person, candidates come from the member's map region (``REGION``
    members), since the most similar people across a city are mostly out of
    reach.
    """
    p = len(members)
    out = np.full((p, k), -1, dtype=np.int64)
    everyone = np.arange(p)
    regions = [everyone]
    if in_person and p > REGION:
        regions = map_blocks(arr.coords[members], everyone, REGION)

    def rows_of(job: tuple[np.ndarray, np.ndarray, int]) -> None:
        region, Xt, start = job
        wide = min(len(region) - 1, SHORTLIST * k)
        rows = region[start : start + ROWS]
        top = region[most_similar(Xp[rows] @ Xt, wide, start)]
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
    # Matrix products and the compiled top-k release the GIL: two threads use both cores.
    with ThreadPoolExecutor(NEIGHBOUR_THREADS) as pool:
        list(pool.map(rows_of, jobs))
    return out
