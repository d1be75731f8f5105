"""An organizer's hand-picked venue: checked against the rules, with the venues worth offering.

A pick must keep the rules that protect people or the venue (active, open at the slot, a free
seat, step-free when needed); a pick that only bends a preference is allowed with a heads-up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from sqlalchemy import select

import matching
from community.extensions import db
from community.models import Match, MatchRound, User, Venue
from community.rounds.eligibility import members_for
from community.rounds.errors import BadAdjustment, RoundNotReady
from community.rounds.meeting_place import Place, apply, needs_room, needs_venue
from community.rounds.places import (
    CHOICES_SHOWN,
    Seats,
    access_needs,
    active_venues,
    as_library_match,
    plan_places,
    seated_users,
    seats_taken,
)
from community.rounds.rooms import room_place
from matching import venues as placing
from matching.feasibility import haversine_km

# --- rules for one venue and one meeting --------------------------------------------------


@dataclass
class VenueCheck:
    """Why a venue cannot take a meeting (``refusals``), and what it bends (``warnings``)."""

    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    farthest_km: float = 0.0


def check_venue(
    match: Match,
    venue: Venue,
    meeting: matching.Match,
    people: Mapping[int, matching.Member],
    *,
    walks: bool,
    taken: Seats,
    needs: tuple[set[int], set[int]],
    names: Mapping[int, str] | None = None,
) -> VenueCheck:
    check = VenueCheck()
    when = matching.slot_label(match.slot)
    if venue.retired_at is not None:
        check.refusals.append(f"{venue.name} has been retired.")
    if match.slot not in venue.slots:
        check.refusals.append(f"{venue.name} isn't open on {when}s, when this meeting is.")
    elif taken[(venue.id, match.slot)] >= venue.capacity:
        check.refusals.append(
            f"{venue.name} has no free seat on {when}s: it seats {venue.capacity} "
            f"meeting{'s' if venue.capacity != 1 else ''} at once and they are taken."
        )
    step_free, quiet = needs
    ids = list(meeting.member_ids)
    if any(u in step_free for u in ids) and not venue.step_free:
        check.refusals.append(
            f"{venue.name} isn't step-free, and someone in this meeting needs step-free access."
        )
    if any(u in quiet or (u in people and people[u].comfort <= placing.SHY_COMFORT) for u in ids):
        if venue.quietness != "quiet":
            check.warnings.append(
                f"{venue.name} isn't a quiet place ({venue.quietness_label.lower()}), "
                "and this meeting wants a quiet one."
            )
    if walks and not (venue.walk_start or venue.kind == "park_meeting_point"):
        check.warnings.append(f"{venue.name} isn't marked as a place to start a walk.")
    located = [people[u] for u in ids if u in people and people[u].location is not None]
    if located:
        here = np.radians([venue.latitude, venue.longitude])
        km = haversine_km(np.radians(np.array([p.location for p in located], dtype=float)), here)
        check.farthest_km = float(km.max())
        for person, distance in zip(located, km, strict=True):
            if distance > person.max_km:
                who = (names or {}).get(cast(int, person.id), "Someone")
                check.warnings.append(
                    f"{venue.name} is {distance:.1f} km from {who}, "
                    f"farther than the {person.max_km:g} km they said they would travel."
                )
    return check


def display_names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = list(user_ids)
    return dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )


def choose_venue(
    round_: MatchRound, match_id: int, venue_id: int
) -> tuple[Match, Venue, list[str]]:
    """An organizer picks the venue of one meeting; returns both with the rules it bends.

    Refuses (``BadAdjustment``) a venue that is unknown, retired, closed at the
    slot, full then, or has steps when someone needs step-free access.
    """
    if round_.status != "ready":
        raise RoundNotReady("Only a round waiting for approval can be adjusted.")
    match = db.session.get(Match, match_id) if 0 < match_id < 2**31 else None
    if match is None or match.round_id != round_.id:
        raise BadAdjustment("That meeting isn't in this round's proposal any more.")
    if match.kind == "placement":
        raise BadAdjustment("A volunteering placement meets at its opportunity, not at a venue.")
    if match.format != "in_person":
        raise BadAdjustment("This meeting is online: it gets a video room, not a venue.")
    venue = db.session.get(Venue, venue_id) if 0 < venue_id < 2**31 else None
    if venue is None:
        raise BadAdjustment("That venue isn't on the list. Please choose one from the menu.")
    user_ids = seated_users(match)
    people = members_for(user_ids)
    names = display_names(user_ids)
    check = check_venue(
        match,
        venue,
        as_library_match(match, user_ids),
        people,
        walks=round_.kind == "walks",
        taken=seats_taken(round_, besides=[match.id]),
        needs=access_needs(),
        names=names,
    )
    if check.refusals:
        raise BadAdjustment(" ".join(check.refusals))
    apply(match, Place(venue_id=venue.id))
    return match, venue, check.warnings


@dataclass(frozen=True)
class VenueChoice:
    venue_id: int
    label: str
    selected: bool = False


def venue_choices(
    round_: MatchRound, matches: Sequence[Match], seats: Mapping[int, Sequence[int]]
) -> dict[int, list[VenueChoice]]:
    """For each in-person match, the active venues it may be given by hand, nearest first.

    Only venues that pass the hard rules are offered; one that bends a
    preference says so in its label.
    """
    wanted = [m for m in matches if needs_venue(m)]
    if not wanted or round_.status != "ready":
        return {}
    venues = active_venues()
    people = members_for(u for m in wanted for u in seats.get(m.id, ()))
    taken = seats_taken(round_)
    needs = access_needs()
    walks = round_.kind == "walks"
    out: dict[int, list[VenueChoice]] = {}
    if not venues:
        return out
    where = np.radians([[v.latitude, v.longitude] for v in venues])
    opening = np.array([[v.slot_mask >> slot & 1 for slot in range(21)] for v in venues], bool)
    for match in wanted:
        own = Counter({(match.venue_id, match.slot): 1}) if match.venue_id else Counter()
        meeting = as_library_match(match, list(seats.get(match.id, ())))
        located = [people[u].location for u in meeting.member_ids if u in people]
        # Nearest first by the farthest member's distance; only the first few are checked.
        far = np.zeros(len(venues))
        if located and all(p is not None for p in located):
            spots = np.radians(np.array(located, dtype=float))
            far = haversine_km(spots[None, :, :], where[:, None, :]).max(axis=1)
        order = [int(j) for j in np.argsort(far, kind="stable") if opening[j, match.slot]]
        shown: list[VenueChoice] = []
        for j in order:
            venue = venues[j]
            if len(shown) >= CHOICES_SHOWN and venue.id != match.venue_id:
                continue
            check = check_venue(
                match, venue, meeting, people, walks=walks, taken=taken - own, needs=needs
            )
            if check.refusals:
                continue
            bends = " (bends a preference)" if check.warnings else ""
            label = f"{venue.name}, {check.farthest_km:.1f} km at most{bends}"
            shown.append(VenueChoice(venue.id, label, venue.id == match.venue_id))
            if len(shown) >= CHOICES_SHOWN and (
                not match.venue_id or any(c.selected for c in shown)
            ):
                break
        out[match.id] = shown
    return out


def replace_after_change(round_: MatchRound, matches: Iterable[Match]) -> list[str]:
    """After a move or removal: keep a venue that still suits everyone, else place again.

    Only the changed matches move; everyone else keeps their seat, so the
    changed match chooses among the seats left. When no venue suits everyone
    any more, the match keeps its venue if that still keeps the hard rules (as
    a venue picked by hand may), and the organizer is told what it bends.
    Returns a note for each match whose venue changed or now bends a rule.
    """
    changed = [m for m in matches if needs_venue(m) or needs_room(m)]
    notes: list[str] = []
    if not changed:
        return notes
    db.session.flush()
    for match in changed:
        db.session.refresh(match, ["members"])
    people = members_for(u for m in changed for u in seated_users(m))
    for match in changed:
        if needs_room(match):
            if not match.room_url:
                apply(match, room_place())
            continue
        meeting = as_library_match(match, seated_users(match))
        before = match.venue
        check = VenueCheck()
        if before is not None:
            check = check_venue(
                match,
                before,
                meeting,
                people,
                walks=round_.kind == "walks",
                taken=seats_taken(round_, besides=[match.id]),
                needs=access_needs(),
                names=display_names(meeting.member_ids),
            )
            if not check.refusals and not check.warnings:
                continue
        [place] = plan_places(
            [meeting],
            people,
            walks=round_.kind == "walks",
            venues=active_venues(),
            taken=seats_taken(round_, besides=[match.id]),
        )
        if place.venue_id is None and before is not None and not check.refusals:
            notes += [
                f"No venue suits everyone in a changed group, so it keeps {before.name}. {w}"
                for w in check.warnings
            ]
            continue
        apply(match, place)
        db.session.flush()
        after = db.session.get(Venue, place.venue_id) if place.venue_id else None
        was = f"{before.name} no longer suits everyone" if before else "it had no venue"
        if after is not None and after is not before:
            notes.append(f"A changed group now meets at {after.name}, as {was}.")
        elif after is None and before is not None:
            notes.append(
                f"A changed group has no venue now ({was}): {place.venue_problem}. "
                "Choose one by hand before approving."
            )
    return notes
