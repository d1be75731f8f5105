"""Quality of a set of matches: achieved mean similarity and an upper bound on it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils import check_random_state

from .blocks import group_sums
from .feasibility import IN_PERSON, ONLINE, MemberArrays, pair_ok
from .results import Quality

BOUND_SAMPLE = 400
SHORTLIST = 64


def member_scores(X: np.ndarray, matches: Sequence[np.ndarray], chunk: int = 1024) -> np.ndarray:
    """Each matched member's mean cosine similarity to the others in their match.

    Uses the group-sum identity: for unit rows, a member's summed similarity
    to group-mates is ``x_i . sum(group) - 1``. Matches are taken ``chunk``
    at a time in whole-array operations (a loop per match cost 0.5 s at
    100,000 members).
    """
    out = []
    for start in range(0, len(matches), chunk):
        part = matches[start : start + chunk]
        sizes = np.fromiter((len(g) for g in part), dtype=np.int64, count=len(part))
        rows = X[np.concatenate(part)].astype(np.float64)
        owner = np.repeat(np.arange(len(part)), sizes)
        sums = group_sums(owner, rows, len(part))
        own = np.einsum("ij,ij->i", rows, sums[owner]) - np.einsum("ij,ij->i", rows, rows)
        out.append(own / (sizes[owner] - 1))
    return np.concatenate(out) if out else np.zeros(0)


def mean_similarity(X: np.ndarray, matches: Sequence[np.ndarray]) -> float:
    """Q: the mean over matched members of their mean similarity to match-mates."""
    scores = member_scores(X, matches)
    return float(scores.mean()) if len(scores) else 0.0


def top_k_bound(
    X: np.ndarray,
    arr: MemberArrays,
    matches: Sequence[np.ndarray],
    formats: Sequence[str],
    pool: np.ndarray,
    avoid_keys: np.ndarray,
    *,
    pace_rule: bool = False,
    random_state=0,
) -> float:
    """Mean over matched members of their top ``(size - 1)`` feasible partner similarities.

    No match can give a member more than the mean of their ``size - 1`` best
    partners who may meet them in that format, so this bounds the mean
    similarity of any matching with the same match sizes. Beyond
    ``BOUND_SAMPLE`` matched members it is estimated on a fixed random
    sample (the mean of a sample; its standard error is about 0.005).
    ``pool`` holds the members anyone could be matched with.
    """
    members = np.concatenate(matches) if matches else np.zeros(0, dtype=np.int64)
    if len(members) == 0:
        return 0.0
    sizes = np.concatenate([np.full(len(g), len(g)) for g in matches])
    fmt = np.concatenate(
        [np.full(len(g), f == "in_person") for g, f in zip(matches, formats, strict=False)]
    )
    rng = check_random_state(random_state)
    if len(members) > BOUND_SAMPLE:
        pick = np.sort(rng.choice(len(members), BOUND_SAMPLE, replace=False))
        members, sizes, fmt = members[pick], sizes[pick], fmt[pick]
    near_pool = pool[(arr.format[pool] != ONLINE) & arr.has_location[pool]]
    far_pool = pool[arr.format[pool] != IN_PERSON]
    values = np.empty(len(members))
    for near, cands in ((True, near_pool), (False, far_pool)):
        rows = np.flatnonzero(fmt == near)
        if len(rows) == 0:
            continue
        # Similarities by blocks of rows: one matrix product instead of many gathers.
        cand_vectors_t = np.ascontiguousarray(X[cands].T)
        for start in range(0, len(rows), 100):
            chunk = rows[start : start + 100]
            sims = X[members[chunk]] @ cand_vectors_t
            for r, k in enumerate(chunk):
                i = members[k]
                top = int(sizes[k]) - 1
                row_sims = sims[r]
                # Check the rules (distance included) on the most similar candidates
                # first; on all of them only when too few of those pass.
                everyone = np.arange(len(cands))
                shortlist = everyone
                if len(cands) > top + SHORTLIST:
                    shortlist = np.argpartition(-row_sims, top + SHORTLIST)[: top + SHORTLIST]
                for tried in (shortlist, everyone):
                    fine = _partners_ok(arr, i, cands[tried], near, avoid_keys, pace_rule)
                    if fine.sum() >= top or len(tried) == len(cands):
                        break
                row = row_sims[tried[fine]].astype(np.float64)
                if len(row) > top:
                    row = np.partition(row, len(row) - top)[-top:]
                values[k] = row.sum() / top
    return float(values.mean())


def _partners_ok(arr, i, cand, in_person, avoid_keys, pace_rule) -> np.ndarray:
    """Which of ``cand`` may meet member ``i`` (in person: within both travel limits)."""
    fine = pair_ok(arr, np.full(len(cand), i), cand, avoid_keys, in_person)
    if pace_rule and len(cand):
        pi, pj = arr.pace[i], arr.pace[cand]
        fine &= (pi < 0) | (pj < 0) | (np.abs(pi - pj) <= 1)
    return fine


def quality(achieved: float, bound: float) -> Quality:
    """Bundle achieved / bound with their ratio (0 when nothing was matched)."""
    ratio = achieved / bound if bound > 0 else 0.0
    return Quality(mean_similarity=round(achieved, 6), bound=round(bound, 6), ratio=round(ratio, 6))
