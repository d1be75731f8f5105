"""Responses that cannot be made, as errors whose message is for the member."""

from __future__ import annotations


class InvitationError(Exception):
    """A response that cannot be made; the message is for the member."""


class LinkUsed(InvitationError):
    """The link was already used (its nonce has rotated)."""


class AlreadyResponded(InvitationError):
    """The member already accepted or declined this invitation."""


class MatchFull(InvitationError):
    """Every place was taken before this accept arrived."""


class NotAccepted(InvitationError):
    """Only an accepted place can be released."""
