"""The load benchmark's accounts, shared by the seed, the runner and the locust scenarios
(kept free of locust and Flask imports, so every side can load it)."""

from __future__ import annotations

PASSWORD = "load-test-member-password"
ORGANIZER = "organizer@load.kindred.example"


def member_email(client_number: int, members: int) -> str:
    """The member the n-th client logs in as (the runner opens the same sessions)."""
    return f"member{client_number * 37 % members + 1}@load.kindred.example"
