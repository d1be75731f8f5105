"""What an invitation says: who, what they share, where, in words computed from the match."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

import matching
from community.extensions import db
from community.invitations.calendar import UID_PLACEHOLDER, calendar_template
from community.models import (
    Area,
    Match,
    Opportunity,
    Venue,
    opportunity_interests,
)
from community.rounds.schedule import match_meeting_at
from matching import join_words

JOIN_HELP = (
    "Open the link a few minutes early in your web browser. "
    "No account or app is needed, and you can keep your camera off."
)
QUIETNESS_NOTES = {
    "quiet": "Quiet: easy to hear each other",
    "some_noise": "Some background noise",
    "lively": "Lively: it can get noisy",
}

KIND_SINGULAR = {
    "groups": "Small group",
    "walks": "Walking partners",
    "volunteering": "Volunteering",
}


# --- what the mail says ----------------------------------------------------------------


@dataclass
class MatchFacts:
    """Everything an invitation says about a match, shared by all its members."""

    match_id: int
    kind: str
    round_kind: str
    slot: int
    format: str
    meeting_at: datetime
    area: str | None
    opportunity: dict[str, str] | None
    ics: str
    wanted: frozenset[int] = frozenset()
    # The venue as the mail shows it (name, address, directions, notes), or None.
    venue: dict[str, Any] | None = None
    geo: tuple[float, float] | None = None
    room_url: str = ""
    sequence: int = 0


def shared_phrase(me: set[int], others: list[set[int]], slot: int, names: dict[int, str]) -> str:
    """ "You both enjoy gardening and baking, and are free on Saturday mornings".

    Built only from interests the member chose to list and the common slot;
    never from comfort levels or anything else private.
    """
    everyone = "You both" if len(others) == 1 else "You all"
    when = f"are free on {matching.slot_label(slot)}s"
    if not others:
        return f"You {when}"
    common = set(me).intersection(*others) if others else set()
    words = sorted(names[i] for i in common if i in names)[:3]
    if words:
        return f"{everyone} enjoy {join_words([w.lower() for w in words])}, and {when}"
    with_some = Counter(i for o in others for i in o if i in me)
    words = [names[i] for i, _ in with_some.most_common(3) if i in names]
    if words:
        return f"You share {join_words([w.lower() for w in words])} with the others, and all {when}"
    return f"{everyone} {when}"


def venue_notes(venue: Venue) -> list[str]:
    """Step-free and noise, said plainly so nobody has to ask."""
    access = "Step-free access" if venue.step_free else "Not step-free: there may be steps"
    return [access, QUIETNESS_NOTES.get(venue.quietness, venue.quietness_label)]


def venue_facts(venue: Venue) -> dict[str, Any]:
    return {
        "name": venue.name,
        "address": venue.address,
        "directions": (venue.directions or "").strip(),
        "kind": venue.kind_label,
        "notes": venue_notes(venue),
    }


def place_words(facts: MatchFacts) -> str:
    """One line: the venue and its full address when there is one, never the area alone."""
    venue = facts.venue
    at = f"{venue['name']}, {venue['address']}" if venue else ""
    if facts.opportunity:
        where = facts.opportunity["title"] + " with " + facts.opportunity["host"]
        if at:
            return f"{where}, at {at}"
        return where + (f", in {facts.area}" if facts.area else " (online or by phone)")
    if at:
        return at
    if facts.format == "online":
        if facts.room_url:
            return "Online, in a video room (the link is below)"
        return "Online: the organizers will send you the link"
    return f"In {facts.area}" if facts.area else "In person, nearby"


def calendar_location(facts: MatchFacts) -> str:
    """LOCATION of the .ics: name and address, or the room link for an online meeting."""
    if facts.venue:
        return f"{facts.venue['name']}, {facts.venue['address']}"
    if facts.format == "online" and facts.room_url:
        return f"Online: {facts.room_url}"
    return place_words(facts)


def place_context(facts: MatchFacts) -> dict[str, Any]:
    """What every mail about a meeting says of its place: the venue, or the room and how to join."""
    online = facts.format == "online" and facts.venue is None
    return {
        "online": online,
        "venue": facts.venue,
        "room_url": facts.room_url if online else "",
        "join_help": JOIN_HELP if online and facts.room_url else "",
    }


def match_facts(
    matches: list[Match], round_kind: str, *, with_calendar: bool = True
) -> dict[int, MatchFacts]:
    areas = {a.id: a.name for a in db.session.execute(select(Area)).scalars()}
    venue_ids = {m.venue_id for m in matches if m.venue_id}
    # One query for every venue of the batch, none when no meeting has one.
    venues = (
        {
            v.id: v
            for v in db.session.execute(select(Venue).where(Venue.id.in_(venue_ids))).scalars()
        }
        if venue_ids
        else {}
    )
    opportunity_ids = {m.opportunity_id for m in matches if m.opportunity_id}
    opportunities = {
        o.id: o
        for o in db.session.execute(
            select(Opportunity).where(Opportunity.id.in_(opportunity_ids))
        ).scalars()
    }
    wanted: dict[int, set[int]] = defaultdict(set)
    for opportunity_id, interest_id in db.session.execute(
        select(opportunity_interests.c.opportunity_id, opportunity_interests.c.interest_id).where(
            opportunity_interests.c.opportunity_id.in_(opportunity_ids)
        )
    ):
        wanted[opportunity_id].add(interest_id)
    templates: dict[tuple, str] = {}
    facts = {}
    for m in matches:
        opportunity = opportunities.get(m.opportunity_id) if m.opportunity_id else None
        opp = (
            {"title": opportunity.title, "host": opportunity.host, "contact": opportunity.contact}
            if opportunity
            else None
        )
        kind_word = {"groups": "small group", "walks": "walk", "volunteering": "volunteering"}[
            round_kind
        ]
        fact = MatchFacts(
            match_id=m.id,
            kind=m.kind,
            round_kind=round_kind,
            slot=m.slot,
            format=m.format,
            meeting_at=match_meeting_at(m),
            area=areas.get(m.area_id) if m.area_id else None,
            opportunity=opp,
            ics="",
            wanted=frozenset(wanted.get(m.opportunity_id, ()) if m.opportunity_id else ()),
            room_url=(m.room_url or "") if m.format == "online" else "",
            sequence=m.calendar_sequence or 0,
        )
        venue = venues.get(m.venue_id) if m.venue_id else None
        if venue is not None:
            fact.venue = venue_facts(venue)
            fact.geo = (venue.latitude, venue.longitude)
        summary = f"Kindred {kind_word}" + (f": {opportunity.title}" if opportunity else "")
        method = "CANCEL" if m.status == "cancelled" else "REQUEST"
        # Matches at the same time and place share one calendar body (a round of
        # thousands has only a few hundred); only the UID differs.
        shape = (
            kind_word,
            match_meeting_at(m),
            summary,
            calendar_location(fact),
            fact.geo,
            fact.room_url,
            fact.sequence,
            method,
        )
        if not with_calendar:
            facts[m.id] = fact
            continue
        if shape not in templates:
            templates[shape] = calendar_template(
                kind_word,
                match_meeting_at(m),
                summary,
                calendar_location(fact),
                120 if round_kind == "volunteering" else 90,
                geo=fact.geo,
                url=fact.room_url,
                sequence=fact.sequence,
                method=method,
            )
        fact.ics = templates[shape].replace(UID_PLACEHOLDER, f"match-{m.id}@")
        facts[m.id] = fact
    return facts


def invitation_subject(round_kind: str) -> str:
    return {
        "groups": "You're invited: a small group that fits you",
        "walks": "You're invited: a walking partner nearby",
        "volunteering": "You're invited: a volunteering place for you",
    }[round_kind]


def volunteer_phrase(mine: set[int], facts: MatchFacts, names: dict[int, str]) -> str:
    """What the volunteer brings to the placement, from the interests they listed."""
    words = sorted(names[i].lower() for i in mine & facts.wanted if i in names)[:3]
    when = f"you're free on {matching.slot_label(facts.slot)}s"
    if words:
        return f"It needs people who enjoy {join_words(words)}, and {when}"
    return f"It suits what you told us, and {when}"
