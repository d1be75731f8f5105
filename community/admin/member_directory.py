"""Finding members: filters, server-side pages, and one member's history.

Organizers see a member's comfort level and availability only when the member
consented to storing them (they are not stored otherwise); everywhere else those
figures appear only as counts.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import selectinload

from community.admin.audit import record, snapshot
from community.auth.accounts import queue_verification
from community.extensions import db
from community.members import profiles
from community.models import (
    Area,
    Feedback,
    Match,
    MatchMember,
    MatchRound,
    Profile,
    Report,
    User,
    member_interests,
    utcnow,
)
from community.models.users import ROLES
from community.organize.errors import ChangeRefused
from community.web.form_rules import CONTROL_CHARACTERS

PER_PAGE = 25
LAST_MATCHED = {
    "": "Any time",
    "never": "Never matched",
    "recent": "In the last 4 weeks",
    "stale": "More than 4 weeks ago",
}
YES_NO = {"": "Either", "yes": "Yes", "no": "No"}


@dataclass(frozen=True)
class MemberFilters:
    """The query arguments of the member list, already checked."""

    q: str = ""
    area_id: int | None = None
    interest_id: int | None = None
    looking_for: str = ""
    verified: str = ""
    paused: str = ""
    last_matched: str = ""

    @classmethod
    def from_args(cls, args: Any) -> MemberFilters:
        """Unknown or malformed values are ignored, never an error page."""

        def number(name: str) -> int | None:
            value = args.get(name, "")
            return int(value) if value.isdigit() else None

        def one_of(name: str, allowed) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        return cls(
            q=" ".join(CONTROL_CHARACTERS.sub(" ", args.get("q", "")).split())[:100],
            area_id=number("area"),
            interest_id=number("interest"),
            looking_for=one_of("looking_for", ("groups", "walks", "volunteering")),
            verified=one_of("verified", YES_NO),
            paused=one_of("paused", YES_NO),
            last_matched=one_of("last_matched", LAST_MATCHED),
        )

    def as_args(self) -> dict[str, Any]:
        """Query arguments that reproduce these filters (for page links and CSV)."""
        values = {
            "q": self.q,
            "area": self.area_id,
            "interest": self.interest_id,
            "looking_for": self.looking_for,
            "verified": self.verified,
            "paused": self.paused,
            "last_matched": self.last_matched,
        }
        return {key: value for key, value in values.items() if value not in ("", None)}


@dataclass(frozen=True)
class MemberRow:
    """One line of the member list, from plain column values (no ORM objects)."""

    id: int
    display_name: str
    email: str
    active: bool
    verified: bool
    role: str
    has_profile: bool
    looking_for: tuple[str, ...]
    paused_until: date | None
    area_name: str | None
    last_matched: datetime | None


@dataclass(frozen=True)
class MemberPage:
    rows: list[MemberRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_number(self) -> int:
        return min(self.page * self.per_page, self.total)


def last_matched_subquery():
    """When each member was last placed in an approved round (any answer)."""
    return (
        select(MatchMember.user_id, func.max(Match.created_at).label("last_matched"))
        .join(Match, Match.id == MatchMember.match_id)
        .join(MatchRound, MatchRound.id == Match.round_id)
        .where(MatchRound.status == "approved", MatchMember.user_id.is_not(None))
        .group_by(MatchMember.user_id)
        .subquery()
    )


def filtered(filters: MemberFilters, today: date | None = None) -> tuple[Select, Any]:
    """Members matching the filters; "last matched" is joined only when filtered on,
    since aggregating every member's history costs more than the page itself."""
    today = today or date.today()
    last = last_matched_subquery() if filters.last_matched else None
    query = select(User, Profile).outerjoin(Profile, Profile.user_id == User.id)
    if last is not None:
        query = query.outerjoin(last, last.c.user_id == User.id)
    if filters.q:
        # Typed % and _ are letters to look for, not wildcards.
        typed = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{typed}%"
        query = query.where(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    if filters.area_id:
        query = query.where(Profile.area_id == filters.area_id)
    if filters.interest_id:
        query = query.where(
            exists().where(
                member_interests.c.user_id == User.id,
                member_interests.c.interest_id == filters.interest_id,
            )
        )
    if filters.looking_for:
        column = {
            "groups": Profile.wants_groups,
            "walks": Profile.wants_walks,
            "volunteering": Profile.wants_volunteering,
        }[filters.looking_for]
        query = query.where(column.is_(True))
    if filters.verified == "yes":
        query = query.where(User.email_verified_at.is_not(None))
    elif filters.verified == "no":
        query = query.where(User.email_verified_at.is_(None))
    if filters.paused == "yes":
        query = query.where(Profile.paused_until > today)
    elif filters.paused == "no":
        query = query.where(or_(Profile.paused_until.is_(None), Profile.paused_until <= today))
    if last is not None:
        cutoff = utcnow() - timedelta(weeks=4)
        if filters.last_matched == "never":
            query = query.where(last.c.last_matched.is_(None))
        elif filters.last_matched == "recent":
            query = query.where(last.c.last_matched >= cutoff)
        elif filters.last_matched == "stale":
            query = query.where(last.c.last_matched < cutoff)
    return query, last


def search(
    filters: MemberFilters,
    page: int = 1,
    per_page: int = PER_PAGE,
    area_names: dict[int, str] | None = None,
) -> MemberPage:
    """One page of members, counted and sliced in the database, never in Python.

    The page's ids come first from the name index alone; only those 25 members are
    then read with their profiles, instead of joining every member the OFFSET skips.
    ``area_names`` saves a query when the caller has already read the areas.
    """
    query, _last = filtered(filters)
    total = count_members(query, filters)
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    ids = list(
        db.session.execute(
            query.with_only_columns(User.id)
            .order_by(func.lower(User.display_name), User.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).scalars()
    )
    found = {row.id: row for row in db.session.execute(MEMBER_ROWS, {"ids": ids})}
    last_matched = last_matched_for(ids)
    if area_names is None:
        area_names = area_name_lookup()
    return MemberPage(
        rows=[
            member_row(found[user_id], area_names, last_matched.get(user_id))
            for user_id in ids
            if user_id in found
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


# A page of the list shows 25 members: reading these columns as plain rows costs a
# fraction of building User and Profile objects (and their identity map) for each.
# Built once, like the other statements every page runs.
MEMBER_ROWS = (
    select(
        User.id,
        User.display_name,
        User.email,
        User.active,
        User.email_verified_at,
        User.role,
        Profile.user_id.label("profile_user_id"),
        Profile.wants_groups,
        Profile.wants_walks,
        Profile.wants_volunteering,
        Profile.paused_until,
        Profile.area_id,
    )
    .outerjoin(Profile, Profile.user_id == User.id)
    .where(User.id.in_(bindparam("ids", expanding=True)))
)


def member_row(row: Any, area_names: dict[int, str], last_matched: datetime | None) -> MemberRow:
    has_profile = row.profile_user_id is not None
    return MemberRow(
        id=row.id,
        display_name=row.display_name,
        email=row.email,
        active=row.active,
        verified=row.email_verified_at is not None,
        role=row.role,
        has_profile=has_profile,
        looking_for=tuple(
            profiles.looking_for(row.wants_groups, row.wants_walks, row.wants_volunteering)
        ),
        paused_until=row.paused_until,
        area_name=area_names.get(row.area_id) if has_profile else None,
        last_matched=last_matched,
    )


class CountCache:
    """Recent large member counts, per process.

    Counting 100,000 members costs PostgreSQL ~20 ms on every page of the list. A
    count of at least ``MEMBER_COUNT_CACHE_FROM`` is kept for
    ``MEMBER_COUNT_CACHE_SECONDS``: a figure that large may lag by the few members
    who joined or left meanwhile, and paging still reads the members themselves
    fresh. Smaller counts (most filtered lists) are always exact.
    """

    SIZE = 256

    def __init__(self) -> None:
        self._counts: OrderedDict[MemberFilters, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, filters: MemberFilters, max_age: float) -> int | None:
        with self._lock:
            kept = self._counts.get(filters)
        if kept is None or time.monotonic() - kept[0] > max_age:
            return None
        return kept[1]

    def put(self, filters: MemberFilters, total: int) -> None:
        with self._lock:
            self._counts[filters] = (time.monotonic(), total)
            self._counts.move_to_end(filters)
            while len(self._counts) > self.SIZE:
                self._counts.popitem(last=False)


def count_cache() -> CountCache:
    return current_app.extensions.setdefault("kindred_member_counts", CountCache())


def count_members(query: Select, filters: MemberFilters) -> int:
    config = current_app.config
    max_age = config["MEMBER_COUNT_CACHE_SECONDS"]
    cache = count_cache()
    total = cache.get(filters, max_age) if max_age > 0 else None
    if total is None:
        total = db.session.execute(
            select(func.count()).select_from(query.with_only_columns(User.id).subquery())
        ).scalar_one()
        if max_age > 0 and total >= config["MEMBER_COUNT_CACHE_FROM"]:
            cache.put(filters, total)
    return total


LAST_MATCHED_FOR = (
    select(MatchMember.user_id, func.max(Match.created_at))
    .join(Match, Match.id == MatchMember.match_id)
    .join(MatchRound, MatchRound.id == Match.round_id)
    .where(
        MatchRound.status == "approved",
        MatchMember.user_id.in_(bindparam("ids", expanding=True)),
    )
    .group_by(MatchMember.user_id)
)


def last_matched_for(user_ids: list[int]) -> dict[int, datetime]:
    """When each of these members was last placed in an approved round."""
    if not user_ids:
        return {}
    rows = db.session.execute(LAST_MATCHED_FOR, {"ids": user_ids}).all()
    return {user_id: at for user_id, at in rows if user_id is not None}


def area_name_lookup() -> dict[int, str]:
    return dict(db.session.execute(select(Area.id, Area.name)).all())


@dataclass(frozen=True)
class HistoryRow:
    round: MatchRound
    match: Match
    status: str
    responded_at: datetime | None
    companions: list[str]
    feeling: str | None
    met: bool | None


def history(user: User) -> list[HistoryRow]:
    """Every approved match the member was part of, newest first, with how it went."""
    memberships = db.session.execute(
        select(MatchMember, Match, MatchRound)
        .options(
            selectinload(MatchMember.match)
            .selectinload(Match.members)
            .selectinload(MatchMember.user),
            selectinload(MatchMember.match).selectinload(Match.opportunity),
        )
        .join(Match, Match.id == MatchMember.match_id)
        .join(MatchRound, MatchRound.id == Match.round_id)
        .where(MatchMember.user_id == user.id, MatchRound.status == "approved")
        .order_by(Match.created_at.desc(), Match.id.desc())
    ).all()
    feedback = {
        f.match_id: f
        for f in db.session.execute(select(Feedback).where(Feedback.user_id == user.id)).scalars()
    }
    rows = []
    for membership, match, round_ in memberships:
        others = [m.user.display_name for m in match.members if m.user and m.user_id != user.id]
        given = feedback.get(match.id)
        rows.append(
            HistoryRow(
                round=round_,
                match=match,
                status=membership.status,
                responded_at=membership.responded_at,
                companions=others,
                feeling=given.feeling if given else None,
                met=given.met if given else None,
            )
        )
    return rows


def reports_about(user: User) -> list[Report]:
    return list(
        db.session.execute(
            select(Report)
            .options(selectinload(Report.reporter), selectinload(Report.reported_user))
            .where(or_(Report.reported_user_id == user.id, Report.reporter_id == user.id))
            .order_by(Report.created_at.desc())
        ).scalars()
    )


def may_see_comfort(profile: Profile | None) -> bool:
    """Comfort and availability are shown one by one only with the member's consent."""
    return profile is not None and profile.consent_at is not None


# Admin changes -------------------------------------------------------------------------

ACCOUNT_FIELDS = ("role", "active", "email_verified_at")


def change_role(actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise ChangeRefused("Please choose member, organizer or admin.")
    if user.id == actor.id:
        raise ChangeRefused("You can't change your own role; ask another admin.")
    if user.role == role:
        raise ChangeRefused(f"{user.display_name} is already {role_label(role)}.")
    before = snapshot(user, ACCOUNT_FIELDS)
    user.role = role
    record(actor, "member.role", user, before, snapshot(user, ACCOUNT_FIELDS))


def role_label(role: str) -> str:
    return {"member": "a member", "organizer": "an organizer", "admin": "an admin"}[role]


def set_active(actor: User, user: User, active: bool, action: str | None = None) -> None:
    """Deactivated members can't log in and are left out of every round."""
    if user.id == actor.id:
        raise ChangeRefused("You can't deactivate your own account.")
    if user.active == active:
        state = "active" if active else "deactivated"
        raise ChangeRefused(f"{user.display_name}'s account is already {state}.")
    before = snapshot(user, ACCOUNT_FIELDS)
    user.active = active
    record(
        actor,
        action or ("member.reactivate" if active else "member.deactivate"),
        user,
        before,
        snapshot(user, ACCOUNT_FIELDS),
    )


def resend_verification(actor: User, user: User) -> None:
    if user.is_verified:
        raise ChangeRefused(f"{user.display_name} has already confirmed their email.")
    queue_verification(user)
    record(actor, "member.resend_verification", user, {}, {"email": user.email})
