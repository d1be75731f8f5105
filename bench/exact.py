"""Exact references: set partitioning, maximum-weight matching and min-cost flow."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.feasibility import member_arrays, pair_ok

EXACT_SECONDS = 120  # an instance HiGHS cannot prove within this is reported, not waited for


def optimal_grouping(members, X, n_placed: int, n_groups: int, min_size=4, max_size=6):
    """Best Q over groupings placing ``n_placed`` members in ``n_groups`` groups.

    Enumerates every feasible group (size, shared slot, format, distance,
    languages, shy cap) and solves the set-packing integer program with HiGHS.
    Returns (Q, seconds, the most members any grouping could place).
    """
    import time

    start = time.perf_counter()
    arr = member_arrays(members)
    n = len(members)
    S = X.astype(np.float64) @ X.astype(np.float64).T
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    ok_near = pair_ok(arr, ii, jj, np.zeros(0, dtype=np.int64), True)
    ok_far = pair_ok(arr, ii, jj, np.zeros(0, dtype=np.int64), False)
    near_fmt = (arr.format != 1) & arr.has_location
    far_fmt = arr.format != 0
    small_cap = max(min_size, 4)
    columns, values = [], []
    for size in range(min_size, max_size + 1):
        combos = np.array(list(combinations(range(n), size)), dtype=np.int64)
        if len(combos) == 0:
            continue
        a_idx, b_idx = np.triu_indices(size, 1)
        a, b = combos[:, a_idx], combos[:, b_idx]
        slots = np.bitwise_and.reduce(arr.slots[combos], axis=1)
        ok = slots != 0
        near = ok_near[a, b].all(axis=1) & near_fmt[combos].all(axis=1)
        far = ok_far[a, b].all(axis=1) & far_fmt[combos].all(axis=1)
        ok &= near | far
        ok &= ~arr.one_on_one[combos].any(axis=1)
        if size > small_cap:
            ok &= ~arr.shy[combos].any(axis=1)
        combos = combos[ok]
        value = 2 * S[combos[:, a_idx], combos[:, b_idx]].sum(axis=1) / (size - 1)
        columns.append(combos)
        values.append(value)
    rows, cols, sizes = [], [], []
    offset = 0
    for combos in columns:
        k, size = combos.shape
        rows.append(combos.ravel())
        cols.append(np.repeat(np.arange(offset, offset + k), size))
        sizes.append(np.full(k, size))
        offset += k
    if offset == 0:
        return 0.0, time.perf_counter() - start, 0
    rows_a, cols_a, size_a = np.concatenate(rows), np.concatenate(cols), np.concatenate(sizes)
    value = np.concatenate(values)
    cover = sparse.csr_matrix((np.ones(len(rows_a)), (rows_a, cols_a)), shape=(n, offset))
    constraints = [
        LinearConstraint(cover, 0, 1),
        LinearConstraint(size_a[None, :].astype(float), n_placed, n_placed),
        LinearConstraint(np.ones((1, offset)), n_groups, n_groups),
    ]
    limit = {"time_limit": EXACT_SECONDS}
    res = milp(
        -value,
        constraints=constraints,
        integrality=np.ones(offset),
        bounds=Bounds(0, 1),
        options=limit,
    )
    seconds = time.perf_counter() - start
    # How many could be placed at all: checks "nobody left out who could be placed".
    most = milp(
        -size_a.astype(float),
        constraints=[constraints[0]],
        integrality=np.ones(offset),
        bounds=Bounds(0, 1),
        options=limit,
    )
    max_placed = int(round(-most.fun)) if most.x is not None else -1
    # Status 0 is a proven optimum; anything else (the time limit) is no reference.
    if res.status != 0:
        return float("nan"), seconds, max_placed
    return float(-res.fun / n_placed), seconds, max_placed


def max_weight_matching(edges_i, edges_j, weights, n):
    """Exact maximum-weight matching of a general graph as a 0/1 program (HiGHS)."""
    e = len(weights)
    if e == 0:
        return 0.0
    inc = sparse.csr_matrix(
        (np.ones(2 * e), (np.concatenate([edges_i, edges_j]), np.tile(np.arange(e), 2))),
        shape=(n, e),
    )
    res = milp(
        -weights,
        constraints=[LinearConstraint(inc, 0, 1)],
        integrality=np.ones(e),
        bounds=Bounds(0, 1),
    )
    return float(-res.fun)


def optimal_assignment(rows, cols, fit, n_members, capacity, placement_weight=10.0):
    """Max placements, then max total fit, over all feasible edges (OR-Tools min-cost flow).

    Returns (placed, total fit).
    """
    from ortools.graph.python import min_cost_flow

    scale = 1_000_000
    m = len(capacity)
    source, sink = n_members + m, n_members + m + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n_members, source), rows, n_members + np.arange(m)])
    heads = np.concatenate([np.arange(n_members), n_members + cols, np.full(m, sink)])
    caps = np.concatenate([np.ones(n_members), np.ones(len(rows)), capacity]).astype(np.int64)
    costs = np.concatenate(
        [np.zeros(n_members), -np.round((fit + placement_weight) * scale), np.zeros(m)]
    ).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    # Supplies mark the source and the sink; the max flow may fall short of them.
    flow.set_node_supply(source, n_members)
    flow.set_node_supply(sink, -n_members)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    used = flow.flows(np.arange(n_members, n_members + len(rows))) > 0
    return int(used.sum()), float(fit[used].sum())
