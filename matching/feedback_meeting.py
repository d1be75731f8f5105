"""Meeting-level terms of :class:`matching.FeedbackVectorizer`: size, format and distance.

How big a meeting was, whether it was online and how far apart its members lived
change how it feels without saying anything about who suits whom. The model gives
each its own term (a nuisance term, held near 0 by a ridge) so that a big, online or
far-flung meeting does not blame the shared features, and reports what the terms
found. The searches cannot score these terms: size is the organizer's range, format
and distance are hard rules there (a shared format; everyone within each other's
travel distance), so they shape no similarity.

Distance is the mean great-circle km between the locations of those who came, in
bands (:data:`DISTANCE_BANDS`). An online meeting, or one where someone has no
location, has no distance term.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, combinations

import numpy as np

from .feasibility import haversine_km
from .feedback_data import LearnedEffect

LARGEST_SIZE = 7  # meetings of seven or more share one size term


N_SIZES = LARGEST_SIZE - 1  # sizes 2 .. 7+


# (upper bound of the mean pairwise km, how a summary says it); band codes 1, 2, 3.
DISTANCE_BANDS = (
    (1.0, "within 1 km of each other"),
    (3.0, "1 to 3 km from each other"),
    (float("inf"), "over 3 km from each other"),
)
N_DISTANCES = len(DISTANCE_BANDS) + 1  # code 0: no distance (online, or a location missing)
DISTANCE_LABELS = ("within 1 km", "1-3 km", "over 3 km")


# Nuisance parameters after the block terms and the common level, in this order.
N_NUISANCE = 2 + N_SIZES + 1 + len(DISTANCE_BANDS)  # intercepts, sizes, online, distance


def meeting_distance_bands(
    locations: Sequence[tuple[float, float] | None],
    present: Sequence[Sequence[int]],
    online: Sequence[bool],
) -> np.ndarray:
    """Each meeting's band code: 1-3 by the mean pairwise km of those who came, 0 for none.

    ``present`` lists each meeting's rows of ``locations``. An online meeting, one with
    fewer than two, or one where someone has no location gets 0. One vectorised pass
    over every pair, so a refit on a long history stays quick.
    """
    bands = np.zeros(len(present), dtype=np.int64)
    pairs = [
        list(combinations(rows, 2)) if not off and len(rows) >= 2 else []
        for rows, off in zip(present, online, strict=True)
    ]
    owner = np.repeat(np.arange(len(pairs)), [len(p) for p in pairs])
    if not len(owner):
        return bands
    a, b = np.array(list(chain.from_iterable(pairs)), dtype=np.int64).T
    coords = np.radians(
        np.array([loc if loc is not None else (np.nan, np.nan) for loc in locations], float)
    )
    km = haversine_km(coords[a], coords[b])
    missing = np.bincount(owner, np.isnan(km), minlength=len(pairs)) > 0
    counts = np.bincount(owner, minlength=len(pairs))
    mean_km = np.bincount(owner, np.nan_to_num(km), minlength=len(pairs)) / counts.clip(1)
    uppers = [upper for upper, _ in DISTANCE_BANDS[:-1]]
    found = 1 + np.searchsorted(uppers, mean_km, side="left")
    return np.where((counts > 0) & ~missing, found, 0).astype(np.int64)


def nuisance_cells(
    kind: np.ndarray, size_level: np.ndarray, online: np.ndarray, distance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cell (kind x size x format x distance) and the cell -> term indicator.

    The loss adds ``terms @ nuisance`` per cell, so the meeting-level part of every
    row's logit is one lookup (96 cells) however many rows there are. The columns of
    ``terms``: two intercepts (feeling, again), the size terms, the online term, the
    distance bands.
    """
    cell = ((kind * N_SIZES + size_level) * 2 + (online > 0)) * N_DISTANCES + distance
    cells = np.arange(2 * N_SIZES * 2 * N_DISTANCES)
    band = cells % N_DISTANCES
    terms = np.zeros((len(cells), N_NUISANCE))
    terms[cells, cells // (2 * N_SIZES * N_DISTANCES)] = 1.0
    terms[cells, 2 + (cells // (2 * N_DISTANCES)) % N_SIZES] = 1.0
    terms[cells, 2 + N_SIZES] = (cells // N_DISTANCES) % 2
    known = band > 0
    terms[cells[known], 2 + N_SIZES + band[known]] = 1.0
    return cell.astype(np.int64), terms


def meeting_effects(
    size_terms: np.ndarray, online_term: float, distance_terms: np.ndarray, feel_size, feel_band
) -> tuple[dict[int, float], float, dict[str, float]]:
    """Odds multipliers by size and by distance band (centred on those seen), and online's."""
    seen = np.unique(np.clip(feel_size, 2, LARGEST_SIZE)) - 2
    sizes = size_terms - (size_terms[seen].mean() if len(seen) else 0.0)
    bands = np.unique(feel_band[feel_band > 0]) - 1
    far = distance_terms - (distance_terms[bands].mean() if len(bands) else 0.0)
    return (
        {int(s) + 2: float(np.exp(sizes[s])) for s in seen},
        float(np.exp(online_term)),
        {DISTANCE_LABELS[b]: float(np.exp(far[b])) for b in bands},
    )


def distance_effects(nurturing: np.ndarray, band: np.ndarray, min_support: int):
    """How often answers said nurturing in each distance band, against the other bands."""
    effects = []
    known = band > 0
    for code, (_, words) in enumerate(DISTANCE_BANDS, start=1):
        has, other = band == code, known & (band != code)
        n_with, n_without = int(has.sum()), int(other.sum())
        if min(n_with, n_without) < min_support:
            continue
        rate_with, rate_without = float(nurturing[has].mean()), float(nurturing[other].mean())
        how = (
            f"{rate_with / rate_without:.1f}x as often"
            if rate_without
            else "where others never did"
        )
        summary = (
            f"Meetings where members lived {words} (on average) felt nurturing {how} "
            f"({rate_with:.0%} of {n_with} answers against {rate_without:.0%} of {n_without} "
            "at other in-person meetings)"
        )
        label = DISTANCE_LABELS[code - 1]
        effects.append(
            LearnedEffect(
                f"distance {label}",
                "distance",
                None,
                rate_with,
                rate_without,
                n_with,
                n_without,
                summary,
            )
        )
    return effects
