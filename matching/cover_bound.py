"""An upper bound on Q from covering members with groups of four, priced exactly.

The priced bound (:mod:`matching.dual_bound`) lets each member pick their
best partners alone, even partners who are strangers to each other. This one
keeps every group whole. A group of ``n >= 4`` scores exactly what its
``C(n, 4)`` subsets of four score when each carries weight ``1 / C(n - 1, 3)``:
every member is then covered once, and each pair of the group sits in
``C(n - 2, 2)`` of the subsets, which gives back its ``2 / (n - 1)`` share of
the group's score. So every grouping into groups of four or more is a
fractional cover by fours of the same value, and for any prices ``lam``

    sum_i mean_{j in g(i)} s_ij  <=  sum_i lam_i + sum_i max(0, r_i) / 4,

where ``r_i`` is the most any four holding ``i`` scores above its members'
prices (each four's surplus is shared by its four members, each of whom is
covered once). Subgradient descent on ``lam`` tightens it; any ``lam`` gives a
proven bound, so stopping early only makes it looser.

The most a four holding ``i`` can score is found by branch and bound over
``i``'s ``candidates`` best partners, ranked by an optimistic score (each
partner's reduced similarity to ``i`` plus half of their own two best), which
also bounds every four with a partner outside the list: where that bound is
higher, it is used instead of the four found, so the bound stays proven.

On the 8,858 ``few_interests`` group seekers of 10,000 members, warm-started
from our groups, 100 steps of about 4 s each gave 0.8690 where the priced
bound gave 0.8863 (see docs/benchmarks.md, "Bound"). Rules are not applied: it
bounds groupings that may put anyone together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
from sklearn.utils import check_array

ROWS = 1024
CANDIDATES = 300
EPS = 1e-5  # added to each surplus: more than the float32 rounding of the reduced similarities


@numba.njit(cache=True, nogil=True)
def _best_fours(cand, ev, cv, X, lam, first, surplus, mates):  # pragma: no cover - compiled
    """For each row ``t`` (member ``first + t``), the best four's surplus and its other three.

    ``cand[t]`` holds the member's partners by optimistic score ``ev[t]``
    (descending; one more than are searched, whose score bounds every four
    with a partner outside the list); ``cv[t]`` their reduced similarity.
    """
    rows, width = cand.shape
    k = width - 1
    d = X.shape[1]
    for t in range(rows):
        c = cand[t]
        e = ev[t]
        best = -np.inf
        ja = jb = jc = -1
        for a in range(k - 2):
            if e[a] + e[a + 1] + e[a + 2] <= best:
                break
            xa = c[a]
            for b in range(a + 1, k - 1):
                if e[a] + e[b] + e[b + 1] <= best:
                    break
                xb = c[b]
                sab = 0.0
                for q in range(d):
                    sab += X[xa, q] * X[xb, q]
                for f in range(b + 1, k):
                    if e[a] + e[b] + e[f] <= best:
                        break
                    xf = c[f]
                    saf = 0.0
                    sbf = 0.0
                    for q in range(d):
                        saf += X[xa, q] * X[xf, q]
                        sbf += X[xb, q] * X[xf, q]
                    value = cv[t, a] + cv[t, b] + cv[t, f]
                    value += (2.0 / 3.0) * (sab + saf + sbf - lam[xa] - lam[xb] - lam[xf])
                    if value > best:
                        best = value
                        ja, jb, jc = xa, xb, xf
        outside = e[0] + e[1] + e[k]
        surplus[first + t] = max(best, outside)
        mates[first + t, 0] = ja
        mates[first + t, 1] = jb
        mates[first + t, 2] = jc


def _reduced(X: np.ndarray, lam: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Each pair's share of a four's surplus: 2/3 of its similarity less a third of both prices."""
    c = (2.0 / 3.0) * (X[start:stop] @ X.T) - (lam[start:stop, None] + lam[None, :]) / 3.0
    c[np.arange(stop - start), np.arange(start, stop)] = -np.inf
    return c


