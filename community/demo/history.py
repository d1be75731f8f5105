"""Ten weeks of demo history: approved rounds, answers, feedback and a few reports.

It gives the organizers' dashboard and care view real-looking figures from the
first run. Everything comes from one seeded random generator, so every developer
sees the same history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from numpy.random import Generator
from sqlalchemy import select

from community.extensions import db
from community.models import (
    Area,
    Feedback,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    Profile,
    Report,
    User,
    utcnow,
)
from community.rounds.schedule import match_meeting_at

# (weeks ago, kind): eight rounds over the last ten weeks.
SCHEDULE = [
    (9, "groups"),
    (8, "walks"),
    (7, "volunteering"),
    (5, "groups"),
    (4, "walks"),
    (3, "volunteering"),
    (2, "groups"),
    (1, "walks"),
]
SIZES = {"groups": (4, 6), "walks": (2, 3), "volunteering": (2, 12)}
HOURS = (10, 14, 19)
REPORT_REASONS = [
    "He kept talking over everyone and made jokes about my accent. I didn't feel welcome.",
    "She asked for my home address and phone number several times after I said no.",
    "They turned up very late, then spent the walk complaining about the group and the area.",
    "Made comments about my weight in front of the others. I left early.",
    "Kept messaging me afterwards even though I said I wasn't interested in meeting again.",
]
UNPLACED_REASONS = {
    "groups": "No group nearby shared a free time with them this week.",
    "walks": "No walking partner nearby with a matching pace and time.",
    "volunteering": "The placements that fit were full.",
}


T = TypeVar("T")


# Draws from the seeded generator that give back the Python objects themselves
# (never numpy scalars), so they can go straight into the database or JSON.
def pick(rng: Generator, items: Sequence[T]) -> T:
    """One item, each equally likely."""
    return items[int(rng.integers(len(items)))]


def pick_weighted(rng: Generator, items: Sequence[T], weights: Sequence[float]) -> T:
    """One item, chosen in proportion to its weight."""
    total = sum(weights)
    return items[int(rng.choice(len(items), p=[w / total for w in weights]))]


def pick_some(rng: Generator, items: Sequence[T], count: int) -> list[T]:
    """``count`` different items in random order."""
    return [items[int(i)] for i in rng.choice(len(items), size=count, replace=False)]


def between(rng: Generator, low: int, high: int) -> int:
    """A whole number from low to high, both included."""
    return int(rng.integers(low, high + 1))


def monday(weeks_ago: int, today: date) -> date:
    return today - timedelta(days=today.weekday(), weeks=weeks_ago)


def at(day: date, slot: int) -> datetime:
    meeting_day = day + timedelta(days=slot // 3)
    return datetime(
        meeting_day.year, meeting_day.month, meeting_day.day, HOURS[slot % 3], tzinfo=UTC
    )


def profile_of(user: User) -> Profile:
    """A placed demo member's profile: only members with one are ever picked."""
    if user.profile is None:
        raise ValueError(f"demo member {user.id} has no profile")
    return user.profile


def shared_slot(rng: Generator, profiles: list[Profile]) -> int:
    masks = [p.availability_mask or 0 for p in profiles]
    common = masks[0]
    for mask in masks[1:]:
        common &= mask
    pool = (
        [s for s in range(21) if common >> s & 1]
        or [s for s in range(21) if masks[0] >> s & 1]
        or [16]
    )
    return pick(rng, pool)


def reason_for(profiles: list[Profile], kind: str, opportunity: Opportunity | None) -> str:
    if opportunity is not None:
        return f"A good fit for your interests, and it runs when you're free ({opportunity.host})."
    shared = set.intersection(*({i.name for i in p.interests} for p in profiles))
    if shared:
        names = sorted(shared)[:2]
        return f"You all enjoy {' and '.join(n.lower() for n in names)}, and live close by."
    if kind == "walks":
        return "You live close to each other and like a similar walking pace."
    return "You live close by and share a free evening."


