"""Who a round can match: verified, consenting, reachable members and open placements.

The matching library only ever sees plain ``matching.Member`` / ``matching.Opportunity``
dataclasses built here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

import matching
from community.extensions import db
from community.models import (
    Area,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    Profile,
    User,
    member_interests,
)

# --- who is eligible -------------------------------------------------------------------

WANTS = {
    "groups": Profile.wants_groups,
    "walks": Profile.wants_walks,
    "volunteering": Profile.wants_volunteering,
}


def reachable_and_consenting() -> tuple:
    """Who may be invited at all: active, confirmed, subscribed, deliverable, consenting.

    An address that bounced would swallow the invitation; the member is told on
    their home page instead.
    """
    return (
        User.active.is_(True),
        User.email_verified_at.is_not(None),
        User.unsubscribed_at.is_(None),
        User.email_bounced_at.is_(None),
        Profile.consent_at.is_not(None),
    )


def eligible_query(kind: str, area_ids: Iterable[int], week_start: date):
    """Verified, active, subscribed, consenting, not paused, asking for this kind, in the areas."""
    area_ids = list(area_ids)
    query = (
        select(User.id, User.display_name, Profile, Area.latitude, Area.longitude)
        .join(Profile, Profile.user_id == User.id)
        .outerjoin(Area, Area.id == Profile.area_id)
        .where(
            *reachable_and_consenting(),
            Profile.availability_mask.is_not(None),
            Profile.availability_mask > 0,
            or_(Profile.paused_until.is_(None), Profile.paused_until <= week_start),
            WANTS[kind].is_(True),
            User.id.not_in(already_matched(kind, week_start)),
        )
        .order_by(User.id)
    )
    if area_ids:
        query = query.where(Profile.area_id.in_(area_ids))
    return query


def already_matched(kind: str, week_start: date):
    """Members holding a seat in an approved round of the same kind and week:
    a second round that week must not invite them twice."""
    return (
        select(MatchMember.user_id)
        .join(Match, Match.id == MatchMember.match_id)
        .join(MatchRound, MatchRound.id == Match.round_id)
        .where(
            MatchRound.kind == kind,
            MatchRound.week_start == week_start,
            MatchRound.status == "approved",
            MatchMember.status.in_(("invited", "accepted")),
            MatchMember.user_id.is_not(None),
        )
    )


def count_eligible(kind: str, area_ids: Iterable[int], week_start: date) -> int:
    query = eligible_query(kind, area_ids, week_start).subquery()
    return db.session.execute(select(func.count()).select_from(query)).scalar_one()


def interests_by_user(user_ids_query) -> dict[int, set[int]]:
    """Each member's interest ids in one query; ``user_ids_query`` is a set or a subquery."""
    rows = db.session.execute(
        select(member_interests.c.user_id, member_interests.c.interest_id).where(
            member_interests.c.user_id.in_(user_ids_query)
        )
    )
    found: dict[int, set[int]] = defaultdict(set)
    for user_id, interest_id in rows:
        found[user_id].add(interest_id)
    return found


def to_member(profile: Profile, lat: float | None, lon: float | None, interests) -> matching.Member:
    """Profile fields map straight onto the library's member; the area centre stands in
    for the member's location, which we never store."""
    mask = profile.availability_mask or 0
    return matching.Member(
        id=profile.user_id,
        interests=frozenset(interests),
        comfort=profile.comfort or 3,
        setting=profile.setting,
        format=profile.format,
        slots=frozenset(slot for slot in range(21) if mask >> slot & 1),
        location=(lat, lon) if lat is not None and lon is not None else None,
        max_km=profile.max_km or 5.0,
        pace=profile.pace,
        languages=frozenset(profile.language_list),
    )


@dataclass
class EligiblePeople:
    members: list[matching.Member]
    names: dict[int, str]
    areas: dict[int, int | None]


def eligible_members(round_: MatchRound) -> EligiblePeople:
    """Build the library's members in two queries (people, then their interests)."""
    query = eligible_query(round_.kind, round_.area_ids or [], round_.week_start)
    ids = eligible_query(round_.kind, round_.area_ids or [], round_.week_start).with_only_columns(
        User.id
    )
    interests = interests_by_user(ids.order_by(None))
    people = EligiblePeople([], {}, {})
    for user_id, name, profile, lat, lon in db.session.execute(query):
        people.members.append(to_member(profile, lat, lon, interests.get(user_id, ())))
        people.names[user_id] = name
        people.areas[user_id] = profile.area_id
    return people


def members_for(user_ids: Iterable[int]) -> dict[int, matching.Member]:
    """Library members for given users, eligibility aside (for rescoring a proposal)."""
    user_ids = list(set(user_ids))
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Profile, Area.latitude, Area.longitude)
        .outerjoin(Area, Area.id == Profile.area_id)
        .where(Profile.user_id.in_(user_ids))
    )
    interests = interests_by_user(user_ids)
    return {
        profile.user_id: to_member(profile, lat, lon, interests.get(profile.user_id, ()))
        for profile, lat, lon in rows
    }


def open_opportunities(area_ids: Iterable[int]) -> list[Opportunity]:
    area_ids = list(area_ids)
    query = select(Opportunity).where(Opportunity.closed_at.is_(None)).order_by(Opportunity.id)
    if area_ids:
        # Online opportunities (no area) are open to every area.
        query = query.where(or_(Opportunity.area_id.in_(area_ids), Opportunity.area_id.is_(None)))
    return list(db.session.execute(query).scalars())


def to_opportunity(opportunity: Opportunity) -> matching.Opportunity:
    mask = opportunity.slot_mask or 0
    area = opportunity.area
    return matching.Opportunity(
        id=opportunity.id,
        interests=frozenset(i.id for i in opportunity.interests),
        slots=frozenset(slot for slot in range(21) if mask >> slot & 1),
        location=(area.latitude, area.longitude) if area else None,
        capacity=opportunity.capacity,
        min_comfort=opportunity.min_comfort,
    )
