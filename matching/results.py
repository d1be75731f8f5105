"""Result dataclasses: frozen, tuple-valued and JSON-friendly via ``to_dict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Match:
    """One group, pair, trio or volunteer placement.

    Attributes
    ----------
    kind : {"group", "pair", "trio", "placement"}
    member_ids : tuple
        Ids of the members matched together (for a placement, the volunteer).
    slot : int
        A weekly slot every member (and the opportunity) shares.
    slot_label : str
        ``slot`` in words, e.g. "Tuesday evening".
    format : {"in_person", "online"}
    score : float
        Mean cosine similarity of each member to the others (groups, pairs),
        or the volunteer's fit to the opportunity (placements).
    reason : str
        Why they were matched, built from the features they actually share.
    opportunity_id : object or None
        The opportunity of a placement; None otherwise.
    """

    kind: str
    member_ids: tuple[Any, ...]
    slot: int
    slot_label: str
    format: str
    score: float
    reason: str
    opportunity_id: Any = None


@dataclass(frozen=True)
class Unplaced:
    """A member left out, with the reason a person can read."""

    member_id: Any
    reason: str


@dataclass(frozen=True)
class Quality:
    """Achieved mean within-match similarity, an upper bound on it, and their ratio."""

    mean_similarity: float
    bound: float
    ratio: float


@dataclass(frozen=True)
class MatchingResult:
    """Matches, explained leftovers and quality figures."""

    matches: tuple[Match, ...]
    unplaced: tuple[Unplaced, ...]
    quality: Quality

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts, lists and numbers, ready for ``json.dumps`` (ids permitting)."""
        data = asdict(self)
        data["matches"] = [dict(m, member_ids=list(m["member_ids"])) for m in data["matches"]]
        data["unplaced"] = list(data["unplaced"])
        return data


@dataclass(frozen=True)
class GroupingResult(MatchingResult):
    """Result of :func:`matching.group_members`.

    Kinds "group", and "pair" or "trio" for members who asked for one-on-one.
    """


@dataclass(frozen=True)
class PairingResult(MatchingResult):
    """Result of :func:`matching.pair_walkers` (kinds "pair" and "trio")."""


@dataclass(frozen=True)
class AssignmentResult(MatchingResult):
    """Result of :func:`matching.assign_volunteers` (kind "placement").

    ``quality.mean_similarity`` is the mean fit of placed volunteers and
    ``quality.bound`` the mean of each placed volunteer's best feasible fit.
    """