def chunk(rng: Generator, people: list, low: int, high: int) -> tuple[list[list], list]:
    """Split into groups between low and high; anyone who can't make a group is left over."""
    people = [people[int(i)] for i in rng.permutation(len(people))]
    groups: list[list] = []
    while len(people) >= low:
        size = min(between(rng, low, high), len(people))
        if len(people) - size and len(people) - size < low and len(people) <= high + low - 1:
            size = len(people) if len(people) <= high else size
        groups.append(people[:size])
        people = people[size:]
    return groups, people


def seed_history(rng: Generator, organizer: User, today: date | None = None) -> None:
    """Add the past rounds. Call after the members and opportunities exist."""
    today = today or date.today()
    now = utcnow()
    users = list(
        db.session.execute(select(User).where(User.role == "member").order_by(User.id)).scalars()
    )
    area_ids = list(db.session.execute(select(Area.id).order_by(Area.id)).scalars())
    opportunities = list(db.session.execute(select(Opportunity).order_by(Opportunity.id)).scalars())
    wants = {
        "groups": lambda p: p.wants_groups,
        "walks": lambda p: p.wants_walks,
        "volunteering": lambda p: p.wants_volunteering,
    }
    ready = [
        u
        for u in users
        if u.is_verified and u.profile and u.profile.consent_at and u.profile.area_id
    ]
    # A few members whose profile makes them hard to place: left out round after round.
    group_lovers = [u for u in ready if profile_of(u).wants_groups]
    hard_to_place = {u.id for u in pick_some(rng, group_lovers, 7)}
    accepted_by_user: dict[int, list[tuple[Match, MatchMember]]] = defaultdict(list)
    report_candidates: list[Match] = []

    for number, (weeks_ago, kind) in enumerate(SCHEDULE):
        week = monday(weeks_ago, today)
        approved_at = datetime(week.year, week.month, week.day, 9, tzinfo=UTC) - timedelta(days=2)
        eligible = [
            u
            for u in ready
            if wants[kind](u.profile) and u.created_at.replace(tzinfo=UTC) < approved_at
        ]
        left_out = [u for u in eligible if u.id in hard_to_place or rng.random() < 0.1]
        # Compare ids: Flask-Login's UserMixin makes users equal by login id.
        left_ids = {u.id for u in left_out}
        placing = [u for u in eligible if u.id not in left_ids]
        low, high = SIZES[kind]
        round_ = MatchRound(
            kind=kind,
            status="approved",
            area_ids=area_ids,
            min_size=low,
            max_size=high,
            week_start=week,
            random_state=number,
            progress=100,
            progress_message="Done",
            created_by_id=organizer.id,
            created_at=approved_at - timedelta(hours=2),
            approved_by_id=organizer.id,
            approved_at=approved_at,
        )
        db.session.add(round_)
        teams: list[tuple[list[User], Opportunity | None]] = []
        if kind == "volunteering":
            seats = {o.id: o.capacity for o in opportunities}
            for user in placing:
                fits = [
                    o
                    for o in opportunities
                    if seats[o.id]
                    and o.min_comfort <= (profile_of(user).comfort or 1)
                    and (o.area_id in (None, profile_of(user).area_id))
                ]
                if not fits:
                    left_out.append(user)
                    continue
                choice = pick(rng, fits)
                seats[choice.id] -= 1
                for team, opportunity in teams:
                    if opportunity is choice:
                        team.append(user)
                        break
                else:
                    teams.append(([user], choice))
        else:
            by_area: dict[int, list[User]] = defaultdict(list)
            for user in placing:
                area_id = profile_of(user).area_id
                if area_id is not None:  # ready members all have an area; for mypy
                    by_area[area_id].append(user)
            for area_id in sorted(by_area):
                groups, spare = chunk(rng, by_area[area_id], low, high)
                teams.extend((group, None) for group in groups)
                left_out.extend(spare)
        scores = []
        for team, opportunity in teams:
            profiles = [profile_of(u) for u in team]
            slot = shared_slot(rng, profiles)
            score = round(float(rng.uniform(0.52, 0.9)), 3)
            scores.append(score)
            match = Match(
                round=round_,
                kind=kind,
                status="active",
                slot=slot,
                format="in_person" if opportunity is None or opportunity.area_id else "online",
                score=score,
                reason=reason_for(profiles, kind, opportunity),
                area_id=opportunity.area_id if opportunity else profiles[0].area_id,
                opportunity_id=opportunity.id if opportunity else None,
                meeting_at=at(week, slot),
                recurring=kind != "volunteering",
                created_at=approved_at,
            )
            db.session.add(match)
            for user in team:
                status = pick_weighted(rng, ["accepted", "declined", "invited"], [70, 13, 17])
                member = MatchMember(
                    match=match,
                    user_id=user.id,
                    status=status,
                    invited_at=approved_at,
                    responded_at=(
                        approved_at + timedelta(hours=between(rng, 2, 60))
                        if status != "invited"
                        else None
                    ),
                )
                db.session.add(member)
                if status == "accepted":
                    accepted_by_user[user.id].append((match, member))
            if kind == "groups" and match_meeting_at(match) < now:
                report_candidates.append(match)
        placed = sum(len(team) for team, _ in teams)
        mean = sum(scores) / len(scores) if scores else 0
        round_.quality = {
            "placed": placed,
            "eligible": len(eligible),
            "mean_score": round(mean, 3),
            "bound": round(min(mean * 1.12, 1.0), 3),
            "ratio": round(mean / min(mean * 1.12, 1.0), 3) if mean else 0,
        }
        round_.unplaced = [{"user_id": u.id, "reason": UNPLACED_REASONS[kind]} for u in left_out]
    db.session.flush()
    seed_feedback(rng, accepted_by_user, now)
    seed_reports(rng, report_candidates, now)


