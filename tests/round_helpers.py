"""Shared set-ups for the round and invitation tests: small communities and approved rounds."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from community.extensions import db
from community.models import Area, Interest, MatchRound, Opportunity, User, Venue
from community.rounds.approval import approve_round
from community.rounds.proposal import compute_round, start_round

MONDAY = date(2030, 3, 4)  # a Monday well in the future, so meetings are upcoming


def future_monday() -> date:
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(days=14)


EVERY_SLOT = 2**21 - 1


def community(members, count: int = 8, **fields) -> list[User]:
    """``count`` alike, complete members in the first area, free on Monday (slots 0-2).

    Every area gets a roomy venue at its centre (see :func:`roomy_venues`), so each
    in-person meeting has somewhere to happen and the round can be approved.
    """
    roomy_venues(members.app)
    return [members.create(complete=True, **fields) for _ in range(count)]


def roomy_venues(app) -> None:
    """One venue per area centre that takes any meeting: always open, step-free, quiet,
    a walk start, seating 50 meetings at once. Added once; tests about placement
    itself build their own venues instead."""
    with app.app_context():
        if db.session.execute(select(Venue.id).limit(1)).first():
            return
        for area in db.session.execute(select(Area).order_by(Area.id)).scalars():
            db.session.add(
                Venue(
                    name=f"{area.name} Community Centre",
                    address=f"1 High Street, {area.name}",
                    latitude=area.latitude,
                    longitude=area.longitude,
                    area=area,
                    kind="community_centre",
                    slot_mask=EVERY_SLOT,
                    capacity=50,
                    step_free=True,
                    quietness="quiet",
                    walk_start=True,
                )
            )
        db.session.commit()


def organizer(members) -> User:
    return members.create(role="organizer")


def make_round(app, kind: str = "groups", **settings) -> int:
    with app.app_context():
        round_ = start_round(
            kind=kind,
            area_ids=settings.pop("area_ids", []),
            min_size=settings.pop("min_size", 4),
            max_size=settings.pop("max_size", 4),
            week_start=settings.pop("week_start", future_monday()),
            random_state=settings.pop("random_state", 0),
        )
        db.session.commit()
        compute_round(round_)
        db.session.commit()
        return round_.id


def approve(app, round_id: int, approver_id: int) -> int:
    with app.app_context():
        round_ = db.session.get(MatchRound, round_id)
        queued = approve_round(round_, db.session.get(User, approver_id))
        db.session.commit()
        return queued


def opportunity(app, capacity: int, **fields) -> int:
    with app.app_context():
        area = db.session.execute(select(Area).limit(1)).scalar_one()
        interests = db.session.execute(select(Interest).limit(3)).scalars().all()
        item = Opportunity(
            title=fields.get("title", "Community garden helpers"),
            host=fields.get("host", "Greenway Growers"),
            area=area,
            slot_mask=0b111,
            capacity=capacity,
            min_comfort=1,
            interests=list(interests),
        )
        db.session.add(item)
        db.session.commit()
        return item.id
