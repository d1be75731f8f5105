"""Nearest members from sparse rows (matching.nearest): the same answer as ranking everyone."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from matching.nearest import most_similar_rows


def ranked_by_sorting(X: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: int, first: int):
    """Every column ranked: highest dot product first, the lower column first among equals."""
    sims = X[rows] @ X[cols].T
    out = np.full((len(rows), k), -1)
    for r in range(len(rows)):
        keep = [c for c in range(len(cols)) if c != first + r]
        order = sorted(keep, key=lambda c: (-sims[r, c], c))[:k]
        out[r, : len(order)] = order
    return out


def kernel(X: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: int, first: int):
    csr = sparse.csr_matrix(X.astype(np.float32))
    Xt = np.ascontiguousarray(X[cols].T.astype(np.float32))
    return most_similar_rows(
        csr.indptr.astype(np.int64),
        csr.indices.astype(np.int64),
        csr.data.astype(np.float32),
        Xt,
        rows.astype(np.int64),
        k,
        first,
    )


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 300),
    d=st.integers(1, 12),
    k=st.integers(1, 80),
    density=st.floats(0.05, 1.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_the_best_k_are_those_of_a_full_ranking_ties_included(n, d, k, density, seed):
    # Small whole numbers and halves: every sum is exact, so ties are real ties.
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n, d)) * 0.5 * (rng.random((n, d)) < density)
    rows = np.arange(n)
    k = min(k, n - 1)
    expected = ranked_by_sorting(X, rows, rows, k, 0)
    assert np.array_equal(kernel(X, rows, rows, k, 0), expected)


def test_rows_of_a_region_skip_only_the_member_itself():
    # Rows are the region's members 5..9, the columns the whole region 0..9 (first = 5).
    rng = np.random.default_rng(3)
    X = rng.random((10, 4))
    cols = np.arange(10)
    rows = np.arange(5, 10)
    got = kernel(X, rows, cols, 9, 5)
    assert np.array_equal(got, ranked_by_sorting(X, rows, cols, 9, 5))
    for r, row in enumerate(got):
        assert 5 + r not in row
        assert sorted(row) == [c for c in range(10) if c != 5 + r]


def test_a_thousand_alike_members_still_get_their_best_first():
    # Many equal similarities defeat the sampled threshold's estimate of 2k candidates.
    X = np.zeros((1000, 3))
    X[:, 0] = 1.0
    X[::7, 1] = 0.5  # every seventh member is a little closer to the others like them
    everyone = np.arange(1000)
    got = kernel(X, everyone, everyone, 24, 0)
    assert np.array_equal(got, ranked_by_sorting(X, everyone, everyone, 24, 0))
    assert list(got[14]) == [c for c in range(0, 1000, 7) if c != 14][:24]
    assert list(got[15]) == [c for c in range(24 + 1) if c != 15]
