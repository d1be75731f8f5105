"""Starting a round, running the matching library, and storing what it proposes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, or_, select, update

import matching
from community.extensions import db, rowcount
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
from community.models.rounds import KINDS
from community.rounds.eligibility import (
    EligiblePeople,
    eligible_members,
    open_opportunities,
    to_opportunity,
)
from community.rounds.errors import RoundError, RoundNotReady
from community.rounds.learning import LEARNING_KINDS
from community.rounds.pair_rules import avoid_pairs, prefer_pairs
from community.rounds.places import place_proposal
from community.rounds.schedule import community_timezone, meeting_time, monday_of, new_nonce
from community.rounds.trained_model import model_for_round

Progress = Callable[[int, str], None]


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
        changed = rowcount(
            db.session.execute(
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
            )
        )
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
    # Every kind learns from past groups and walks; volunteering weighs interests by it.
    # The model trained when the feedback arrived is reused while it is fresh.
    learned = model_for_round(people.members)
    vectorizer = learned.vectorizer
    result: matching.GroupingResult | matching.PairingResult | matching.AssignmentResult
    if round_.kind == "groups":
        result = matching.group_members(
            people.members,
            min_size=round_.min_size,
            max_size=round_.max_size,
            avoid=avoid,
            prefer=prefer_pairs(),
            random_state=round_.random_state,
            interest_names=names,
            vectorizer=vectorizer,
        )
    elif round_.kind == "walks":
        result = matching.pair_walkers(
            people.members,
            avoid=avoid,
            prefer=prefer_pairs(),
            random_state=round_.random_state,
            interest_names=names,
            vectorizer=vectorizer,
        )
    else:
        opportunities = open_opportunities(round_.area_ids or [])
        result = matching.assign_volunteers(
            people.members,
            [to_opportunity(o) for o in opportunities],
            avoid=avoid,
            random_state=round_.random_state,
            interest_names=names,
            vectorizer=vectorizer,
        )
    report(80, "Saving the proposal")
    store_proposal(round_, result, people, {o.id: o for o in opportunities})
    if round_.kind in LEARNING_KINDS or vectorizer is not None:
        round_.quality = {**round_.quality, "model": learned.record}
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
    places = place_proposal(round_, [m for m, _ in groups], people.members)
    for row, place in zip(rows, places, strict=True):
        row.update(
            venue_id=place.venue_id, venue_problem=place.venue_problem, room_url=place.room_url
        )
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
