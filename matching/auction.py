"""Auction algorithm for the transportation problem (volunteers to places).

Bertsekas' forward auction, vectorised the Jacobi way:
every unplaced volunteer bids at once for their best opportunity, each
opportunity keeps its highest bids up to capacity, and its price becomes
the lowest bid it kept once full. The result is within ``n * eps`` of the
optimal total value on the candidate edges. (Epsilon scaling that keeps
prices between phases needs reverse steps when rows may stay unplaced, so
callers use a single phase with a small ``eps``.)
"""

from __future__ import annotations

import numpy as np

UNPLACED = -2
FREE = -1


def auction(
    cand: np.ndarray,
    value: np.ndarray,
    capacity: np.ndarray,
    *,
    eps_start: float = 0.5,
    eps_final: float = 1e-4,
    shrink: float = 6.0,
    max_iter: int = 20_000,
) -> np.ndarray:
    """Assign each row to at most one column of ``cand`` maximising total ``value``.

    Parameters
    ----------
    cand : int array (n, k)
        Candidate opportunity per row, ``-1`` padding.
    value : float array (n, k)
        Value of each candidate (positive; staying unplaced is worth 0).
    capacity : int array (m,)

    Returns
    -------
    int array (n,): the chosen opportunity, or -2 for unplaced.
    """
    n, k = cand.shape
    m = len(capacity)
    price = np.zeros(m)
    valid = cand >= 0
    safe = np.where(valid, cand, 0)
    eps = eps_start
    while True:
        owner = np.full(n, FREE, dtype=np.int64)
        held = np.zeros(n)
        for _ in range(max_iter):
            free = np.flatnonzero(owner == FREE)
            if len(free) == 0:
                break
            net = np.where(valid[free], value[free] - price[safe[free]], -np.inf)
            best_k = np.argmax(net, axis=1)
            best = net[np.arange(len(free)), best_k]
            net[np.arange(len(free)), best_k] = -np.inf
            second = np.maximum(net.max(axis=1), 0.0)  # staying unplaced is worth 0
            gives_up = best <= 0
            owner[free[gives_up]] = UNPLACED
            bidders = free[~gives_up]
            if len(bidders) == 0:
                continue
            target = safe[bidders, best_k[~gives_up]]
            bid = price[target] + best[~gives_up] - second[~gives_up] + eps
            # Current holders of the contested opportunities compete with the new bids.
            touched = np.zeros(m, dtype=bool)
            touched[target] = True
            holders = np.flatnonzero((owner >= 0) & touched[np.maximum(owner, 0)])
            who = np.concatenate([holders, bidders])
            where = np.concatenate([owner[holders], target])
            amount = np.concatenate([held[holders], bid])
            order = np.lexsort((-amount, where))
            who, where, amount = who[order], where[order], amount[order]
            start = np.searchsorted(where, where, side="left")
            rank = np.arange(len(where)) - start
            keep = rank < capacity[where]
            owner[who[~keep]] = FREE
            owner[who[keep]] = where[keep]
            held[who[keep]] = amount[keep]
            # A full opportunity's price is the lowest bid it kept.
            full = keep & (rank == capacity[where] - 1)
            price[where[full]] = amount[full]
        if eps <= eps_final:
            return owner
        eps = max(eps / shrink, eps_final)