def seed_feedback(
    rng: Generator,
    accepted_by_user: dict[int, list[tuple[Match, MatchMember]]],
    now: datetime,
) -> None:
    """Most who met tell us how it felt; a few found their last two meetings draining."""
    given: dict[int, list[Feedback]] = defaultdict(list)
    for user_id, memberships in accepted_by_user.items():
        for match, _member in memberships:
            if match.meeting_at is None or match.meeting_at > now or rng.random() > 0.8:
                continue
            met = rng.random() < 0.88
            # Sharing a kind of interest with someone there makes a warm meeting likelier,
            # so the feedback model has a real pattern to find in the demo.
            weights = [72, 21, 7] if shares_a_topic(match, user_id) else [52, 33, 15]
            feeling = (
                pick_weighted(rng, ["nurturing", "neutral", "draining"], weights) if met else None
            )
            feedback = Feedback(
                match_id=match.id,
                user_id=user_id,
                met=met,
                feeling=feeling,
                wants_new_people=rng.random() < 0.2,
                created_at=min(match_meeting_at(match) + timedelta(days=between(rng, 1, 3)), now),
            )
            db.session.add(feedback)
            given[user_id].append(feedback)
    twice = [user_id for user_id, items in sorted(given.items()) if len(items) >= 2]
    for user_id in pick_some(rng, twice, min(4, len(twice))):
        for feedback in sorted(given[user_id], key=lambda f: f.created_at)[-2:]:
            feedback.met = True
            feedback.feeling = "draining"


def shares_a_topic(match: Match, user_id: int) -> bool:
    """Whether the member has an interest category in common with another member there."""
    topics: dict[int, set[str]] = {
        m.user_id: {i.category for i in m.user.profile.interests}
        for m in match.members
        if m.user_id is not None and m.user is not None and m.user.profile is not None
    }
    mine = topics.get(user_id, set())
    return any(mine & theirs for other, theirs in topics.items() if other != user_id)


def seed_reports(rng: Generator, matches: list[Match], now: datetime) -> None:
    """A handful of open reports, each between two people who were in the same group."""
    for match, reason in zip(
        pick_some(rng, matches, min(4, len(matches))), REPORT_REASONS, strict=False
    ):
        people = [m.user_id for m in match.members if m.user_id is not None]
        if len(people) < 2:
            continue
        reporter, reported = pick_some(rng, people, 2)
        db.session.add(
            Report(
                reporter_id=reporter,
                reported_user_id=reported,
                match_id=match.id,
                reason=reason,
                status="open",
                created_at=min(match_meeting_at(match) + timedelta(days=between(rng, 1, 4)), now),
            )
        )
