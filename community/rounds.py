"""Matching rounds: who is eligible, running the library, adjusting and approving.

Views call these and commit. The matching library only ever sees plain
``matching.Member`` / ``matching.Opportunity`` dataclasses built here.
"""

from __future__ import annotations

import math
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import aliased

import matching
from community.extensions import db
from community.models import (
    Area,
    Block,
    Feedback,
    FeedbackPerson,
    Interest,
    Match,
    MatchMember,
    MatchRound,
    Opportunity,
    Profile,
    Report,
    User,
    member_interests,
    utcnow,
)
from community.models.rounds import KINDS

KIND_LABELS = {
    "groups": "Small groups",
    "walks": "Walking partners",
    "volunteering": "Volunteering",
}
# Morning, afternoon and evening meetings start at these local hours.
DAY_PART_HOURS = (10, 14, 19)
Progress = Callable[[int, str], None]


class RoundError(Exception):
    """A round cannot do what was asked; the message is for the organizer."""


class RoundNotReady(RoundError):
    """The round is still computing, failed, or was approved already."""


class AlreadyApproved(RoundNotReady):
    """Someone approved this round first (a double click, or a second organizer)."""


class BadAdjustment(RoundError):
    """A move or removal that does not fit the round's proposal."""


def new_nonce() -> str:
    """Part of every response link; a new one makes the old link useless."""
    return secrets.token_hex(8)


# --- time ------------------------------------------------------------------------------


def community_timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("COMMUNITY_TIMEZONE", "Europe/London"))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def next_monday(today: date | None = None) -> date:
    today = today or date.today()
    return monday_of(today) + timedelta(days=7)


def meeting_time(week_start: date, slot: int, tz: ZoneInfo | None = None) -> datetime:
    """The concrete start of a weekly slot in the round's week, stored in UTC."""
    weekday, part = divmod(slot, 3)
    local = datetime.combine(
        week_start + timedelta(days=weekday), time(DAY_PART_HOURS[part]), tzinfo=tz or UTC
    )
    return local.astimezone(UTC)


