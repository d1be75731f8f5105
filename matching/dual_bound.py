"""A Lagrangian upper bound on Q for any grouping of a set of members.

``quality.top_k_bound`` gives every member their best partners even when
those partners are everyone's best, so on communities whose members are much
alike it sits far above anything reachable and says little about how much a
search could still gain. Pricing each member's seat fixes most of that: for
any prices ``u``, and any partition into groups of at least ``min_size``,

    sum_i mean_{j in g(i)} w_ij  <=  2 sum_i u_i
                                     + sum_i topmean_{min_size - 1}(max(0, w_ij - u_i - u_j))

because the price terms sum to ``2 sum u`` over any grouping and a mean of
``s - 1`` values never exceeds the mean of the ``min_size - 1`` largest
non-negative ones. Minimising the right side over ``u`` (subgradient descent)
gives the bound; ``u = 0`` is the top-k bound itself, so this one is never
looser. Rules are not applied: it bounds groupings that may pair anyone.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array

ROWS = 1024


def _priced_top(X: np.ndarray, u: np.ndarray, k: int, rows: int) -> tuple[float, np.ndarray]:
    """The bound's value at prices ``u`` and a subgradient of it."""
    n = len(X)
    total = 2.0 * float(u.sum(dtype=np.float64))
    grad = np.full(n, 2.0)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        reduced = X[start:stop] @ X.T - u[start:stop, None] - u[None, :]
        # Nobody meets themselves.
        reduced[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        top = np.argpartition(reduced, n - k, axis=1)[:, n - k :]
        values = np.take_along_axis(reduced, top, axis=1)
        positive = values > 0
        total += float(np.where(positive, values, 0.0).sum(dtype=np.float64)) / k
        grad[start:stop] -= positive.sum(axis=1) / k
        grad -= np.bincount(top[positive], minlength=n) / k
    return total / n, grad


def partition_bound(
    X: np.ndarray,
    *,
    min_size: int = 4,
    iterations: int = 120,
    step: float = 0.03,
    rows: int = ROWS,
) -> float:
    """Upper bound on Q (mean over members of their mean similarity to group-mates)
    for every partition of the rows of ``X`` into groups of at least ``min_size``.

    ``X`` holds unit rows (so dot = cosine), one per member to be grouped. The
    work per iteration is one pass over all pairs in blocks of ``rows``
    (memory ``rows * len(X)``); the descent is deterministic.
    """
    X = check_array(X, dtype=np.float32, accept_sparse=False)
    n = len(X)
    if min_size < 2:
        raise ValueError("min_size must be at least 2")
    if n < min_size:
        raise ValueError(f"need at least min_size ({min_size}) members, got {n}")
    if iterations < 1 or step <= 0:
        raise ValueError("iterations must be at least 1 and step positive")
    k = min_size - 1
    u = np.zeros(n, dtype=np.float32)
    best = np.inf
    for t in range(iterations):
        value, grad = _priced_top(X, u, k, rows)
        best = min(best, value)
        norm = float(np.linalg.norm(grad))
        if norm == 0.0:  # prices at an optimum of the dual
            break
        u -= (step / (1 + t / 50) * np.sqrt(n) / norm * grad).astype(np.float32)
    return float(best)
