"""Readable reasons built only from features the matched people really share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from .members import PARTS_OF_DAY, Member, Opportunity, slot_label

InterestNames = Mapping[int, str] | None


def interest_name(interest: int, names: InterestNames) -> str:
    """The caller's name for an interest id, or "interest #12"."""
    if names is not None and interest in names:
        return str(names[interest])
    return f"interest #{interest}"


def join_words(words: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _ranked_interests(counts: Counter, rarity: Mapping[int, float] | None) -> list[int]:
    # Rarer shared interests say more about why people fit, so they come first.
    return sorted(counts, key=lambda i: (-counts[i], -(rarity or {}).get(i, 0.0), i))


def slot_phrase(slot: int) -> str:
    """ "are free on Tuesday evenings"."""
    return f"are free on {slot_label(slot)}s"


def match_reason(
    members: Sequence[Member],
    slot: int,
    fmt: str,
    *,
    distance_km: float | None = None,
    rarity: Mapping[int, float] | None = None,
    interest_names: InterestNames = None,
    max_interests: int = 3,
) -> str:
    """Why these members were put together, e.g.

    "You both enjoy gardening and birdwatching, and are free on Saturday mornings".
    """
    k = len(members)
    everyone = "You both" if k == 2 else "You all"
    counts = Counter(i for m in members for i in m.interests)
    shared = Counter({i: c for i, c in counts.items() if c >= 2})
    ranked = _ranked_interests(shared, rarity)
    shared_all = [i for i in ranked if shared[i] == k]
    shared_some = [i for i in ranked if shared[i] < k]
    clauses: list[str] = []
    if shared_all:
        names = [interest_name(i, interest_names) for i in shared_all[:max_interests]]
        clauses.append(f"{everyone} enjoy {join_words(names)}")
    if shared_some and len(shared_all) < max_interests:
        names = [
            interest_name(i, interest_names) for i in shared_some[: max_interests - len(shared_all)]
        ]
        lead = "several of you" if clauses else "Several of you"
        clauses.append(f"{lead} enjoy {join_words(names)}")
    comforts = [m.comfort for m in members]
    if max(comforts) <= 2:
        quiet = "prefer a quiet start"
        clauses.append(quiet if clauses else f"{everyone} {quiet}")
    common_languages = frozenset.intersection(*(m.languages for m in members))
    other = sorted(common_languages - {"en"})
    if other and len(common_languages) >= 1:
        phrase = f"speak {join_words(other)}"
        clauses.append(phrase if clauses else f"{everyone} {phrase}")
    when = slot_phrase(slot)
    if fmt == "online":
        when += " to meet online"
    elif distance_km is not None:
        when += f" within {distance_km:.1f} km of each other"
    clauses.append(when if clauses else f"{everyone} {when}")
    paces = {m.pace for m in members}
    if len(paces) == 1 and None not in paces and k <= 3:
        clauses.insert(len(clauses) - 1, f"walk at a {paces.pop()} pace")
    if len(clauses) == 1:
        return clauses[0]
    return ", ".join(clauses[:-1]) + ", and " + clauses[-1]


def placement_reason(
    member: Member,
    opportunity: Opportunity,
    slot: int,
    *,
    distance_km: float | None,
    rarity: Mapping[int, float] | None = None,
    interest_names: InterestNames = None,
) -> str:
    """Why this volunteer suits this opportunity."""
    shared = sorted(
        member.interests & opportunity.interests, key=lambda i: (-(rarity or {}).get(i, 0.0), i)
    )
    where = "online" if opportunity.location is None else f"{distance_km:.1f} km from you"
    when = f"on {slot_label(slot)}s, {where}"
    if shared:
        names = join_words([interest_name(i, interest_names) for i in shared[:3]])
        return f"It draws on your interest in {names}, {when}"
    return f"It fits your availability {when}"


def slots_phrase(slots: frozenset[int]) -> str:
    """ "an evening slot", "a Saturday slot" or "any of their slots" for unplaced reasons."""
    if not slots:
        return "a slot (no availability given)"
    parts = {s % 3 for s in slots}
    days = {s // 3 for s in slots}
    if len(parts) == 1:
        part = PARTS_OF_DAY[parts.pop()]
        article = "an" if part[0] in "aeiou" else "a"
        return f"{article} {part} slot"
    if len(days) == 1:
        return f"a {slot_label(min(slots)).split()[0]} slot"
    return "any of their slots"
