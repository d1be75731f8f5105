"""A member's connections: their current and past groups, walks and placements."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from community.extensions import db
from community.invitations.links import response_token
from community.invitations.seat_details import SeatDetails, details_for
from community.models import Match, MatchMember, User

STATUS_WORDS = {
    "invited": "Waiting for your answer",
    "accepted": "You're going",
    "declined": "You said no, thank you",
    "released": "You gave your seat back",
}

PAST_WORDS = {
    "invited": "You didn't answer",
    "accepted": "You said yes",
    "declined": "You said no, thank you",
    "released": "You gave your seat back",
}


@dataclass
class Connection:
    seat: MatchMember
    details: SeatDetails
    status_words: str
    token: str


def member_connections(user: User) -> tuple[list[Connection], list[Connection]]:
    """Current (upcoming) and past connections, soonest first and latest first."""
    seats = list(
        db.session.execute(
            select(MatchMember)
            .join(Match, Match.id == MatchMember.match_id)
            .where(
                MatchMember.user_id == user.id,
                Match.status == "active",
                MatchMember.status.in_(tuple(STATUS_WORDS)),
            )
            .order_by(Match.meeting_at)
            # The page reads each seat's match (kind, weekly or not): load it with the seat.
            .options(contains_eager(MatchMember.match))
        ).scalars()
    )
    details = details_for(seats)
    current: list[Connection] = []
    past: list[Connection] = []
    for seat in seats:
        item = Connection(
            seat=seat,
            details=details[seat.id],
            status_words=(PAST_WORDS if details[seat.id].past else STATUS_WORDS)[seat.status],
            token=response_token(seat.id, seat.token_nonce),
        )
        (past if item.details.past else current).append(item)
    past.reverse()
    return current, past
