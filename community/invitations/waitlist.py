"""The volunteering waitlist: who is next for a freed place, nearest and best fitting first."""

from __future__ import annotations

from sqlalchemy import func, select

from community.extensions import db
from community.invitations.capacity import lock_for_capacity
from community.invitations.sending import queue_one_invitation
from community.models import (
    Area,
    Match,
    MatchMember,
    Profile,
    User,
    opportunity_interests,
    utcnow,
)
from community.rounds.eligibility import reachable_and_consenting
from community.rounds.schedule import match_meeting_at, new_nonce
from matching import distance_km


def waitlist(match: Match) -> list[User]:
    """Suitable volunteers the round left out, best fit first.

    Suitable: still eligible (verified, subscribed, consenting, not paused),
    comfortable enough, free at the match's slot, near enough for an in-person
    place, and not already in this round.
    """
    round_ = match.round
    opportunity = match.opportunity
    if opportunity is None:
        return []
    order = [item["user_id"] for item in round_.unplaced or []]
    if not order:
        return []
    in_round = select(MatchMember.user_id).join(Match).where(Match.round_id == round_.id)
    rows = db.session.execute(
        select(User, Profile, Area.latitude, Area.longitude)
        .join(Profile, Profile.user_id == User.id)
        .outerjoin(Area, Area.id == Profile.area_id)
        .where(
            User.id.in_(order),
            User.id.not_in(in_round),
            *reachable_and_consenting(),
            Profile.wants_volunteering.is_(True),
        )
    ).all()
    wanted = set(
        db.session.execute(
            select(opportunity_interests.c.interest_id).where(
                opportunity_interests.c.opportunity_id == opportunity.id
            )
        ).scalars()
    )
    area = opportunity.area
    candidates = []
    for user, profile, lat, lon in rows:
        if (profile.comfort or 3) < opportunity.min_comfort:
            continue
        if not (profile.availability_mask or 0) >> match.slot & 1:
            continue
        if profile.paused_until and profile.paused_until > match_meeting_at(match).date():
            continue
        if area is not None:
            if profile.format == "online" or lat is None:
                continue
            if distance_km((lat, lon), (area.latitude, area.longitude)) > (profile.max_km or 5):
                continue
        shared = len(wanted & {i.id for i in profile.interests})
        candidates.append((-shared, order.index(user.id), user))
    return [user for *_rank, user in sorted(candidates, key=lambda c: c[:2])]


def invite_from_waitlist(match: Match) -> MatchMember | None:
    """Offer a freed placement to the next suitable volunteer, if a place is really free."""
    if match.opportunity_id is None or match.status != "active":
        return None
    capacity = lock_for_capacity(match)
    holding = db.session.execute(
        select(func.count(MatchMember.id))
        .join(Match, Match.id == MatchMember.match_id)
        .where(
            Match.round_id == match.round_id,
            Match.opportunity_id == match.opportunity_id,
            Match.status == "active",
            MatchMember.status.in_(("invited", "accepted")),
        )
    ).scalar_one()
    if capacity is None or holding >= capacity:
        return None
    for user in waitlist(match):
        seat = MatchMember(
            match=match,
            user_id=user.id,
            status="invited",
            invited_at=utcnow(),
            token_nonce=new_nonce(),
        )
        db.session.add(seat)
        db.session.flush()
        round_ = match.round
        round_.unplaced = [item for item in round_.unplaced if item["user_id"] != user.id]
        queue_one_invitation(seat)
        return seat
    return None
