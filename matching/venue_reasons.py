"""Why a meeting went where it did, or why no venue could take it, in words."""

from __future__ import annotations

from functools import cache

import numpy as np

from .feasibility import haversine_km
from .members import slot_label
from .venue_search import _VenueArrays
from .venue_types import MeetingRequest, Venue

_when = cache(slot_label)  # 21 labels, asked for once per placed meeting


def _reach_phrase(r: MeetingRequest) -> str:
    if len(r.max_km) == 1:
        return f"within {r.max_km[0]:g} km"
    if len(set(r.max_km)) == 1:
        return f"within {r.max_km[0]:g} km of everyone"
    return f"within reach of everyone (as little as {min(r.max_km):g} km for some)"


def _wanted(r: MeetingRequest) -> str:
    words = (["quiet"] if r.wants_quiet else []) + (["step-free"] if r.needs_step_free else [])
    return " ".join([*words, "walk start" if r.walk else "venue"])


def _unplaced_reason(r: MeetingRequest, places: _VenueArrays) -> str:
    """The first rule that rules every venue out, or that the venues that fit are full."""
    when = slot_label(r.slot)
    noun = "walk start" if r.walk else "venue"
    fits = places.open[:, r.slot].copy()
    if not fits.any():
        return f"no venue is open on {when}"
    if r.walk:
        fits &= places.walk_start
        if not fits.any():
            return f"no walk start is open on {when}"
    near = np.flatnonzero(fits)
    d = haversine_km(np.radians(np.array(r.locations))[None, :, :], places.coords[near][:, None])
    fits[near] = (d <= np.array(r.max_km)).all(axis=1)
    if not fits.any():
        return f"no {noun} open on {when} is {_reach_phrase(r)}"
    if r.needs_step_free:
        fits &= places.step_free
        if not fits.any():
            return f"no step-free {noun} open on {when} is {_reach_phrase(r)}"
    if r.wants_quiet:
        fits &= places.quiet
        if not fits.any():
            return f"no {_wanted(r)} open on {when} is {_reach_phrase(r)}"
    return f"every {_wanted(r)} {_reach_phrase(r)} is full on {when}"


def _placed_reason(r: MeetingRequest, venue: Venue, farthest_km: float) -> str:
    traits = []
    if venue.quietness == "quiet":
        traits.append("quiet")
    if venue.step_free:
        traits.append("step-free")
    described = f" ({', '.join(traits)})" if traits else ""
    who = "you" if len(r.locations) == 1 else "any of you"
    start = "start at" if r.walk else "meet at"
    return (
        f"You {start} {venue.name}{described} on {_when(r.slot)}s, "
        f"{farthest_km:.1f} km at most from {who}"
    )
