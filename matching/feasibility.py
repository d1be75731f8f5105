"""Hard rules as arrays: slot masks, formats, distances, languages and blocked pairs.

Rules are cheapest when applied while generating candidates, so everything
here works on whole index arrays at once.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import BallTree

from .members import N_SLOTS, PACES, Member

EARTH_RADIUS_KM = 6371.0088
IN_PERSON, ONLINE, EITHER = 0, 1, 2
FORMAT_CODES = {"in_person": IN_PERSON, "online": ONLINE, "either": EITHER}
SLOT_BITS = (1 << np.arange(N_SLOTS)).astype(np.int64)


def slot_mask(slots: Iterable[int]) -> int:
    """The 21-bit availability mask of a set of slots."""
    mask = 0
    for s in slots:
        mask |= 1 << int(s)
    return mask


def first_slot(mask: int) -> int:
    """Lowest slot present in a non-zero mask (deterministic choice of a shared slot)."""
    return (int(mask) & -int(mask)).bit_length() - 1


def popcount(masks: np.ndarray) -> np.ndarray:
    """Number of set bits per element of an integer array."""
    return ((masks[..., None] & SLOT_BITS) != 0).sum(-1)


@dataclass
class MemberArrays:
    """Column arrays of the members, indexed 0..n-1 like the input sequence."""

    ids: list[Hashable]
    index: dict[Hashable, int]
    slots: np.ndarray  # int64 bitmasks
    format: np.ndarray  # FORMAT_CODES
    has_location: np.ndarray
    coords: np.ndarray  # (n, 2) radians; zeros where no location
    max_km: np.ndarray
    shy: np.ndarray
    one_on_one: np.ndarray
    comfort: np.ndarray
    pace: np.ndarray  # 0..2, -1 for not stated
    languages: np.ndarray  # int64 bitmasks over the languages seen; 0 = not stated
    language_names: list[str]


def member_arrays(members: Sequence[Member]) -> MemberArrays:
    """Validate ids and collect the columns every rule needs."""
    ids = [m.id for m in members]
    index: dict[Hashable, int] = {}
    for i, mid in enumerate(ids):
        if mid in index:
            raise ValueError(f"member id {mid!r} appears more than once")
        index[mid] = i
    language_names = sorted({lang for m in members for lang in m.languages})
    lang_bit = {lang: 1 << k for k, lang in enumerate(language_names)}
    if len(language_names) > 62:
        raise ValueError("at most 62 distinct languages are supported")
    n = len(members)
    coords = np.zeros((n, 2))
    has_location = np.zeros(n, dtype=bool)
    for i, m in enumerate(members):
        if m.location is not None:
            coords[i] = m.location
            has_location[i] = True
    return MemberArrays(
        ids=ids,
        index=index,
        slots=np.array([slot_mask(m.slots) for m in members], dtype=np.int64),
        format=np.array([FORMAT_CODES[m.format] for m in members], dtype=np.int8),
        has_location=has_location,
        coords=np.radians(coords),
        max_km=np.array([m.max_km for m in members], dtype=np.float64),
        shy=np.array([m.is_shy for m in members], dtype=bool),
        one_on_one=np.array([m.setting == "one_on_one" for m in members], dtype=bool),
        comfort=np.array([m.comfort for m in members], dtype=np.int64),
        pace=np.array([-1 if m.pace is None else PACES.index(m.pace) for m in members]),
        languages=np.array(
            [sum(lang_bit[x] for x in m.languages) for m in members], dtype=np.int64
        ),
        language_names=language_names,
    )


def pair_keys(pairs: Iterable[tuple[Hashable, Hashable]], index: dict[Hashable, int]) -> np.ndarray:
    """Sorted int64 keys ``min * n + max`` of the pairs whose members are both present.

    Pairs naming unknown ids are ignored: a block may concern someone who
    did not ask to be matched this round.
    """
    n = max(len(index), 1)
    keys = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"avoid/prefer entries must be pairs of member ids, got {pair!r}")
        a, b = pair
        if a in index and b in index and a != b:
            i, j = index[a], index[b]
            keys.append(min(i, j) * n + max(i, j))
    return np.unique(np.array(keys, dtype=np.int64))


def pairs_in(keys: np.ndarray, i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    """Whether each (i, j) is one of the ``keys`` built by :func:`pair_keys`."""
    if len(keys) == 0:
        return np.zeros(np.broadcast(i, j).shape, dtype=bool)
    q = np.minimum(i, j) * max(n, 1) + np.maximum(i, j)
    pos = np.searchsorted(keys, q).clip(0, len(keys) - 1)
    return keys[pos] == q


def haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance between radian (lat, lon) arrays, broadcasting."""
    dlat = b[..., 0] - a[..., 0]
    dlon = b[..., 1] - a[..., 1]
    h = np.sin(dlat / 2) ** 2 + np.cos(a[..., 0]) * np.cos(b[..., 0]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points in degrees, such as
    two ``Member.location`` values: :func:`haversine_km` for one pair."""
    return float(haversine_km(np.radians(a), np.radians(b)))


def within_reach(arr: MemberArrays, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether i and j are both within each other's ``max_km`` (both need a location)."""
    ok = arr.has_location[i] & arr.has_location[j]
    dist = haversine_km(arr.coords[i], arr.coords[j])
    return ok & (dist <= np.minimum(arr.max_km[i], arr.max_km[j]))


def languages_ok(arr: MemberArrays, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Two members can talk if either did not state languages or they share one."""
    li, lj = arr.languages[i], arr.languages[j]
    return (li == 0) | (lj == 0) | ((li & lj) != 0)


def pair_ok(
    arr: MemberArrays, i: np.ndarray, j: np.ndarray, avoid_keys: np.ndarray, in_person: bool
) -> np.ndarray:
    """Pairwise hard rules for two members meeting in the given format."""
    ok = ((arr.slots[i] & arr.slots[j]) != 0) & languages_ok(arr, i, j) & (i != j)
    if in_person:
        ok &= within_reach(arr, i, j)
    if len(avoid_keys) and ok.any():
        # The key lookup is the costly part: only for pairs every other rule allows.
        bi, bj = np.broadcast_arrays(i, j)
        ok = np.array(ok, copy=True)
        ok[ok] = ~pairs_in(avoid_keys, bi[ok], bj[ok], len(arr.ids))
    return ok


def reach_neighbours(arr: MemberArrays, idx: np.ndarray) -> list[np.ndarray]:
    """For each member in ``idx``, the members of ``idx`` within its own ``max_km``.

    Uses a haversine BallTree; callers intersect with the reverse direction
    where both travel limits matter.
    """
    if len(idx) == 0:
        return []
    tree = BallTree(arr.coords[idx], metric="haversine")
    found = tree.query_radius(arr.coords[idx], r=arr.max_km[idx] / EARTH_RADIUS_KM)
    return [idx[f] for f in found]
