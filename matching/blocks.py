"""Cut a pool of members into blocks small enough for dense matrices.

Grouping is solved exactly-scored but locally inside blocks of a few
hundred members, where a dense similarity matrix costs little. Blocks are
built first on the map by recursive median bisection (people must meet
within walking or travel distance), then by small k-means clusters on the
feature vectors packed together (so a block holds people who are alike: a
cut along one direction of a high-dimensional space separates many near
neighbours, small clusters do not).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .feasibility import EARTH_RADIUS_KM

KMEANS_ITERATIONS = 10
PREFER_BONUS = 0.1  # similarity added for pairs who asked to meet again
KMEANS_SAMPLE = 150
PER_CENTRE = 50


def _principal_direction(points: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    centred = points - points.mean(axis=0)
    v = rng.normal(size=points.shape[1])
    for _ in range(4):  # a few power iterations are plenty for a median split
        v = centred.T @ (centred @ v)
        norm = np.linalg.norm(v)
        if norm == 0:
            break
        v /= norm
    return centred @ v


def _bisect(idx: np.ndarray, score_fn, max_size: int, out: list[np.ndarray]) -> None:
    stack = [idx]
    while stack:
        part = stack.pop()
        if len(part) <= max_size:
            out.append(part)
            continue
        score = score_fn(part)
        order = np.argsort(score, kind="stable")
        half = len(part) // 2
        stack.append(part[order[half:]])
        stack.append(part[order[:half]])


def map_blocks(coords: np.ndarray, idx: np.ndarray, max_size: int) -> list[np.ndarray]:
    """Split members ``idx`` (radian coords) into map regions of at most ``max_size``."""
    xy = np.column_stack(
        [coords[:, 0] * EARTH_RADIUS_KM, coords[:, 1] * np.cos(coords[:, 0]) * EARTH_RADIUS_KM]
    )

    def longer_axis(part: np.ndarray) -> np.ndarray:
        p = xy[part]
        spread = p.max(axis=0) - p.min(axis=0)
        return p[:, int(np.argmax(spread))]

    out: list[np.ndarray] = []
    _bisect(idx, longer_axis, max_size, out)
    return out


def feature_blocks(
    features: np.ndarray, idx: np.ndarray, max_size: int, rng: np.random.RandomState
) -> list[np.ndarray]:
    """Split members ``idx`` into blocks of alike members of at most ``max_size``.

    k-means with one centre per ``PER_CENTRE`` members finds small clusters,
    which are then packed into blocks, each block growing from the largest
    free cluster by the nearest clusters that still fit. Clustering straight
    to block size leaves a few huge clusters that must be cut along one
    direction, and those cuts part near neighbours (a third of everyone's
    ten nearest ended up in another block; with packing, a quarter).
    """
    if len(idx) <= max_size:
        return [idx] if len(idx) else []
    k = int(np.ceil(len(idx) / PER_CENTRE))
    points = features[idx].astype(np.float32)
    labels = _kmeans_labels(points, k, rng)
    counts = np.bincount(labels, minlength=k)
    out: list[np.ndarray] = []
    for c in np.flatnonzero(counts > max_size):
        part = idx[labels == c]
        _bisect(part, lambda p: _principal_direction(features[p], rng), max_size, out)
    centres = group_sums(labels, points, k) / np.maximum(counts, 1)[:, None]
    centres /= np.linalg.norm(centres, axis=1, keepdims=True).clip(1e-12)
    free = (counts > 0) & (counts <= max_size)
    members_of = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    for c in np.argsort(-counts, kind="stable"):
        if not free[c]:
            continue
        free[c] = False
        chosen, size, total = [c], int(counts[c]), centres[c] * counts[c]
        while True:
            fits = np.flatnonzero(free & (counts <= max_size - size))
            if len(fits) == 0:
                break
            best = fits[np.argmax(centres[fits] @ total)]
            free[best] = False
            chosen.append(best)
            size += int(counts[best])
            total = total + centres[best] * counts[best]
        out.append(
            np.sort(idx[np.concatenate([members_of[starts[c] : starts[c + 1]] for c in chosen])])
        )
    return out


def group_sums(labels: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Row sums of ``values`` per label 0..k-1 (a sparse product; ``np.add.at`` is far slower)."""
    onehot = sparse.csr_matrix(
        (np.ones(len(labels), dtype=values.dtype), (labels, np.arange(len(labels)))),
        shape=(k, len(labels)),
    )
    return np.asarray(onehot @ values)


