"""Walking partners: pairs (a trio only where someone would otherwise walk alone)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
from sklearn.utils import check_random_state

from .feasibility import ONLINE, member_arrays, pair_keys
from .match_building import build_matches
from .members import Member
from .pairing import pair_pool
from .quality import mean_similarity, quality, top_k_bound
from .results import PairingResult, Unplaced
from .threads import one_blas_thread
from .unplaced import walker_left_reason
from .vectorize import ProfileVectorizer

Pairs = Iterable[tuple[Hashable, Hashable]]


@one_blas_thread
def pair_walkers(
    members: Sequence[Member],
    *,
    avoid: Pairs = (),
    prefer: Pairs = (),
    random_state=0,
    interest_names: Mapping[int, str] | None = None,
    vectorizer=None,
) -> PairingResult:
    """Pair members for regular walks, maximising total similarity.

    Hard rules: both meet in person (format "in_person" or "either" with a
    location), are within each other's ``max_km``, share a slot, walk at
    compatible paces (gentle-steady or steady-brisk, not gentle-brisk), share
    a language if both stated one, and are not an ``avoid`` pair. ``prefer``
    pairs (both asked to walk together again) walk together again whenever
    every hard rule still allows it: regular partners are the point of walks,
    so continuity outweighs a slightly more similar stranger. Other pairs are
    found by mutual-best greedy matching and improved by 2-exchanges; a member
    left over joins a pair as a trio when that pair can take them. ``vectorizer`` is a fitted
    transformer with unit-norm rows (e.g. a :class:`matching.FeedbackVectorizer`);
    None fits a ProfileVectorizer on ``members``.
    """
    members = list(members)
    rng = check_random_state(random_state)
    arr = member_arrays(members)
    if not members:
        return PairingResult(matches=(), unplaced=(), quality=quality(0.0, 0.0))
    if vectorizer is None:
        vectorizer = ProfileVectorizer().fit(members)
    X = vectorizer.transform(members)
    rarity = dict(zip(vectorizer.interest_ids_.tolist(), vectorizer.idf_.tolist(), strict=False))
    avoid_keys = pair_keys(avoid, arr.index)
    prefer_keys = pair_keys(prefer, arr.index)
    everyone = np.arange(len(members))
    walkers = everyone[(arr.format != ONLINE) & arr.has_location]
    found, left = pair_pool(
        X,
        arr,
        walkers,
        avoid_keys,
        prefer_keys,
        in_person=True,
        pace_rule=True,
        rng=rng,
        keep_preferred=True,
    )
    matches = tuple(
        build_matches(
            members,
            arr,
            X,
            found,
            ["in_person"] * len(found),
            rarity,
            interest_names,
            groups=False,
        )
    )
    unplaced = [
        Unplaced(
            arr.ids[i],
            "walks meet in person and they chose online only"
            if arr.format[i] == ONLINE
            else "wants to walk but gave no location",
        )
        for i in everyone[(arr.format == ONLINE) | ~arr.has_location]
    ]
    unplaced += [
        Unplaced(arr.ids[i], walker_left_reason(arr, i, walkers, avoid_keys)) for i in left
    ]
    achieved = mean_similarity(X, found)
    bound = (
        top_k_bound(
            X,
            arr,
            found,
            ["in_person"] * len(found),
            walkers,
            avoid_keys,
            pace_rule=True,
            random_state=random_state,
        )
        if found
        else 0.0
    )
    return PairingResult(
        matches=matches, unplaced=tuple(unplaced), quality=quality(achieved, bound)
    )
