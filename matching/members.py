"""The plain inputs of the matching library: members, opportunities and slots."""

from __future__ import annotations

import math
from dataclasses import dataclass

SETTINGS = ("one_on_one", "small", "group", "any")
FORMATS = ("in_person", "online", "either")
PACES = ("gentle", "steady", "brisk")
N_SLOTS = 21
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PARTS_OF_DAY = ("morning", "afternoon", "evening")


def slot_label(slot: int) -> str:
    """Name a weekly slot the way a person says it, e.g. ``slot_label(5) == "Tuesday evening"``.

    Slots number ``weekday * 3 + part`` with weekday 0 = Monday and part
    0 = morning, 1 = afternoon, 2 = evening.
    """
    if not 0 <= int(slot) < N_SLOTS:
        raise ValueError(f"slot must lie in 0..{N_SLOTS - 1}, got {slot!r}")
    weekday, part = divmod(int(slot), 3)
    return f"{WEEKDAYS[weekday]} {PARTS_OF_DAY[part]}"


def _check_slots(slots: frozenset[int], owner: str) -> None:
    for slot in slots:
        if not isinstance(slot, int) or not 0 <= slot < N_SLOTS:
            raise ValueError(f"{owner}: slots must be ints in 0..{N_SLOTS - 1}, got {slot!r}")


def _check_location(location: tuple[float, float] | None, owner: str) -> None:
    if location is None:
        return
    if len(location) != 2:
        raise ValueError(f"{owner}: location must be (lat, lon) or None")
    lat, lon = location
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"{owner}: location {location!r} is not a valid (lat, lon)")


@dataclass(frozen=True)
class Member:
    """One person who asked to be matched.

    Parameters
    ----------
    id : hashable
        The caller's id for the member (returned unchanged in results).
    interests : frozenset of int
        Interest ids.
    comfort : int
        Social comfort from 1 (very shy) to 5 (at ease in any crowd).
    setting : {"one_on_one", "small", "group", "any"}
        Preferred setting; "one_on_one" members are only ever paired.
    format : {"in_person", "online", "either"}
    slots : frozenset of int
        Weekly availability, ``weekday * 3 + part_of_day`` in 0..20.
    location : (lat, lon) or None
        Needed to meet in person.
    max_km : float
        How far the member will travel to meet in person.
    pace : {"gentle", "steady", "brisk"} or None
        Walking pace, for walking partners.
    languages : frozenset of str
        Languages spoken; empty means "not stated" and matches anyone.
    """

    id: object
    interests: frozenset[int] = frozenset()
    comfort: int = 3
    setting: str = "any"
    format: str = "either"
    slots: frozenset[int] = frozenset()
    location: tuple[float, float] | None = None
    max_km: float = 5.0
    pace: str | None = None
    languages: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        owner = f"member {self.id!r}"
        if not isinstance(self.comfort, int) or not 1 <= self.comfort <= 5:
            raise ValueError(f"{owner}: comfort must be an int in 1..5, got {self.comfort!r}")
        if self.setting not in SETTINGS:
            raise ValueError(f"{owner}: setting must be one of {SETTINGS}, got {self.setting!r}")
        if self.format not in FORMATS:
            raise ValueError(f"{owner}: format must be one of {FORMATS}, got {self.format!r}")
        if self.pace is not None and self.pace not in PACES:
            raise ValueError(f"{owner}: pace must be one of {PACES} or None, got {self.pace!r}")
        if not (math.isfinite(self.max_km) and self.max_km >= 0):
            raise ValueError(f"{owner}: max_km must be a non-negative number")
        _check_slots(self.slots, owner)
        _check_location(self.location, owner)
        # Coerce plain sets/lists so the dataclass stays hashable and frozen.
        object.__setattr__(self, "interests", frozenset(self.interests))
        object.__setattr__(self, "slots", frozenset(self.slots))
        object.__setattr__(self, "languages", frozenset(self.languages))

    @property
    def is_shy(self) -> bool:
        """Whether the member should get a group of at most four (or a pair)."""
        return self.setting == "small" or self.comfort <= 2


@dataclass(frozen=True)
class Opportunity:
    """A volunteer placement with room for ``capacity`` people.

    ``location`` None means the opportunity is online.
    """

    id: object
    interests: frozenset[int] = frozenset()
    slots: frozenset[int] = frozenset()
    location: tuple[float, float] | None = None
    capacity: int = 1
    min_comfort: int = 1

    def __post_init__(self) -> None:
        owner = f"opportunity {self.id!r}"
        if not isinstance(self.capacity, int) or self.capacity < 0:
            raise ValueError(f"{owner}: capacity must be a non-negative int")
        if not isinstance(self.min_comfort, int) or not 1 <= self.min_comfort <= 5:
            raise ValueError(f"{owner}: min_comfort must be an int in 1..5")
        _check_slots(self.slots, owner)
        _check_location(self.location, owner)
        object.__setattr__(self, "interests", frozenset(self.interests))
        object.__setattr__(self, "slots", frozenset(self.slots))
