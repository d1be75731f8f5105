"""The inputs and results of venue placement: venues, meetings to place, where each went."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .members import N_SLOTS, _check_location, _check_slots

VENUE_KINDS = (
    "cafe",
    "library_room",
    "community_centre",
    "park_meeting_point",
    "volunteering_site",
)


QUIETNESS = ("quiet", "some_noise", "lively")


MEETING_KINDS = ("group", "pair", "trio", "walk")


SHY_COMFORT = 2  # a member at or below this comfort makes the meeting want a quiet venue


def _check_flag(value: object, name: str, owner: str) -> None:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class Venue:
    """A place where meetings happen.

    Parameters
    ----------
    id : hashable
        The caller's id for the venue (returned unchanged in results).
    name : str
        What the invitation calls it, e.g. "Chapel Allerton Library, room 2".
    location : (lat, lon)
    kind : {"cafe", "library_room", "community_centre", "park_meeting_point", \
"volunteering_site"}
    slots : frozenset of int
        Weekly opening, ``weekday * 3 + part_of_day`` in 0..20 as in
        :class:`matching.Member`.
    capacity : int
        How many meetings it can seat at once (at least 1).
    step_free : bool
        Whether it can be reached and used without steps.
    quietness : {"quiet", "some_noise", "lively"}
    walk_start : bool
        Whether it is a good place to start a walk (park meeting points
        always are).
    """

    id: Hashable
    name: str
    location: tuple[float, float]
    kind: str = "community_centre"
    slots: frozenset[int] = frozenset()
    capacity: int = 1
    step_free: bool = False
    quietness: str = "some_noise"
    walk_start: bool = False

    def __post_init__(self) -> None:
        owner = f"venue {self.id!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"{owner}: name must be a non-empty string")
        if self.location is None:
            raise ValueError(f"{owner}: location must be (lat, lon)")
        _check_location(self.location, owner)
        if self.kind not in VENUE_KINDS:
            raise ValueError(f"{owner}: kind must be one of {VENUE_KINDS}, got {self.kind!r}")
        if self.quietness not in QUIETNESS:
            raise ValueError(
                f"{owner}: quietness must be one of {QUIETNESS}, got {self.quietness!r}"
            )
        if (
            not isinstance(self.capacity, int)
            or isinstance(self.capacity, bool)
            or self.capacity < 1
        ):
            raise ValueError(f"{owner}: capacity must be an int of at least 1")
        _check_flag(self.step_free, "step_free", owner)
        _check_flag(self.walk_start, "walk_start", owner)
        _check_slots(self.slots, owner)
        object.__setattr__(self, "slots", frozenset(self.slots))
        object.__setattr__(self, "location", (float(self.location[0]), float(self.location[1])))

    @property
    def starts_walks(self) -> bool:
        """Whether a walk may start here."""
        return self.walk_start or self.kind == "park_meeting_point"


@dataclass(frozen=True)
class MeetingRequest:
    """One meeting that needs a venue.

    Parameters
    ----------
    key : hashable
        The caller's key for the meeting (returned unchanged in results).
    slot : int
        The weekly slot it meets in, 0..20.
    locations : tuple of (lat, lon)
        Where each member starts from (at least one).
    max_km : tuple of float
        How far each member will travel, aligned with ``locations``.
    kind : {"group", "pair", "trio", "walk"}
        "walk" implies ``walk=True``.
    walk : bool
        A walk meets only where walks start (see :attr:`Venue.starts_walks`).
    needs_step_free : bool
        Someone in the meeting needs a step-free venue.
    wants_quiet : bool
        The meeting holds a shy member or someone who asked for quiet places,
        so only "quiet" venues will do.
    """

    key: Hashable
    slot: int
    locations: tuple[tuple[float, float], ...]
    max_km: tuple[float, ...]
    kind: str = "group"
    walk: bool = False
    needs_step_free: bool = False
    wants_quiet: bool = False

    def __post_init__(self) -> None:
        owner = f"meeting {self.key!r}"
        try:
            hash(self.key)
        except TypeError:
            raise ValueError(f"{owner}: key must be hashable") from None
        if self.kind not in MEETING_KINDS:
            raise ValueError(f"{owner}: kind must be one of {MEETING_KINDS}, got {self.kind!r}")
        if isinstance(self.slot, bool) or not isinstance(self.slot, int | np.integer):
            raise ValueError(f"{owner}: slot must be an int in 0..{N_SLOTS - 1}")
        _check_slots(frozenset({int(self.slot)}), owner)
        for name in ("walk", "needs_step_free", "wants_quiet"):
            _check_flag(getattr(self, name), name, owner)
        locations = tuple(self.locations)
        limits = tuple(self.max_km)
        if not locations:
            raise ValueError(f"{owner}: needs at least one member location")
        if len(limits) != len(locations):
            raise ValueError(f"{owner}: max_km must give one limit per location")
        for location in locations:
            if location is None:
                raise ValueError(f"{owner}: every member needs a location to meet in person")
            _check_location(location, owner)
        for km in limits:
            if not (isinstance(km, int | float | np.number) and math.isfinite(km) and km >= 0):
                raise ValueError(f"{owner}: max_km must be non-negative numbers, got {km!r}")
        object.__setattr__(self, "slot", int(self.slot))
        object.__setattr__(self, "locations", tuple((float(a), float(b)) for a, b in locations))
        object.__setattr__(self, "max_km", tuple(float(km) for km in limits))
        object.__setattr__(self, "walk", bool(self.walk) or self.kind == "walk")
        object.__setattr__(self, "needs_step_free", bool(self.needs_step_free))
        object.__setattr__(self, "wants_quiet", bool(self.wants_quiet))


@dataclass(frozen=True)
class PlacedMeeting:
    """A meeting and the venue it goes to.

    Attributes
    ----------
    key : hashable
    venue_id : hashable
    slot : int
    slot_label : str
        e.g. "Tuesday evening".
    travel_km : float
        Distance summed over the members (what the placement minimises).
    farthest_km : float
        The longest distance any one member travels.
    reason : str
        Where and why, in words the invitation can use.
    """

    key: Hashable
    venue_id: Hashable
    slot: int
    slot_label: str
    travel_km: float
    farthest_km: float
    reason: str


@dataclass(frozen=True)
class UnplacedMeeting:
    """A meeting no venue can take, with the reason a person can read."""

    key: Hashable
    reason: str


@dataclass(frozen=True)
class VenuePlacement:
    """Result of :func:`place_meetings`.

    ``placed`` follows the order of the requests; every request is either in
    ``placed`` or in ``unplaced``.
    """

    placed: tuple[PlacedMeeting, ...]
    unplaced: tuple[UnplacedMeeting, ...]
    total_travel_km: float

    @property
    def placements(self) -> dict[Hashable, Hashable]:
        """Meeting key to venue id."""
        return {p.key: p.venue_id for p in self.placed}

    @property
    def travel_km(self) -> dict[Hashable, float]:
        """Meeting key to travel summed over its members."""
        return {p.key: p.travel_km for p in self.placed}

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and numbers, ready for ``json.dumps`` (ids permitting)."""
        return {
            "placed": [asdict(p) for p in self.placed],
            "unplaced": [asdict(u) for u in self.unplaced],
            "total_travel_km": self.total_travel_km,
        }