def _kmeans_labels(points: np.ndarray, k: int, rng: np.random.RandomState) -> np.ndarray:
    """Lloyd iterations on a sample of ``KMEANS_SAMPLE`` members per centre, then one assignment.

    Plain numpy on purpose: one thread, so it behaves the same on a busy
    machine, and blocks need a good partition, not a converged one.
    """
    P = points.astype(np.float32)
    sample = P
    if len(P) > KMEANS_SAMPLE * k:
        sample = P[rng.choice(len(P), size=KMEANS_SAMPLE * k, replace=False)]
    C = sample[rng.choice(len(sample), size=k, replace=False)]
    for _ in range(KMEANS_ITERATIONS):
        labels = _nearest(sample, C)
        counts = np.bincount(labels, minlength=k)
        sums = group_sums(labels, sample, k)
        filled = counts > 0
        C[filled] = sums[filled] / counts[filled, None]
    return _nearest(P, C)


def _nearest(P: np.ndarray, C: np.ndarray) -> np.ndarray:
    # Nearest centre by squared distance, dropping the constant |x|^2.
    return np.argmax(P @ C.T - 0.5 * (C * C).sum(axis=1), axis=1)


def block_similarity(
    X: np.ndarray,
    arr,
    idx: np.ndarray,
    avoid_keys: np.ndarray,
    prefer_keys: np.ndarray,
    *,
    in_person: bool,
    pace_rule: bool = False,
    prefer_bonus: float = PREFER_BONUS,
    penalty: float = -1000.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense similarity of a block with hard-rule penalties and a continuity bonus.

    Returns ``(S, ok)``: ``S[i, j]`` is the cosine similarity, plus
    ``prefer_bonus`` for pairs who asked to meet again, or ``penalty`` for
    pairs who may not meet (no shared slot, out of reach, no common
    language, blocked); the diagonal is 0. ``ok`` is the pairwise
    feasibility (diagonal False).
    """
    Xb = X[idx].astype(np.float64)
    S = Xb @ Xb.T
    # Broadcast a column against a row: no n x n index gathers.
    slots = arr.slots[idx]
    ok = (slots[:, None] & slots[None, :]) != 0
    langs = arr.languages[idx]
    if langs.any():
        li, lj = langs[:, None], langs[None, :]
        ok &= (li == 0) | (lj == 0) | ((li & lj) != 0)
    if in_person:
        lat, lon = arr.coords[idx, 0], arr.coords[idx, 1]
        h = (
            np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
            + np.cos(lat)[:, None]
            * np.cos(lat)[None, :]
            * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2
        )
        # Compare the haversine term with the limit's, skipping arcsin on every pair.
        reach = np.minimum(arr.max_km[idx][:, None], arr.max_km[idx][None, :])
        limit = np.sin(np.minimum(reach / (2 * EARTH_RADIUS_KM), np.pi / 2)) ** 2
        located = arr.has_location[idx]
        ok &= (h <= limit * (1 + 1e-12)) & located[:, None] & located[None, :]
    if pace_rule:
        pi, pj = arr.pace[idx][:, None], arr.pace[idx][None, :]
        ok &= (pi < 0) | (pj < 0) | (np.abs(pi - pj) <= 1)
    np.fill_diagonal(ok, False)
    n_all = len(arr.ids)
    local = _local_positions(idx, n_all)
    for keys, is_avoid in ((avoid_keys, True), (prefer_keys, False)):
        if len(keys) == 0:
            continue
        a, b = local[keys // max(n_all, 1)], local[keys % max(n_all, 1)]
        inside = (a >= 0) & (b >= 0)
        a, b = a[inside], b[inside]
        if is_avoid:
            ok[a, b] = ok[b, a] = False
        else:
            S[a, b] += prefer_bonus
            S[b, a] += prefer_bonus
    S[~ok] = penalty
    np.fill_diagonal(S, 0.0)
    return S, ok


def _local_positions(idx: np.ndarray, n_all: int) -> np.ndarray:
    local = np.full(n_all, -1, dtype=np.int64)
    local[idx] = np.arange(len(idx))
    return local
