"""The figures behind the organizers' dashboard and care view.

Everything here is counted in aggregate. Comfort levels appear as counts per
level, never member by member.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from community.catalogue.opportunities import OpportunityRow, opportunity_rows
from community.extensions import db
from community.members.choices import COMFORT_LEVELS
from community.models import (
    Area,
    Feedback,
    Match,
    MatchMember,
    MatchRound,
    Profile,
    User,
    utcnow,
)
from community.web.charts import Figure, Series

KIND_NAMES = {"groups": "Groups", "walks": "Walks", "volunteering": "Volunteering"}
SHORT_KIND = {"groups": "Groups", "walks": "Walks", "volunteering": "Volunteer"}  # fits a bar
FEELINGS = (
    ("nurturing", "Nurturing", "teal"),
    ("neutral", "Neutral", "sand"),
    ("draining", "Draining", "coral"),
)
COMFORT_SHORT = {
    1: "1 · one-on-one",
    2: "2 · small, calm",
    3: "3 · once settled",
    4: "4 · enjoys groups",
    5: "5 · big groups",
}


def week_start(moment: date | datetime) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def recent_weeks(count: int, today: date | None = None) -> list[date]:
    this_week = week_start(today or date.today())
    return [this_week - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def week_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def approved_rounds(limit: int | None = None) -> list[MatchRound]:
    """Newest first."""
    query = (
        select(MatchRound)
        .where(MatchRound.status == "approved")
        .order_by(MatchRound.week_start.desc(), MatchRound.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def placed_members(round_ids: list[int]) -> dict[int, set[int]]:
    """Who was placed in each round (in a match that was not cancelled)."""
    placed: dict[int, set[int]] = defaultdict(set)
    if not round_ids:
        return placed
    rows = db.session.execute(
        select(Match.round_id, MatchMember.user_id)
        .join(MatchMember, MatchMember.match_id == Match.id)
        .where(
            Match.round_id.in_(round_ids),
            Match.status != "cancelled",
            MatchMember.user_id.is_not(None),
        )
    ).all()
    for round_id, user_id in rows:
        if user_id is not None:  # the query keeps only seats with a member; for mypy
            placed[round_id].add(user_id)
    return placed


def unplaced_ids(round_: MatchRound) -> set[int]:
    return {
        int(entry["user_id"])
        for entry in round_.unplaced or []
        if isinstance(entry, dict) and entry.get("user_id") is not None
    }


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


# Dashboard figures --------------------------------------------------------------------


def signups_per_week(weeks: int = 12, today: date | None = None) -> Figure:
    days = recent_weeks(weeks, today)
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=utcnow().tzinfo)
    created = db.session.execute(select(User.created_at).where(User.created_at >= since)).scalars()
    counts = Counter(week_start(aware(moment)) for moment in created)
    return Figure(
        slug="signups",
        title="Members signed up per week",
        description=f"New accounts in each of the last {weeks} weeks.",
        categories=[week_label(day) for day in days],
        series=[Series("Sign-ups", [counts.get(day, 0) for day in days], "teal")],
        x_label="Week starting",
        y_label="Members",
    )


def share_placed(limit: int = 10) -> Figure:
    rounds = list(reversed(approved_rounds(limit)))
    placed = placed_members([r.id for r in rounds])
    categories, shares = [], []
    for round_ in rounds:
        got = len(placed[round_.id])
        eligible = got + len(unplaced_ids(round_) - placed[round_.id])
        eligible = max(int(round_.quality.get("eligible", 0) or 0), eligible)
        categories.append(
            f"{SHORT_KIND.get(round_.kind, round_.kind)} {week_label(round_.week_start)}"
        )
        shares.append(round(100 * got / eligible, 1) if eligible else 0)
    return Figure(
        slug="placed",
        title="Share of members placed in each round",
        description="Of the members eligible for a round, the percentage who were placed.",
        categories=categories,
        series=[Series("Placed", shares, "teal")],
        x_label="Round",
        y_label="Placed",
        percent=True,
    )


@dataclass(frozen=True)
class KindRates:
    kind: str
    invited: int
    accepted: int
    declined: int
    no_answer: int
    showed_up: int
    attendance_known: int

    @property
    def acceptance(self) -> float:
        return round(100 * self.accepted / self.invited, 1) if self.invited else 0

    @property
    def show_up(self) -> float:
        return (
            round(100 * self.showed_up / self.attendance_known, 1) if self.attendance_known else 0
        )


def rates_by_kind() -> list[KindRates]:
    statuses = db.session.execute(
        select(Match.kind, MatchMember.status, func.count(MatchMember.id))
        .join(Match, Match.id == MatchMember.match_id)
        .join(MatchRound, MatchRound.id == Match.round_id)
        .where(MatchRound.status == "approved")
        .group_by(Match.kind, MatchMember.status)
    ).all()
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for kind, status, number in statuses:
        by_kind[kind][status] += number
    attendance = db.session.execute(
        select(Match.kind, Feedback.met, func.count(Feedback.id))
        .join(Match, Match.id == Feedback.match_id)
        .where(Feedback.met.is_not(None))
        .group_by(Match.kind, Feedback.met)
    ).all()
    met: dict[str, Counter] = defaultdict(Counter)
    for kind, did_meet, number in attendance:
        met[kind][bool(did_meet)] += number
    rates = []
    for kind in KIND_NAMES:
        counts = by_kind[kind]
        answered = counts["accepted"] + counts["declined"]
        rates.append(
            KindRates(
                kind=kind,
                invited=answered + counts["invited"],
                accepted=counts["accepted"],
                declined=counts["declined"],
                no_answer=counts["invited"],
                showed_up=met[kind][True],
                attendance_known=met[kind][True] + met[kind][False],
            )
        )
    return rates


def response_rates() -> Figure:
    rates = rates_by_kind()
    return Figure(
        slug="responses",
        title="Acceptance and show-up rates by kind",
        description=(
            "Acceptance: invitations accepted, of all sent. "
            "Show-up: of the members who told us afterwards, how many met."
        ),
        categories=[KIND_NAMES[r.kind] for r in rates],
        series=[
            Series("Accepted", [r.acceptance for r in rates], "teal"),
            Series("Showed up", [r.show_up for r in rates], "plum"),
        ],
        x_label="Kind of match",
        y_label="Rate",
        percent=True,
    )


def feelings_over_time(weeks: int = 10, today: date | None = None) -> Figure:
    days = recent_weeks(weeks, today)
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=utcnow().tzinfo)
    rows = db.session.execute(
        select(Feedback.created_at, Feedback.feeling).where(
            Feedback.created_at >= since, Feedback.feeling.is_not(None)
        )
    ).all()
    counts = Counter((week_start(aware(moment)), feeling) for moment, feeling in rows)
    return Figure(
        slug="feelings",
        title="How meetings felt, week by week",
        description="Feedback after meeting: nurturing, neutral or draining.",
        categories=[week_label(day) for day in days],
        series=[
            Series(label, [counts.get((day, key), 0) for day in days], tone)
            for key, label, tone in FEELINGS
        ],
        x_label="Week starting",
        y_label="Feedback given",
        kind="stacked",
    )


def latest_round_per_kind() -> list[MatchRound]:
    latest: dict[str, MatchRound] = {}
    for round_ in approved_rounds(30):
        latest.setdefault(round_.kind, round_)
    return list(latest.values())


def unmatched_by_area() -> Figure:
    """Members left out of the latest round of each kind, by neighbourhood."""
    left_out: set[int] = set()
    for round_ in latest_round_per_kind():
        left_out |= unplaced_ids(round_)
    area_of = (
        dict(
            db.session.execute(
                select(Profile.user_id, Profile.area_id).where(Profile.user_id.in_(left_out))
            ).all()
        )
        if left_out
        else {}
    )
    counts = Counter(area_of.get(user_id) for user_id in left_out)
    areas = list(
        db.session.execute(
            select(Area).where(Area.retired_at.is_(None)).order_by(Area.name)
        ).scalars()
    )
    categories = [a.name for a in areas]
    values: list[float] = [counts.get(a.id, 0) for a in areas]
    if counts.get(None):
        categories.append("No area")
        values.append(counts[None])
    return Figure(
        slug="unmatched",
        title="Members left unmatched, by area",
        description="Members who were eligible but not placed in the latest round of each kind.",
        categories=categories,
        series=[Series("Unmatched", values, "coral")],
        x_label="Area",
        y_label="Members",
    )


def comfort_levels() -> Figure:
    """Counts per level only: an organizer never sees one member's comfort here."""
    counts = dict(
        db.session.execute(
            select(Profile.comfort, func.count(Profile.user_id))
            .where(Profile.comfort.is_not(None), Profile.consent_at.is_not(None))
            .group_by(Profile.comfort)
        ).all()
    )
    return Figure(
        slug="comfort",
        title="Comfort meeting new people",
        description="How many members chose each comfort level (1: one-on-one, 5: big groups).",
        categories=[COMFORT_SHORT[level] for level in COMFORT_LEVELS],
        series=[Series("Members", [counts.get(level, 0) for level in COMFORT_LEVELS], "sand")],
        x_label="Comfort level",
        y_label="Members",
    )


