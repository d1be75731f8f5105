"""The one error organizer services raise when a change would break a rule."""

from __future__ import annotations


class ChangeRefused(ValueError):
    """A change an organizer asked for that would break a rule; nothing was changed.

    The message is written for the organizer, so views can flash it as it is.
    """
