"""What feedback learning takes and gives: past meetings, members' answers, learned effects."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np

FEELINGS = {"nurturing": 1.0, "neutral": 0.5, "draining": 0.0}


MEETING_FORMATS = ("in_person", "online")


@dataclass(frozen=True)
class Meeting:
    """One past group, pair or walk: who was invited and how they met.

    Parameters
    ----------
    id : hashable
        The caller's id for the meeting.
    member_ids : tuple
        Ids of the members invited (at least two, no repeats).
    format : {"in_person", "online"}
    """

    id: Hashable
    member_ids: tuple[Hashable, ...]
    format: str = "in_person"

    def __post_init__(self) -> None:
        object.__setattr__(self, "member_ids", tuple(self.member_ids))
        if len(self.member_ids) < 2:
            raise ValueError(f"meeting {self.id!r}: needs at least two members")
        if len(set(self.member_ids)) != len(self.member_ids):
            raise ValueError(f"meeting {self.id!r}: a member appears twice")
        if self.format not in MEETING_FORMATS:
            raise ValueError(
                f"meeting {self.id!r}: format must be one of {MEETING_FORMATS}, got {self.format!r}"
            )


@dataclass(frozen=True)
class MeetingFeedback:
    """One member's feedback on one meeting (the web app's Feedback row).

    Parameters
    ----------
    meeting_id : hashable
    member_id : hashable
        Who answered; must be one of the meeting's members.
    met : bool or None, default=True
        Whether they came. False removes them from the meeting for everyone
        else's answers and gives no answer of their own: staying away says
        more about the week than about the company.
    feeling : {"nurturing", "neutral", "draining"} or None
    again : mapping of member id to bool
        Whether they would meet each of these group-mates again.
    """

    meeting_id: Hashable
    member_id: Hashable
    met: bool | None = True
    feeling: str | None = None
    again: Mapping[Hashable, bool] | tuple[tuple[Hashable, bool], ...] = field(default=())

    def __post_init__(self) -> None:
        owner = f"feedback of {self.member_id!r} on meeting {self.meeting_id!r}"
        if self.feeling is not None and self.feeling not in FEELINGS:
            raise ValueError(
                f"{owner}: feeling must be one of {tuple(FEELINGS)} or None, got {self.feeling!r}"
            )
        if self.met is not None and not isinstance(self.met, bool | np.bool_):
            raise ValueError(f"{owner}: met must be True, False or None, got {self.met!r}")
        items = tuple(self.again.items()) if isinstance(self.again, Mapping) else tuple(self.again)
        for pair in items:
            if len(pair) != 2 or not isinstance(pair[1], bool | np.bool_):
                raise ValueError(f"{owner}: again must map member ids to True or False")
        if len({other for other, _ in items}) != len(items):
            raise ValueError(f"{owner}: again names someone twice")
        object.__setattr__(self, "again", tuple((o, bool(v)) for o, v in items))

    @property
    def again_items(self) -> tuple[tuple[Hashable, bool], ...]:
        """``again`` as (member id, answer) pairs."""
        return cast(tuple[tuple[Hashable, bool], ...], self.again)


@dataclass(frozen=True)
class LearnedEffect:
    """How often answers said "nurturing" with and without one shared feature.

    ``weight`` is the learned weight of the feature's block (1 = as plain
    similarity counts it) or None for meeting-level features (size, format, distance),
    which the searches do not score. ``summary`` says it in words.
    """

    feature: str
    kind: str
    weight: float | None
    rate_with: float
    rate_without: float
    n_with: int
    n_without: int
    summary: str

    @property
    def ratio(self) -> float:
        """``rate_with / rate_without`` (inf when nobody without it said nurturing)."""
        return self.rate_with / self.rate_without if self.rate_without > 0 else float("inf")