FIGURES: dict[str, Callable[[], Figure]] = {
    "signups": signups_per_week,
    "placed": share_placed,
    "responses": response_rates,
    "feelings": feelings_over_time,
    "unmatched": unmatched_by_area,
    "comfort": comfort_levels,
}


@dataclass(frozen=True)
class Headline:
    members: int
    verified: int
    looking: int
    rounds: int


def headline() -> Headline:
    total = db.session.execute(select(func.count(User.id))).scalar_one()
    verified = db.session.execute(
        select(func.count(User.id)).where(User.email_verified_at.is_not(None))
    ).scalar_one()
    looking = db.session.execute(
        select(func.count(Profile.user_id)).where(
            Profile.wants_groups | Profile.wants_walks | Profile.wants_volunteering
        )
    ).scalar_one()
    rounds = db.session.execute(
        select(func.count(MatchRound.id)).where(MatchRound.status == "approved")
    ).scalar_one()
    return Headline(total, verified, looking, rounds)


# Care view ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unplaced:
    user: User
    rounds: int
    last_placed: date | None


def long_unplaced(min_rounds: int = 3, today: date | None = None) -> list[Unplaced]:
    """Members still asking to be matched who were left out of their last rounds.

    Counting walks back from the newest round and stops at the round where the member
    was last placed; rounds the member wasn't part of either way are skipped.
    """
    today = today or date.today()
    rounds = approved_rounds()
    placed = placed_members([r.id for r in rounds])
    streak: Counter[int] = Counter()
    settled: set[int] = set()
    last_placed: dict[int, date] = {}
    for round_ in rounds:
        for user_id in placed[round_.id]:
            if user_id not in settled:
                settled.add(user_id)
                last_placed[user_id] = round_.week_start
        for user_id in unplaced_ids(round_) - placed[round_.id]:
            if user_id not in settled:
                streak[user_id] += 1
    candidates = [user_id for user_id, count in streak.items() if count >= min_rounds]
    if not candidates:
        return []
    users = db.session.execute(
        select(User)
        .join(Profile, Profile.user_id == User.id)
        .where(
            User.id.in_(candidates),
            User.active.is_(True),
            Profile.wants_groups | Profile.wants_walks | Profile.wants_volunteering,
            (Profile.paused_until.is_(None)) | (Profile.paused_until <= today),
        )
    ).scalars()
    found = [Unplaced(u, streak[u.id], last_placed.get(u.id)) for u in users]
    return sorted(found, key=lambda row: (-row.rounds, row.user.display_name))


