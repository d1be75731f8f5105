"""Check a peer's groups against Kindred's hard rules (the peer knows none of them)."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from matching.feasibility import haversine_km


def _can_meet_in_person(people) -> bool:
    if any(p.format == "online" or p.location is None for p in people):
        return False
    for a, b in combinations(people, 2):
        d = float(haversine_km(np.radians(a.location), np.radians(b.location)))
        if d > min(a.max_km, b.max_km):
            return False
    return True


def breaks_rules(people, avoid: set, min_size=4, max_size=6) -> bool:
    """Whether a group of members breaks any hard rule ``group_members`` honours."""
    if not min_size <= len(people) <= max_size:
        return True
    if not frozenset.intersection(*(frozenset(p.slots) for p in people)):
        return True
    if any(p.setting == "one_on_one" for p in people):
        return True
    if any(p.is_shy for p in people) and len(people) > max(min_size, 4):
        return True
    for a, b in combinations(people, 2):
        if (a.id, b.id) in avoid or (b.id, a.id) in avoid:
            return True
        if a.languages and b.languages and not a.languages & b.languages:
            return True
    online_ok = all(p.format != "in_person" for p in people)
    return not (online_ok or _can_meet_in_person(people))
