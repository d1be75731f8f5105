"""Hypothesis strategies for small communities and checkers for every hard rule."""

from __future__ import annotations

import math
from itertools import combinations

from hypothesis import strategies as st

from matching import Member, Opportunity

PACE_ORDER = {"gentle": 0, "steady": 1, "brisk": 2}
CENTRE = (53.80, -1.55)


def km_between(a, b) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


locations = st.one_of(
    st.none(),
    st.tuples(
        st.floats(CENTRE[0] - 0.04, CENTRE[0] + 0.04), st.floats(CENTRE[1] - 0.06, CENTRE[1] + 0.06)
    ),
)


@st.composite
def members_strategy(draw, min_n=0, max_n=30):
    n = draw(st.integers(min_n, max_n))
    out = []
    for i in range(n):
        fmt = draw(st.sampled_from(["in_person", "online", "either"]))
        loc = draw(locations)
        if fmt == "in_person" and draw(st.booleans()):
            loc = loc or CENTRE
        out.append(
            Member(
                id=f"m{i}",
                interests=draw(st.frozensets(st.integers(0, 11), max_size=5)),
                comfort=draw(st.integers(1, 5)),
                setting=draw(st.sampled_from(["one_on_one", "small", "group", "any"])),
                format=fmt,
                slots=draw(st.frozensets(st.integers(0, 5), max_size=4)),
                location=loc,
                max_km=draw(st.sampled_from([1.0, 3.0, 8.0])),
                pace=draw(st.sampled_from([None, "gentle", "steady", "brisk"])),
                languages=draw(st.sampled_from([frozenset(), {"en"}, {"pl"}, {"en", "pl"}])),
            )
        )
    return out


@st.composite
def community(draw, min_n=0, max_n=30):
    """Members plus some avoid and prefer pairs among them."""
    members = draw(members_strategy(min_n, max_n))
    ids = [m.id for m in members]
    pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)) if ids else st.nothing()
    avoid = draw(st.lists(pairs, max_size=8)) if ids else []
    prefer = draw(st.lists(pairs, max_size=4)) if ids else []
    return members, avoid, prefer


@st.composite
def opportunities_strategy(draw, max_m=6):
    m = draw(st.integers(0, max_m))
    return [
        Opportunity(
            id=f"o{j}",
            interests=draw(st.frozensets(st.integers(0, 11), max_size=3)),
            slots=draw(st.frozensets(st.integers(0, 5), max_size=3)),
            location=draw(locations),
            capacity=draw(st.integers(0, 4)),
            min_comfort=draw(st.integers(1, 3)),
        )
        for j in range(m)
    ]


def can_meet(a: Member, b: Member, fmt: str) -> bool:
    """The pairwise hard rules shared by groups, pairs and walks."""
    if a.languages and b.languages and not a.languages & b.languages:
        return False
    if fmt == "in_person":
        if a.format == "online" or b.format == "online" or a.location is None or b.location is None:
            return False
        return km_between(a.location, b.location) <= min(a.max_km, b.max_km) + 1e-9
    return a.format != "in_person" and b.format != "in_person"


def blocked(avoid, a, b) -> bool:
    return (a, b) in avoid or (b, a) in avoid


def check_everyone_accounted_once(members, result):
    seen = [i for m in result.matches for i in m.member_ids] + [
        u.member_id for u in result.unplaced
    ]
    assert sorted(seen) == sorted(m.id for m in members), "someone is missing or appears twice"
    for u in result.unplaced:
        assert u.reason and isinstance(u.reason, str)


def check_match_rules(by_id, match, avoid):
    people = [by_id[i] for i in match.member_ids]
    for p in people:
        assert match.slot in p.slots, f"{p.id} is not free at {match.slot_label}"
    for a, b in combinations(people, 2):
        assert can_meet(a, b, match.format), f"{a.id} and {b.id} cannot meet {match.format}"
        assert not blocked(avoid, a.id, b.id), f"blocked pair {a.id}, {b.id} placed together"
    assert match.reason


def check_group_rules(members, result, avoid, min_size=4, max_size=6):
    by_id = {m.id: m for m in members}
    check_everyone_accounted_once(members, result)
    small_cap = max(min_size, min(4, max_size))
    for match in result.matches:
        check_match_rules(by_id, match, avoid)
        people = [by_id[i] for i in match.member_ids]
        if match.kind == "group":
            assert min_size <= len(people) <= max_size
            assert all(p.setting != "one_on_one" for p in people)
            if any(p.is_shy for p in people):
                assert len(people) <= small_cap, "a shy member got a big group"
        else:
            assert match.kind in ("pair", "trio") and len(people) == (
                2 if match.kind == "pair" else 3
            )
            assert all(p.setting == "one_on_one" for p in people)


def check_walk_rules(members, result, avoid):
    by_id = {m.id: m for m in members}
    check_everyone_accounted_once(members, result)
    for match in result.matches:
        check_match_rules(by_id, match, avoid)
        assert match.format == "in_person"
        assert len(match.member_ids) == (2 if match.kind == "pair" else 3)
        people = [by_id[i] for i in match.member_ids]
        for a, b in combinations(people, 2):
            if a.pace and b.pace:
                assert abs(PACE_ORDER[a.pace] - PACE_ORDER[b.pace]) <= 1


def volunteer_fits(member: Member, opp: Opportunity) -> bool:
    if member.comfort < opp.min_comfort or not member.slots & opp.slots:
        return False
    if opp.location is None:
        return member.format != "in_person"
    if member.format == "online" or member.location is None:
        return False
    return km_between(member.location, opp.location) <= member.max_km + 1e-9