@dataclass(frozen=True)
class Drained:
    user: User
    last_feedback: datetime


def drained_twice() -> list[Drained]:
    """Members whose last two feedbacks were both "draining"."""
    rows = db.session.execute(
        select(Feedback.user_id, Feedback.feeling, Feedback.created_at)
        .where(Feedback.user_id.is_not(None), Feedback.feeling.is_not(None))
        .order_by(Feedback.user_id, Feedback.created_at.desc(), Feedback.id.desc())
    ).all()
    latest: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for user_id, feeling, created in rows:
        if user_id is None or feeling is None:  # the query leaves these out; for mypy
            continue
        if len(latest[user_id]) < 2:
            latest[user_id].append((feeling, created))
    ids = [
        user_id
        for user_id, pair in latest.items()
        if len(pair) == 2 and all(feeling == "draining" for feeling, _ in pair)
    ]
    if not ids:
        return []
    users = db.session.execute(select(User).where(User.id.in_(ids), User.active.is_(True)))
    found = [Drained(u, latest[u.id][0][1]) for u in users.scalars()]
    return sorted(found, key=lambda row: row.last_feedback, reverse=True)


@dataclass(frozen=True)
class AreaSeats:
    area_name: str
    open_places: int
    opportunities: list[OpportunityRow]


def empty_seats() -> list[AreaSeats]:
    """Open volunteer places by area, most first, so organizers know where to recruit."""
    by_area: dict[str, list[OpportunityRow]] = defaultdict(list)
    for row in opportunity_rows(include_closed=False):
        if row.open_places:
            name = row.opportunity.area.name if row.opportunity.area else "Online"
            by_area[name].append(row)
    seats = [
        AreaSeats(name, sum(r.open_places for r in rows), rows) for name, rows in by_area.items()
    ]
    return sorted(seats, key=lambda s: (-s.open_places, s.area_name))
