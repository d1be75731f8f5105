"""What can go wrong with a round, as errors the pages turn into messages."""

from __future__ import annotations


class RoundError(Exception):
    """A round cannot do what was asked; the message is for the organizer."""


class RoundNotReady(RoundError):
    """The round is still computing, failed, or was approved already."""


class AlreadyApproved(RoundNotReady):
    """Someone approved this round first (a double click, or a second organizer)."""


class BadAdjustment(RoundError):
    """A move or removal that does not fit the round's proposal."""
