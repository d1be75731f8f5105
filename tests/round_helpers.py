"""Shared set-ups for the round and invitation tests: small communities and approved rounds."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from community.extensions import db
from community.models import Area, Interest, MatchRound, Opportunity, User
from community.rounds.approval import approve_round
from community.rounds.proposal import compute_round, start_round

MONDAY = date(2030, 3, 4)  # a Monday well in the future, so meetings are upcoming


def future_monday() -> date:
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(days=14)


def community(members, count: int = 8, **fields) -> list[User]:
    """``count`` alike, complete members in the first area, free on Monday (slots 0-2)."""
    return [members.create(complete=True, **fields) for _ in range(count)]


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
