"""The cover bound (matching.cover_bound): each four priced exactly, tighter than the priced bound.

That no grouping scores above it is tested with the priced bound's, in test_matching_dual_bound.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_matching_dual_bound import unit_rows

from matching.cover_bound import _surplus, cover_bound
from matching.dual_bound import partition_bound


def brute_surplus(X: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Per member, the most any four holding them scores above its members' prices."""
    W = X.astype(np.float64) @ X.T.astype(np.float64)
    best = np.full(len(X), -np.inf)
    for four in combinations(range(len(X)), 4):
        value = 2 / 3 * sum(W[a, b] for a, b in combinations(four, 2)) - lam[list(four)].sum()
        for i in four:
            best[i] = max(best[i], value)
    return best


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(4, 11),
    candidates=st.integers(3, 12),
    spread=st.floats(0.05, 2.0),
    seed=st.integers(0, 10_000),
)
def test_each_members_best_four_is_never_underpriced(n, candidates, spread, seed):
    rng = np.random.default_rng(seed)
    X = unit_rows(rng, n, 4, spread).astype(np.float32)
    lam = rng.uniform(0.3, 1.0, n)
    surplus, _ = _surplus(X, lam, candidates, rows=3)
    exact = brute_surplus(X, lam)
    assert np.all(surplus >= exact - 1e-6)
    if candidates >= n - 1:  # every partner searched: the best four itself, not a bound
        np.testing.assert_allclose(surplus, exact, atol=2e-5)


def test_members_alike_in_clusters_get_a_tighter_bound_than_the_priced_one():
    rng = np.random.default_rng(3)
    X = unit_rows(rng, 400, 8, 0.6)
    start = np.array_split(np.argsort(X[:, 0], kind="stable"), 100)
    priced = partition_bound(X, min_size=4)
    cover = cover_bound(X, start=start, iterations=60)
    assert cover < priced - 0.003
    assert cover <= cover_bound(X, start=start, iterations=1)


def test_identical_members_are_bounded_by_exactly_one():
    X = np.tile(np.array([[0.6, 0.8]], dtype=np.float32), (12, 1))
    assert cover_bound(X, iterations=5) == pytest.approx(1.0, abs=1e-4)


def test_bad_input_is_refused_with_a_reason():
    X = unit_rows(np.random.default_rng(0), 8, 3, 0.5)
    with pytest.raises(ValueError, match="at least four"):
        cover_bound(X[:3])
    with pytest.raises(ValueError, match="every row once"):
        cover_bound(X, start=[np.arange(4)])
    with pytest.raises(ValueError, match="candidates at least 3"):
        cover_bound(X, candidates=2)