def local_time(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(community_timezone())


def when_words(moment: datetime) -> str:
    """ "Tuesday 24 November at 7pm", in the community's own time zone."""
    local = local_time(moment)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{local:%A} {local.day} {local:%B} at {hour}{minutes}{suffix}"


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


# --- who should (not) meet -------------------------------------------------------------


def ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def avoid_pairs() -> set[tuple[int, int]]:
    """Pairs never to match: blocks, "draining" or "not again" feedback, reports."""
    pairs: set[tuple[int, int]] = set()
    for blocker, blocked in db.session.execute(select(Block.blocker_id, Block.blocked_id)):
        pairs.add(ordered(blocker, blocked))
    not_again = select(Feedback.user_id, FeedbackPerson.about_user_id).join(
        FeedbackPerson, FeedbackPerson.feedback_id == Feedback.id
    )
    for giver, about in db.session.execute(not_again.where(FeedbackPerson.again.is_(False))):
        if giver is not None and giver != about:
            pairs.add(ordered(giver, about))
    # "Draining" is said of a whole meeting: keep the member apart from everyone in it.
    other = aliased(MatchMember)
    draining = (
        select(Feedback.user_id, other.user_id)
        .join(other, other.match_id == Feedback.match_id)
        .where(Feedback.feeling == "draining", other.user_id != Feedback.user_id)
    )
    for giver, about in db.session.execute(draining):
        if giver is not None and about is not None:
            pairs.add(ordered(giver, about))
    reports = select(Report.reporter_id, Report.reported_user_id).where(
        Report.reporter_id.is_not(None), Report.reported_user_id.is_not(None)
    )
    for reporter, reported in db.session.execute(reports):
        if reporter != reported:
            pairs.add(ordered(reporter, reported))
    return pairs


def prefer_pairs() -> set[tuple[int, int]]:
    """Pairs who both asked to meet again (a small nudge; never bends a rule).

    Continuity yields to a member who asked to meet new people next time.
    """
    rows = db.session.execute(
        select(Feedback.user_id, FeedbackPerson.about_user_id)
        .join(FeedbackPerson, FeedbackPerson.feedback_id == Feedback.id)
        .where(FeedbackPerson.again.is_(True))
    )
    wants_again = {(a, b) for a, b in rows if a is not None and a != b}
    new_people = set(
        db.session.execute(
            select(Feedback.user_id).where(Feedback.wants_new_people.is_(True))
        ).scalars()
    )
    mutual = {
        ordered(a, b) for a, b in wants_again if (b, a) in wants_again and not {a, b} & new_people
    }
    return mutual - avoid_pairs()


# --- starting and running a round ------------------------------------------------------


def start_round(
    *,
    kind: str,
    area_ids: Iterable[int],
    min_size: int,
    max_size: int,
    week_start: date,
    random_state: int = 0,
    created_by: User | None = None,
) -> MatchRound:
    """A new draft round; the caller commits, then runs it (see ``round_runner``)."""
    if kind not in KINDS:
        raise RoundError("Please choose small groups, walking partners or volunteering.")
    if not 2 <= min_size <= max_size <= 12:
        raise RoundError("The group size range must lie between 2 and 12, smallest first.")
    area_ids = sorted(set(area_ids))
    known = set(db.session.execute(select(Area.id).where(Area.id.in_(area_ids))).scalars())
    if known != set(area_ids):
        raise RoundError("One of the areas isn't on the list any more. Please choose again.")
    round_ = MatchRound(
        kind=kind,
        area_ids=area_ids,
        min_size=min_size,
        max_size=max_size,
        week_start=monday_of(week_start),
        random_state=random_state,
        created_by_id=created_by.id if created_by else None,
        status="draft",
        progress_message="Waiting to start",
    )
    db.session.add(round_)
    return round_


def change_settings(
    round_: MatchRound,
    *,
    area_ids: Iterable[int],
    min_size: int,
    max_size: int,
    week_start: date,
    random_state: int,
) -> None:
    """Rerun with other settings: only before approval."""
    if round_.status in ("approved", "running"):
        raise RoundNotReady("This round can't be changed now.")
    if not 2 <= min_size <= max_size <= 12:
        raise RoundError("The group size range must lie between 2 and 12, smallest first.")
    round_.area_ids = sorted(set(area_ids))
    round_.min_size = min_size
    round_.max_size = max_size
    round_.week_start = monday_of(week_start)
    round_.random_state = random_state
    round_.status = "draft"
    round_.progress = 0
    round_.progress_message = "Waiting to start"


def fail_stalled(rounds_: Iterable[MatchRound], now: datetime | None = None) -> list[int]:
    """Mark failed the running rounds that have reported no progress for a while.

    The process running a round can be stopped part-way (a deploy, a killed worker);
    its round would stay "running" for good, and a running round cannot be rerun.
    A round reports progress at every step, so one silent for ``ROUND_STALL_SECONDS``
    (15 minutes by default) has lost its worker. The update re-checks the time in
    the database, so a report that lands meanwhile keeps the round running.
    Returns the ids marked; the caller commits.
    """
    seconds = current_app.config["ROUND_STALL_SECONDS"]
    cutoff = (now or utcnow()) - timedelta(seconds=seconds)
    marked = []
    for round_ in rounds_:
        last = round_.progress_at or round_.created_at
        if round_.status != "running" or last >= cutoff:
            continue
        silent = or_(
            MatchRound.progress_at < cutoff,
            MatchRound.progress_at.is_(None) & (MatchRound.created_at < cutoff),
        )
        changed = db.session.execute(
            update(MatchRound)
            .where(MatchRound.id == round_.id, MatchRound.status == "running", silent)
            .values(
                status="failed",
                progress_message="The matching stopped without finishing",
                error=(
                    f"It reported no progress for {max(1, seconds // 60)} minutes: the process "
                    "running it was probably restarted."
                ),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            db.session.expire(round_)
            marked.append(round_.id)
    return marked


def compute_round(round_: MatchRound, progress: Progress | None = None) -> None:
    """Run the matching library and store its proposal; the caller commits."""

    def report(percent: int, message: str) -> None:
        if progress:
            progress(percent, message)

    report(5, "Finding eligible members")
    people = eligible_members(round_)
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    avoid = avoid_pairs()
    report(20, f"Matching {len(people.members)} members")
    opportunities: list[Opportunity] = []
    if round_.kind == "groups":
        result = matching.group_members(
            people.members,
            min_size=round_.min_size,
            max_size=round_.max_size,
            avoid=avoid,
            prefer=prefer_pairs(),
            random_state=round_.random_state,
            interest_names=names,
        )
    elif round_.kind == "walks":
        result = matching.pair_walkers(
            people.members,
            avoid=avoid,
            prefer=prefer_pairs(),
            random_state=round_.random_state,
            interest_names=names,
        )
    else:
        opportunities = open_opportunities(round_.area_ids or [])
        result = matching.assign_volunteers(
            people.members,
            [to_opportunity(o) for o in opportunities],
            avoid=avoid,
            random_state=round_.random_state,
            interest_names=names,
        )
    report(80, "Saving the proposal")
    store_proposal(round_, result, people, {o.id: o for o in opportunities})
    report(100, "Ready to preview")


def store_proposal(
    round_: MatchRound,
    result: matching.MatchingResult,
    people: EligiblePeople,
    opportunities: dict[int, Opportunity],
) -> None:
    """Replace the round's proposal in bulk: one insert for matches, one for members."""
    db.session.execute(delete(Match).where(Match.round_id == round_.id))
    tz = community_timezone()
    rows: list[dict[str, Any]] = []
    member_lists: list[list[int]] = []
    if round_.kind == "volunteering":
        # One match per opportunity and slot: everyone in it meets at the same time.
        placed: dict[tuple[Any, int], list] = defaultdict(list)
        for m in result.matches:
            placed[(m.opportunity_id, m.slot)].append(m)
        groups = [(items[0], [i for m in items for i in m.member_ids]) for items in placed.values()]
    else:
        groups = [(m, list(m.member_ids)) for m in result.matches]
    for m, member_ids in groups:
        opportunity = opportunities.get(m.opportunity_id) if m.opportunity_id else None
        if opportunity is not None:
            area_id = opportunity.area_id
        elif m.format == "in_person":
            area_id = Counter(people.areas.get(i) for i in member_ids).most_common(1)[0][0]
        else:
            area_id = None
        rows.append(
            {
                "round_id": round_.id,
                "kind": m.kind,
                "status": "proposed",
                "slot": m.slot,
                "format": m.format,
                "score": float(m.score),
                "reason": m.reason,
                "area_id": area_id,
                "opportunity_id": opportunity.id if opportunity else None,
                "meeting_at": meeting_time(round_.week_start, m.slot, tz),
                "recurring": round_.kind == "walks",
            }
        )
        member_lists.append(member_ids)
    if rows:
        match_ids = db.session.execute(
            insert(Match).returning(Match.id, sort_by_parameter_order=True), rows
        ).scalars()
        member_rows = [
            {
                "match_id": match_id,
                "user_id": user_id,
                "status": "proposed",
                "token_nonce": new_nonce(),
            }
            for match_id, user_ids in zip(match_ids, member_lists, strict=True)
            for user_id in user_ids
        ]
        db.session.execute(insert(MatchMember), member_rows)
    placed_count = sum(len(ids) for ids in member_lists)
    round_.unplaced = [{"user_id": u.member_id, "reason": u.reason} for u in result.unplaced]
    round_.quality = {
        "mean_score": round(float(result.quality.mean_similarity), 4),
        "bound": round(float(result.quality.bound), 4),
        "ratio": round(float(result.quality.ratio), 4),
        "eligible": len(people.members),
        "placed": placed_count,
        "matches": len(rows),
    }
    round_.status = "ready"
    round_.progress = 100
    round_.progress_message = "Ready to preview"
    round_.error = ""
    db.session.expire(round_, ["matches"])


# --- adjusting a proposal ---------------------------------------------------------------


def proposed_member(round_: MatchRound, match_member_id: int) -> MatchMember:
    seat = db.session.get(MatchMember, match_member_id)
    if seat is None or seat.match.round_id != round_.id:
        raise BadAdjustment("That member isn't in this round's proposal any more.")
    return seat


def require_editable(round_: MatchRound) -> None:
    if round_.status != "ready":
        raise RoundNotReady("Only a round waiting for approval can be adjusted.")


def match_number(round_: MatchRound, number: int) -> Match:
    """Matches are numbered 1..n on the preview, in id order."""
    matches = round_.matches
    if not 1 <= number <= len(matches):
        raise BadAdjustment(f"There is no group {number}; choose 1 to {len(matches)}.")
    return matches[number - 1]


def move_member(round_: MatchRound, match_member_id: int, target: Match) -> list[str]:
    """Move someone to another match; returns warnings about rules the move bends."""
    require_editable(round_)
    seat = proposed_member(round_, match_member_id)
    source = seat.match
    if target.round_id != round_.id:
        raise BadAdjustment("That group belongs to another round.")
    if target.id == source.id:
        raise BadAdjustment("They are already in that group.")
    seat.match = target
    db.session.flush()
    warnings = bending_rules(seat.user_id, target)
    leftover = dissolve_if_too_small(round_, source)
    if leftover:
        warnings.append(leftover)
    rescore(round_, [target] + ([source] if source in round_.matches else []))
    return warnings


def remove_member(round_: MatchRound, match_member_id: int) -> str | None:
    """Take someone out of the proposal; they join the left-out list with the reason."""
    require_editable(round_)
    seat = proposed_member(round_, match_member_id)
    source = seat.match
    source.members.remove(seat)
    db.session.delete(seat)
    round_.unplaced = [
        *round_.unplaced,
        {"user_id": seat.user_id, "reason": "removed from the proposal by an organizer"},
    ]
    db.session.flush()
    note = dissolve_if_too_small(round_, source)
    if source in round_.matches:
        rescore(round_, [source])
    else:
        rescore(round_, [])
    return note


def dissolve_if_too_small(round_: MatchRound, match: Match) -> str | None:
    """A group of one is not a group: its last member goes to the left-out list."""
    db.session.refresh(match, ["members"])
    if len(match.members) >= 2 or match.kind == "placement":
        if not match.members:
            round_.matches.remove(match)
            db.session.delete(match)
        return None
    left = [s.user_id for s in match.members]
    round_.unplaced = [
        *round_.unplaced,
        *({"user_id": u, "reason": "their group became too small after a change"} for u in left),
    ]
    round_.matches.remove(match)
    db.session.delete(match)
    db.session.flush()
    return "A group was left with one person; they are now on the left-out list."


def bending_rules(user_id: int | None, match: Match) -> list[str]:
    """Plain warnings when a hand-made move breaks a rule the library keeps."""
    if user_id is None:
        return []
    people = members_for([s.user_id for s in match.members if s.user_id is not None])
    me = people.get(user_id)
    name = db.session.get(User, user_id).display_name
    warnings: list[str] = []
    if me is None:
        return warnings
    if match.slot not in me.slots:
        warnings.append(f"{name} isn't free on {matching.slot_label(match.slot)}s.")
    if match.format == "in_person" and me.format == "online":
        warnings.append(f"{name} asked to meet online only.")
    if match.format == "online" and me.format == "in_person":
        warnings.append(f"{name} asked to meet in person only.")
    avoid = avoid_pairs()
    if any(ordered(user_id, other) in avoid for other in people if other != user_id):
        warnings.append(f"{name} should not meet someone in this group.")
    return warnings


def rescore(round_: MatchRound, changed: list[Match]) -> None:
    """Recompute the changed matches' scores and the round's quality figures.

    Scores are mean cosine similarities of the library's own profile vectors,
    fitted on everyone in the proposal, so they compare with the library's.
    """
    db.session.flush()
    seats = db.session.execute(
        select(MatchMember.match_id, MatchMember.user_id)
        .join(Match, Match.id == MatchMember.match_id)
        .where(Match.round_id == round_.id)
    ).all()
    people = members_for(u for _, u in seats if u is not None)
    if changed and people and round_.kind != "volunteering":
        ordered_ids = sorted(people)
        vectors = matching.ProfileVectorizer().fit_transform([people[i] for i in ordered_ids])
        row = {user_id: index for index, user_id in enumerate(ordered_ids)}
        for match in changed:
            rows = [row[s.user_id] for s in match.members if s.user_id in row]
            match.score = mean_pair_similarity(np.asarray(vectors)[rows])
            match.reason = shared_reason([people[s.user_id] for s in match.members], match.slot)
    db.session.flush()
    sizes = Counter(match_id for match_id, _ in seats)
    scores = dict(
        db.session.execute(select(Match.id, Match.score).where(Match.round_id == round_.id)).all()
    )
    placed = sum(sizes.values())
    mean = sum(scores[m] * n for m, n in sizes.items()) / placed if placed else 0.0
    quality = dict(round_.quality or {})
    bound = quality.get("bound") or 0.0
    quality.update(
        mean_score=round(mean, 4),
        ratio=round(mean / bound, 4) if bound else 0.0,
        placed=placed,
        matches=len(sizes),
    )
    round_.quality = quality


def mean_pair_similarity(vectors: np.ndarray) -> float:
    n = len(vectors)
    if n < 2:
        return 0.0
    total = vectors.sum(axis=0)
    per_member = (vectors @ total - (vectors * vectors).sum(axis=1)) / (n - 1)
    return float(per_member.mean())


def shared_reason(people: list[matching.Member], slot: int) -> str:
    """A reason for a hand-adjusted group, from what its members really share."""
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    counts = Counter(i for p in people for i in p.interests)
    everyone = "You both" if len(people) == 2 else "You all"
    common = sorted((names[i] for i, n in counts.items() if n == len(people) and i in names))
    some = sorted((names[i] for i, n in counts.items() if 2 <= n < len(people) and i in names))
    when = f"free on {matching.slot_label(slot)}s"
    if common:
        return f"{everyone} enjoy {join_words(common[:3])} (adjusted by an organizer)"
    if some:
        return f"Several of you enjoy {join_words(some[:3])} (adjusted by an organizer)"
    return f"Adjusted by an organizer; the group is {when}"


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


# --- approving -------------------------------------------------------------------------


def approve_round(round_: MatchRound, approver: User) -> int:
    """Make the proposal real and queue one invitation per member per match.

    Approval is a conditional update (status ready -> approved), so of two
    organizers clicking at once exactly one wins; the loser gets AlreadyApproved
    and nothing else is written. Returns how many invitations were queued.
    """
    from community.invitations import queue_round_invitations

    now = utcnow()
    won = db.session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_.id, MatchRound.status == "ready")
        .values(status="approved", approved_at=now, approved_by_id=approver.id)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        db.session.rollback()
        current = db.session.get(MatchRound, round_.id)
        if current is not None and current.status == "approved":
            raise AlreadyApproved("This round was already approved; invitations are on their way.")
        raise RoundNotReady("This round isn't ready to approve.")
    round_ids = select(Match.id).where(Match.round_id == round_.id)
    db.session.execute(
        update(Match)
        .where(Match.round_id == round_.id, Match.status == "proposed")
        .values(status="active")
        .execution_options(synchronize_session=False)
    )
    unsubscribed = select(User.id).where(User.unsubscribed_at.is_not(None))
    # Anyone who unsubscribed since the preview silently frees their place.
    db.session.execute(
        update(MatchMember)
        .where(
            MatchMember.match_id.in_(round_ids),
            MatchMember.status == "proposed",
            MatchMember.user_id.in_(unsubscribed),
        )
        .values(status="released", responded_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(MatchMember)
        .where(MatchMember.match_id.in_(round_ids), MatchMember.status == "proposed")
        .values(status="invited", invited_at=now)
        .execution_options(synchronize_session=False)
    )
    queued = queue_round_invitations(round_.id)
    db.session.expire_all()
    return queued


# --- reading a round for its pages ------------------------------------------------------


@dataclass
class SeatView:
    seat_id: int
    user_id: int | None
    name: str
    status: str


@dataclass
class MatchView:
    number: int
    match: Match
    seats: list[SeatView]
    shared: list[str]
    slot_label: str
    place: str
    counts: dict[str, int] = field(default_factory=dict)


PAGE_SIZE = 60


def count_matches(round_: MatchRound) -> int:
    return db.session.execute(
        select(func.count(Match.id)).where(Match.round_id == round_.id)
    ).scalar_one()


def round_matches(round_: MatchRound, page: int = 1, per_page: int = PAGE_SIZE) -> list[MatchView]:
    """One page of matches with members' display names and shared interests, in few queries.

    Matches keep their numbers (1..n over the whole round) across pages, so
    "move to group 57" means the same group on every page.
    """
    offset = (max(page, 1) - 1) * per_page
    matches = list(
        db.session.execute(
            select(Match)
            .where(Match.round_id == round_.id)
            .order_by(Match.id)
            .offset(offset)
            .limit(per_page)
        ).scalars()
    )
    page_ids = [m.id for m in matches]
    seats = db.session.execute(
        select(
            MatchMember.id,
            MatchMember.match_id,
            MatchMember.user_id,
            MatchMember.status,
            User.display_name,
        )
        .outerjoin(User, User.id == MatchMember.user_id)
        .where(MatchMember.match_id.in_(page_ids))
        .order_by(MatchMember.id)
    ).all()
    interests = interests_by_user({seat.user_id for seat in seats if seat.user_id is not None})
    names = {i.id: i.name for i in db.session.execute(select(Interest)).scalars()}
    areas = {a.id: a.name for a in db.session.execute(select(Area)).scalars()}
    opportunities = {
        o.id: o.title
        for o in db.session.execute(
            select(Opportunity).where(
                Opportunity.id.in_({m.opportunity_id for m in matches if m.opportunity_id})
            )
        ).scalars()
    }
    by_match: dict[int, list[SeatView]] = defaultdict(list)
    for seat_id, match_id, user_id, status, name in seats:
        by_match[match_id].append(SeatView(seat_id, user_id, name or "A former member", status))
    views = []
    for number, match in enumerate(matches, start=offset + 1):
        people = by_match.get(match.id, [])
        counts = Counter(interest for s in people for interest in interests.get(s.user_id, ()))
        shared = sorted(names[i] for i, n in counts.items() if n >= 2 and i in names)
        if match.opportunity_id:
            place = opportunities.get(match.opportunity_id, "Volunteering")
            if match.area_id:
                place += f", {areas.get(match.area_id, '')}"
        elif match.format == "online":
            place = "Online"
        else:
            place = areas.get(match.area_id, "In person")
        views.append(
            MatchView(
                number=number,
                match=match,
                seats=people,
                shared=shared,
                slot_label=matching.slot_label(match.slot),
                place=place,
                counts=dict(Counter(s.status for s in people)),
            )
        )
    return views


def unplaced_people(round_: MatchRound) -> list[dict[str, Any]]:
    ids = [item["user_id"] for item in round_.unplaced or []]
    names = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )
    return [
        {
            "user_id": item["user_id"],
            "name": names.get(item["user_id"], "A former member"),
            "reason": item["reason"],
        }
        for item in round_.unplaced or []
    ]


def response_totals(round_: MatchRound) -> dict[str, int]:
    rows = db.session.execute(
        select(MatchMember.status, func.count())
        .join(Match, Match.id == MatchMember.match_id)
        .where(Match.round_id == round_.id)
        .group_by(MatchMember.status)
    ).all()
    return {status: count for status, count in rows}


def recent_rounds(limit: int = 50) -> list[MatchRound]:
    return list(
        db.session.execute(
            select(MatchRound)
            .order_by(MatchRound.created_at.desc(), MatchRound.id.desc())
            .limit(limit)
        ).scalars()
    )


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def areas_label(round_: MatchRound) -> str:
    if not round_.area_ids:
        return "All areas"
    names = dict(
        db.session.execute(select(Area.id, Area.name).where(Area.id.in_(round_.area_ids))).all()
    )
    return ", ".join(names[i] for i in round_.area_ids if i in names)
