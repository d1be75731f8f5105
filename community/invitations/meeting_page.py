"""The page of one meeting for the members going: when, where, who, a starter, their notes.

Only accepted members see it. Others appear by first name once they accept;
nobody who declined or gave their seat back is named, and nobody's home or exact
location is shown: the place is the venue (or the online room), never a member's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

import matching
from community.extensions import db
from community.invitations.wording import KIND_SINGULAR, match_facts, place_context, place_words
from community.models import Interest, Match, MatchMember, MeetingNote, Report, User, utcnow
from community.rounds.eligibility import interests_by_user
from community.rounds.schedule import match_meeting_at, when_words
from matching import join_words


class MeetingNotFound(Exception):
    """The member has no seat in this meeting: to them it does not exist (404)."""


class MeetingClosed(Exception):
    """The member has a seat but hasn't accepted it, so the page isn't theirs (403)."""


@dataclass
class NoteView:
    id: int
    author: str
    text: str
    mine: bool
    hidden: bool
    reported: bool


@dataclass
class MeetingPage:
    match: Match
    seat: MatchMember
    kind_label: str
    when: str
    where: str
    place: dict[str, Any]
    coming: list[str]
    starter: str
    notes: list[NoteView] = field(default_factory=list)
    my_note: NoteView | None = None
    cancelled: bool = False
    past: bool = False


def first_name(display_name: str | None) -> str:
    """What the others see of a member's name: the first word they chose to be called by."""
    words = (display_name or "").split()
    return words[0] if words else "A member"


def attendee_seat(user: User, match_id: int) -> MatchMember:
    """The member's accepted seat in the meeting, or why they may not see it."""
    seat = db.session.execute(
        select(MatchMember).where(MatchMember.match_id == match_id, MatchMember.user_id == user.id)
    ).scalar_one_or_none()
    if seat is None or seat.match.status == "proposed":
        raise MeetingNotFound()
    if seat.status != "accepted":
        raise MeetingClosed()
    return seat


def going_seats(match: Match) -> list[MatchMember]:
    return [s for s in match.members if s.status == "accepted" and s.user is not None]


def conversation_starter(match: Match, going: list[MatchMember]) -> str:
    """A first question drawn from what the people going share, computed not invented."""
    ids = [s.user_id for s in going if s.user_id is not None]
    interests = interests_by_user(set(ids))
    sets = [interests.get(i, set()) for i in ids]
    names = {i.id: i.name.lower() for i in db.session.execute(select(Interest)).scalars()}
    everyone = "You both" if len(sets) == 2 else "You all"
    if len(sets) >= 2:
        common = sorted(names[i] for i in set.intersection(*sets) if i in names)
        if common:
            return (
                f"{everyone} listed {join_words(common[:3])}. A first question: "
                f"what got each of you into {common[0]}?"
            )
        counts = Counter(i for s in sets for i in s)
        shared = sorted((-n, names[i]) for i, n in counts.items() if n >= 2 and i in names)
        if shared:
            count, name = -shared[0][0], shared[0][1]
            return (
                f"{count} of you listed {name}. A first question: "
                f"what do you enjoy most about {name}?"
            )
    slot = matching.slot_label(match.slot).lower()
    return f"You all chose {slot}s. A first question: what does a good {slot} look like for you?"


def meeting_page(user: User, match_id: int) -> MeetingPage:
    seat = attendee_seat(user, match_id)
    match = seat.match
    facts = match_facts([match], match.round.kind, with_calendar=False)[match.id]
    going = going_seats(match)
    reported = set(
        db.session.execute(
            select(Report.note_id).where(Report.reporter_id == user.id, Report.note_id.is_not(None))
        ).scalars()
    )
    authors = {s.user_id: first_name(s.user.display_name) for s in going if s.user}
    notes = db.session.execute(
        select(MeetingNote)
        .where(MeetingNote.match_id == match.id)
        .order_by(MeetingNote.created_at, MeetingNote.id)
    ).scalars()
    page = MeetingPage(
        match=match,
        seat=seat,
        kind_label=KIND_SINGULAR[match.round.kind],
        when=when_words(match_meeting_at(match)),
        where=place_words(facts),
        place=place_context(facts),
        coming=[authors[s.user_id] for s in going if s.user_id != user.id],
        starter=conversation_starter(match, going),
        cancelled=match.status == "cancelled",
        past=match_meeting_at(match) < utcnow(),
    )
    for note in notes:
        view = NoteView(
            id=note.id,
            author=authors.get(note.user_id, ""),
            text=note.text,
            mine=note.user_id == user.id,
            hidden=note.hidden_at is not None,
            reported=note.id in reported,
        )
        if view.mine:
            page.my_note = view
        elif view.author and not view.hidden and not view.reported:
            # A note of someone no longer going, hidden by an organizer, or reported by
            # this member is not shown to them.
            page.notes.append(view)
    return page