def _surplus(
    X: np.ndarray, lam: np.ndarray, candidates: int, rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per member, a proven upper bound on the best four's surplus, and that four's others."""
    n = len(X)
    lam32 = lam.astype(np.float32)
    two_best = np.empty(n, dtype=np.float32)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        c = _reduced(X, lam32, start, stop)
        two_best[start:stop] = np.partition(c, n - 2, axis=1)[:, n - 2 :].sum(axis=1)
    k = min(candidates, n - 1)
    surplus = np.empty(n)
    mates = np.empty((n, 3), dtype=np.int64)
    X64 = X.astype(np.float64)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        c = _reduced(X, lam32, start, stop)
        e = c + two_best[None, :] / 2.0
        if k + 1 < n:
            cand = np.argpartition(-e, k + 1, axis=1)[:, : k + 1]
        else:
            # Everyone is a candidate: the extra column is the member itself, scored -inf.
            cand = np.argsort(-e, axis=1)
        ev = np.take_along_axis(e, cand, axis=1)
        order = np.argsort(-ev, axis=1, kind="stable")
        cand = np.ascontiguousarray(np.take_along_axis(cand, order, axis=1))
        ev = np.take_along_axis(ev, order, axis=1).astype(np.float64)
        cv = np.take_along_axis(c, cand, axis=1).astype(np.float64)
        _best_fours(cand, ev, cv, X64, lam, start, surplus, mates)
    return surplus + EPS, mates


def cover_bound(
    X: np.ndarray,
    *,
    start: Sequence[np.ndarray] | None = None,
    iterations: int = 100,
    step: float = 0.02,
    candidates: int = CANDIDATES,
    rows: int = ROWS,
) -> float:
    """Upper bound on Q (mean over members of their mean similarity to group-mates)
    for every partition of the rows of ``X`` into groups of four or more.

    ``X`` holds unit rows. ``start``, a grouping of all the rows, sets the
    first prices to its members' scores (the bound then starts near it);
    otherwise each member starts at the mean of their three best similarities.
    Each step is two passes over all pairs in blocks of ``rows`` and a search
    of each member's ``candidates`` best partners; the descent is deterministic.
    """
    X = check_array(X, dtype=np.float32, accept_sparse=False)
    n = len(X)
    if n < 4:
        raise ValueError(f"need at least four members, got {n}")
    if iterations < 1 or step <= 0 or candidates < 3:
        raise ValueError("iterations must be at least 1, step positive, candidates at least 3")
    lam = _start_prices(X, start, rows)
    best = np.inf
    for t in range(iterations):
        surplus, mates = _surplus(X, lam, candidates, rows)
        best = min(best, (lam.sum() + np.maximum(surplus, 0.0).sum() / 4.0) / n)
        # Each price is paid once; each positive four takes a quarter of its members' seats.
        grad = np.ones(n)
        gaining = np.flatnonzero((surplus > 0) & (mates[:, 0] >= 0))
        np.subtract.at(grad, gaining, 0.25)
        for col in range(3):
            np.subtract.at(grad, mates[gaining, col], 0.25)
        norm = float(np.linalg.norm(grad))
        if norm == 0.0:
            break
        lam = lam - step / (1 + t / 30) * np.sqrt(n) / norm * grad
    return float(best)


def _start_prices(X: np.ndarray, start: Sequence[np.ndarray] | None, rows: int) -> np.ndarray:
    """Each member's score in ``start``, or without it the mean of their three best similarities."""
    n = len(X)
    lam = np.empty(n)
    if start is None:
        for first in range(0, n, rows):
            stop = min(first + rows, n)
            W = X[first:stop] @ X.T
            W[np.arange(stop - first), np.arange(first, stop)] = -np.inf
            lam[first:stop] = np.partition(W, n - 3, axis=1)[:, n - 3 :].mean(axis=1)
        return lam
    seen = np.zeros(n, dtype=bool)
    for g in start:
        g = np.asarray(g, dtype=np.int64)
        if len(g) < 2:
            raise ValueError("start groups need at least two members")
        total = X[g].astype(np.float64).sum(axis=0)
        lam[g] = (X[g] @ total - 1.0) / (len(g) - 1)
        seen[g] = True
    if not seen.all():
        raise ValueError("start must hold every row once")
    return lam
