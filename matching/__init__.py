"""Kindred's matching library: groups, walking partners and volunteer placements.

A plain library on numpy, scipy and scikit-learn, with one search compiled
by numba (:mod:`matching.chains`: numpy could not express it fast enough,
see docs/benchmarks.md). The web app passes plain frozen dataclasses
(:class:`Member`, :class:`Opportunity`) and stores the frozen, JSON-friendly
results it gets back.

Results (:class:`GroupingResult`, :class:`PairingResult`,
:class:`AssignmentResult`) all hold ``matches`` (tuple of :class:`Match`,
whose ``kind`` is "group", "pair", "trio" or "placement"), ``unplaced``
(tuple of :class:`Unplaced`, each with a readable reason) and ``quality``
(:class:`Quality`: achieved mean similarity, an upper bound, their ratio).

The words and distances the results are written in are public too, so the
web app says things the same way: :func:`join_words` ("a, b and c"),
:func:`slot_label`, :func:`slot_phrase`, :func:`slots_phrase` and
:func:`distance_km` (great-circle km between two (lat, lon) points in
degrees, the same Earth radius the rules use).
"""

from . import synthetic
from .feasibility import distance_km
from .feedback_model import FeedbackVectorizer, LearnedEffect, Meeting, MeetingFeedback
from .groups import group_members
from .members import Member, Opportunity, slot_label
from .reasons import join_words, slot_phrase, slots_phrase
from .results import (
    AssignmentResult,
    GroupingResult,
    Match,
    MatchingResult,
    PairingResult,
    Quality,
    Unplaced,
)
from .vectorize import ProfileVectorizer
from .venues import MeetingRequest, Venue, VenuePlacement, meeting_requests, place_meetings
from .volunteers import assign_volunteers
from .walks import pair_walkers

__all__ = [
    "AssignmentResult",
    "FeedbackVectorizer",
    "GroupingResult",
    "LearnedEffect",
    "Match",
    "MatchingResult",
    "Meeting",
    "MeetingFeedback",
    "MeetingRequest",
    "Member",
    "Opportunity",
    "PairingResult",
    "ProfileVectorizer",
    "Quality",
    "Unplaced",
    "Venue",
    "VenuePlacement",
    "assign_volunteers",
    "distance_km",
    "group_members",
    "join_words",
    "meeting_requests",
    "pair_walkers",
    "place_meetings",
    "slot_label",
    "slot_phrase",
    "slots_phrase",
    "synthetic",
]
