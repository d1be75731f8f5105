"""What an invitation says: who, what they share, where, in words computed from the match."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

import matching
from community.extensions import db
from community.invitations.calendar import UID_PLACEHOLDER, calendar_template
from community.models import (
    Area,
    Match,
    Opportunity,
    opportunity_interests,
)
from community.rounds.schedule import match_meeting_at
from matching import join_words

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


def place_words(facts: MatchFacts) -> str:
    if facts.opportunity:
        where = facts.opportunity["title"] + " with " + facts.opportunity["host"]
        return where + (f", in {facts.area}" if facts.area else " (online or by phone)")
    if facts.format == "online":
        return "Online: the organizers will send you the link"
    return f"In {facts.area}" if facts.area else "In person, nearby"


def match_facts(
    matches: list[Match], round_kind: str, *, with_calendar: bool = True
) -> dict[int, MatchFacts]:
    areas = {a.id: a.name for a in db.session.execute(select(Area)).scalars()}
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
        )
        summary = f"Kindred {kind_word}" + (f": {opportunity.title}" if opportunity else "")
        # Matches at the same time and place share one calendar body (a round of
        # thousands has only a few hundred); only the UID differs.
        shape = (kind_word, match_meeting_at(m), summary, place_words(fact))
        if not with_calendar:
            facts[m.id] = fact
            continue
        if shape not in templates:
            templates[shape] = calendar_template(
                *shape, 120 if round_kind == "volunteering" else 90
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
