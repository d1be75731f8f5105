"""Why a member was left out of every group, pair or walk, from the partners they could have had.

The reasons count who could have met the member under the hard rules, so a
member reads "only 2 people within 5 km share an evening slot" rather than
a bare "not matched".
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import BallTree

from .feasibility import EARTH_RADIUS_KM, IN_PERSON, ONLINE, MemberArrays, haversine_km, pair_ok
from .members import N_SLOTS
from .reasons import slots_phrase


class PartnerFinder:
    """Who could meet a given member, for explaining leftovers (one BallTree per call)."""

    def __init__(self, arr: MemberArrays, pool: np.ndarray, avoid_keys: np.ndarray):
        self.arr = arr
        self.avoid_keys = avoid_keys
        self.near = pool[(arr.format[pool] != ONLINE) & arr.has_location[pool]]
        self.remote = pool[arr.format[pool] != IN_PERSON]
        self.tree = BallTree(arr.coords[self.near], metric="haversine") if len(self.near) else None

    def partners(self, i: int, in_person: bool) -> np.ndarray:
        """Members of the pool who could meet ``i`` in that format."""
        arr = self.arr
        if in_person:
            if self.tree is None or not arr.has_location[i]:
                return np.zeros(0, dtype=np.int64)
            found = self.tree.query_radius(
                arr.coords[i : i + 1], r=arr.max_km[i] / EARTH_RADIUS_KM
            )[0]
            cand = self.near[found]
        else:
            cand = self.remote
        return cand[pair_ok(arr, np.full(len(cand), i), cand, self.avoid_keys, in_person)]


def _formats_of(arr: MemberArrays, i: int) -> list[bool]:
    code = arr.format[i]
    if code == IN_PERSON:
        return [True]
    if code == ONLINE:
        return [False]
    return [True, False] if arr.has_location[i] else [False]


def group_left_reason(arr, i, finder: PartnerFinder, min_size) -> str:
    if arr.slots[i] == 0:
        return "gave no available times, so no group can share a slot"
    phrase = slots_phrase(_slot_set(arr, i))
    counts = []
    for near in _formats_of(arr, i):
        counts.append((near, len(finder.partners(i, near))))
    best_near, best = max(counts, key=lambda c: c[1])
    where = f"within {arr.max_km[i]:g} km" if best_near else "online"
    if best == 0:
        return f"nobody {where} shares {phrase}"
    if best < min_size - 1:
        return (
            f"only {best} {'person' if best == 1 else 'people'} {where} "
            f"share {phrase}; a group needs {min_size}"
        )
    return (
        f"the {best} people {where} who share {phrase} could not form a group "
        f"where everyone shares one time and can reach each other"
    )


def pair_left_reason(arr, i, finder: PartnerFinder) -> str:
    if arr.slots[i] == 0:
        return "gave no available times, so nobody can share a slot"
    phrase = slots_phrase(_slot_set(arr, i))
    near = bool(arr.format[i] != ONLINE and arr.has_location[i])
    count = len(finder.partners(i, near))
    where = f"within {arr.max_km[i]:g} km" if near else "online"
    if count == 0:
        return f"nobody else who wants one-on-one meetings {where} shares {phrase}"
    return f"every one-on-one partner {where} who shares {phrase} was already paired"


def walker_left_reason(arr: MemberArrays, i: int, walkers: np.ndarray, avoid_keys) -> str:
    """Why a walker has no partner, from the partners who could have fitted."""
    km = f"{arr.max_km[i]:g} km"
    if arr.slots[i] == 0:
        return "gave no available times, so nobody can share a slot"
    phrase = slots_phrase(_slot_set(arr, i))
    others = walkers[walkers != i]
    if len(others) == 0:
        return "nobody else asked for a walking partner"
    reach = haversine_km(arr.coords[np.full(len(others), i)], arr.coords[others])
    near = others[reach <= np.minimum(arr.max_km[i], arr.max_km[others])]
    if len(near) == 0:
        return f"nobody within {km} asked for a walking partner"
    fit = near[pair_ok(arr, np.full(len(near), i), near, avoid_keys, True)]
    if len(fit) == 0:
        return f"nobody within {km} shares {phrase}"
    pi, pj = arr.pace[i], arr.pace[fit]
    if not ((pi < 0) | (pj < 0) | (np.abs(pi - pj) <= 1)).any():
        return f"nobody within {km} who shares {phrase} walks at a similar pace"
    return f"everyone within {km} who shares {phrase} and your pace was already paired"


def _slot_set(arr: MemberArrays, i: int) -> frozenset[int]:
    mask = int(arr.slots[i])
    return frozenset(s for s in range(N_SLOTS) if mask >> s & 1)
