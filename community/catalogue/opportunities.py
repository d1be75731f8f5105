"""Volunteer opportunities: what they are, when they run, and how full they are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from community.admin.audit import record, snapshot
from community.extensions import db
from community.members.profiles import slots_to_mask
from community.models import (
    Area,
    Interest,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    User,
    utcnow,
)
from community.organize.errors import ChangeRefused

FIELDS = (
    "title",
    "host",
    "description",
    "area_id",
    "slot_mask",
    "capacity",
    "min_comfort",
    "contact",
    "closed_at",
)
MAX_CAPACITY = 500


@dataclass
class OpportunityDetails:
    """What an organizer fills in; checked here as well as on the form."""

    title: str
    host: str
    description: str = ""
    area_id: int | None = None
    slots: list[int] = field(default_factory=list)
    interest_ids: list[int] = field(default_factory=list)
    capacity: int = 1
    min_comfort: int = 1
    contact: str = ""


@dataclass(frozen=True)
class OpportunityRow:
    opportunity: Opportunity
    filled: int
    pending: int

    @property
    def fill_rate(self) -> float:
        return min(self.filled / self.opportunity.capacity, 1.0) if self.opportunity.capacity else 0

    @property
    def open_places(self) -> int:
        return max(self.opportunity.capacity - self.filled, 0)


def placements() -> dict[int, tuple[int, int]]:
    """(accepted, awaiting an answer) per opportunity, from its latest approved round."""
    latest = (
        select(Match.opportunity_id, func.max(Match.round_id).label("round_id"))
        .join(MatchRound, MatchRound.id == Match.round_id)
        .where(Match.opportunity_id.is_not(None), MatchRound.status == "approved")
        .group_by(Match.opportunity_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Match.opportunity_id, MatchMember.status, func.count(MatchMember.id))
        .join(MatchMember, MatchMember.match_id == Match.id)
        .join(
            latest,
            (latest.c.opportunity_id == Match.opportunity_id)
            & (latest.c.round_id == Match.round_id),
        )
        .where(Match.status != "cancelled", MatchMember.status.in_(("accepted", "invited")))
        .group_by(Match.opportunity_id, MatchMember.status)
    ).all()
    result: dict[int, tuple[int, int]] = {}
    for opportunity_id, status, number in rows:
        if opportunity_id is None:  # the join on opportunity_id leaves none out; for mypy
            continue
        accepted, pending = result.get(opportunity_id, (0, 0))
        if status == "accepted":
            accepted += number
        else:
            pending += number
        result[opportunity_id] = (accepted, pending)
    return result


def opportunity_rows(include_closed: bool = True) -> list[OpportunityRow]:
    query = select(Opportunity).order_by(Opportunity.closed_at.is_not(None), Opportunity.title)
    if not include_closed:
        query = query.where(Opportunity.closed_at.is_(None))
    filled = placements()
    return [
        OpportunityRow(o, *filled.get(o.id, (0, 0))) for o in db.session.execute(query).scalars()
    ]


def interests_by_id(ids: Iterable[int]) -> list[Interest]:
    wanted = set(ids)
    found = list(
        db.session.execute(
            select(Interest).where(Interest.id.in_(wanted), Interest.retired.is_(False))
        ).scalars()
    )
    if len(found) != len(wanted):
        raise ChangeRefused("One of the interests isn't in use any more. Please choose again.")
    return found


def apply(opportunity: Opportunity, details: OpportunityDetails) -> None:
    title = " ".join((details.title or "").split())
    host = " ".join((details.host or "").split())
    if not title or not host:
        raise ChangeRefused("Please give a title and the host organisation.")
    if not 1 <= details.capacity <= MAX_CAPACITY:
        raise ChangeRefused(f"Capacity must be a whole number from 1 to {MAX_CAPACITY}.")
    if not 1 <= details.min_comfort <= 5:
        raise ChangeRefused("The comfort level must be from 1 to 5.")
    if details.area_id is not None:
        area = db.session.get(Area, details.area_id)
        if area is None or area.retired_at is not None:
            raise ChangeRefused("That area isn't in use any more. Please choose another.")
    try:
        mask = slots_to_mask(details.slots)
    except ValueError:
        raise ChangeRefused("One of the times isn't a weekly slot. Please tick again.") from None
    opportunity.title = title
    opportunity.host = host
    opportunity.description = details.description or ""
    opportunity.area_id = details.area_id
    opportunity.slot_mask = mask
    opportunity.capacity = details.capacity
    opportunity.min_comfort = details.min_comfort
    opportunity.contact = (details.contact or "").strip()
    opportunity.interests = interests_by_id(details.interest_ids)


def audit_view(opportunity: Opportunity) -> dict:
    return {
        **snapshot(opportunity, FIELDS),
        "interests": sorted(i.id for i in opportunity.interests),
    }


def create_opportunity(actor: User, details: OpportunityDetails) -> Opportunity:
    opportunity = Opportunity()
    apply(opportunity, details)
    db.session.add(opportunity)
    db.session.flush()
    record(actor, "opportunity.create", opportunity, {}, audit_view(opportunity))
    return opportunity


def update_opportunity(
    actor: User, opportunity: Opportunity, details: OpportunityDetails
) -> Opportunity:
    before = audit_view(opportunity)
    apply(opportunity, details)
    record(actor, "opportunity.update", opportunity, before, audit_view(opportunity))
    return opportunity


def close_opportunity(actor: User, opportunity: Opportunity) -> None:
    """Closed opportunities take no new volunteers; past placements stay in the history."""
    if opportunity.closed_at is not None:
        raise ChangeRefused(f"\u201c{opportunity.title}\u201d is already closed.")
    before = audit_view(opportunity)
    opportunity.closed_at = utcnow()
    record(actor, "opportunity.close", opportunity, before, audit_view(opportunity))


def reopen_opportunity(actor: User, opportunity: Opportunity) -> None:
    if opportunity.closed_at is None:
        raise ChangeRefused(f"\u201c{opportunity.title}\u201d is open already.")
    if opportunity.area is not None and opportunity.area.retired_at is not None:
        raise ChangeRefused(
            f"\u201c{opportunity.area.name}\u201d is retired. Edit the opportunity's area first."
        )
    before = audit_view(opportunity)
    opportunity.closed_at = None
    record(actor, "opportunity.reopen", opportunity, before, audit_view(opportunity))
