"""The priced bound (matching.dual_bound): above every grouping, never above the top-k bound;
the cover bound (matching.cover_bound) above every grouping too."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.cover_bound import cover_bound
from matching.dual_bound import partition_bound
from matching.quality import mean_similarity


def partitions(items: tuple[int, ...], min_size: int):
    """Every partition of ``items`` into groups of at least ``min_size``."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for size in range(min_size - 1, len(rest) + 1):
        for mates in combinations(rest, size):
            left = tuple(i for i in rest if i not in mates)
            if left and len(left) < min_size:
                continue
            for tail in partitions(left, min_size):
                yield [np.array((first, *mates)), *tail]


def best_q(X: np.ndarray, min_size: int) -> float:
    return max(mean_similarity(X, p) for p in partitions(tuple(range(len(X))), min_size))


def unit_rows(rng: np.random.Generator, n: int, dims: int, spread: float) -> np.ndarray:
    centres = rng.normal(size=(3, dims))
    X = np.abs(centres[rng.integers(0, 3, n)] + spread * rng.normal(size=(n, dims)))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def top_k_mean(X: np.ndarray, k: int) -> float:
    W = X @ X.T
    np.fill_diagonal(W, -np.inf)
    return float(np.sort(W, axis=1)[:, -k:].mean())


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(8, 10),
    dims=st.integers(2, 6),
    spread=st.floats(0.05, 2.0),
    seed=st.integers(0, 10_000),
)
def test_no_grouping_scores_above_the_bound(n, dims, spread, seed):
    X = unit_rows(np.random.default_rng(seed), n, dims, spread)
    bound = partition_bound(X, min_size=4, iterations=60)
    best = best_q(X, 4)
    assert bound >= best - 1e-5
    assert bound <= top_k_mean(X, 3) + 1e-5
    # The cover bound too, searching only four partners per member.
    assert cover_bound(X, iterations=40, candidates=4) >= best - 1e-9


@settings(max_examples=25, deadline=None)
@given(n=st.integers(5, 8), min_size=st.integers(2, 3), seed=st.integers(0, 10_000))
def test_smaller_groups_are_bounded_too(n, min_size, seed):
    X = unit_rows(np.random.default_rng(seed), n, 4, 0.5)
    bound = partition_bound(X, min_size=min_size, iterations=60)
    assert best_q(X, min_size) - 1e-5 <= bound <= top_k_mean(X, min_size - 1) + 1e-5


def test_members_everyone_wants_count_once():
    """Four members close to everyone: the top-k bound hands them to every member, but
    they fill one group (the best grouping keeps them together), so the priced bound
    sits close to the best grouping."""
    hubs = np.tile(np.eye(9)[0], (4, 1))
    loners = (np.eye(9)[0] + np.eye(9)[1:]) / np.sqrt(2)  # 0.71 to a hub, 0.5 to each other
    X = np.vstack([hubs, loners])
    optimum = best_q(X, 4)
    top_k = top_k_mean(X, 3)
    bound = partition_bound(X, min_size=4, iterations=200)
    assert optimum - 1e-5 <= bound
    assert (optimum, top_k) == pytest.approx((2 / 3, (4 + 8 / np.sqrt(2)) / 12), abs=1e-6)
    # The top-k bound is 0.14 above the best grouping; the priced one within 0.01.
    assert bound - optimum <= 0.01


def test_the_same_members_give_the_same_bound():
    X = unit_rows(np.random.default_rng(7), 300, 8, 0.7)
    assert partition_bound(X, rows=64) == partition_bound(X, rows=64)


@pytest.mark.parametrize(
    ("n", "kwargs", "message"),
    [
        (10, {"min_size": 1}, "min_size must be at least 2"),
        (3, {"min_size": 4}, "need at least min_size"),
        (10, {"iterations": 0}, "iterations must be at least 1"),
        (10, {"step": 0.0}, "step positive"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(n, kwargs, message):
    X = unit_rows(np.random.default_rng(1), n, 3, 0.5)
    with pytest.raises(ValueError, match=message):
        partition_bound(X, **kwargs)
