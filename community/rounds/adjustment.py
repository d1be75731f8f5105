"""An organizer's changes to a proposal: moving or removing people, with rules rechecked."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlalchemy import select

import matching
from community.extensions import db
from community.models import (
    Interest,
    Match,
    MatchMember,
    MatchRound,
    User,
)
from community.rounds.eligibility import members_for
from community.rounds.errors import BadAdjustment, RoundNotReady
from community.rounds.learning import round_vectorizer
from community.rounds.pair_rules import avoid_pairs, ordered
from community.rounds.venue_picks import replace_after_change
from matching import join_words

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
    changed = [target] + ([source] if source in round_.matches else [])
    rescore(round_, changed)
    warnings += replace_after_change(round_, changed)
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
        replace_after_change(round_, [source])
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
    name = db.session.get_one(User, user_id).display_name
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
    fitted on everyone in the proposal and, when the round was scored by the
    feedback model, rescaled by its learned weights, so they compare with the
    library's.
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
        everyone = [people[i] for i in ordered_ids]
        vectors = round_vectorizer(round_.quality, everyone).transform(everyone)
        row = {user_id: index for index, user_id in enumerate(ordered_ids)}
        for match in changed:
            rows = [row[s.user_id] for s in match.members if s.user_id in row]
            match.score = mean_pair_similarity(np.asarray(vectors)[rows])
            match.reason = shared_reason(
                [people[s.user_id] for s in match.members if s.user_id is not None], match.slot
            )
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
