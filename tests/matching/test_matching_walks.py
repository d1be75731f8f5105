"""Walking partners: pairs who can really walk together, trios only for would-be loners."""

from __future__ import annotations

from hypothesis import given, settings
from matching_rules import CENTRE, check_walk_rules, community

from matching import Member, pair_walkers


def walker(i, **overrides) -> Member:
    fields = dict(
        id=i,
        interests=frozenset({1}),
        format="in_person",
        slots=frozenset({16}),
        location=CENTRE,
        max_km=2.0,
        pace="steady",
    )
    fields.update(overrides)
    return Member(**fields)


@settings(max_examples=60, deadline=None)
@given(community())
def test_every_walk_obeys_the_hard_rules(data):
    members, avoid, prefer = data
    result = pair_walkers(members, avoid=avoid, prefer=prefer)
    check_walk_rules(members, result, avoid)
    assert pair_walkers(members, avoid=avoid, prefer=prefer) == result


def test_an_odd_walker_joins_a_trio_rather_than_walking_alone():
    result = pair_walkers([walker(f"w{i}") for i in range(5)])
    assert sorted(m.kind for m in result.matches) == ["pair", "trio"]
    assert not result.unplaced


def test_gentle_and_brisk_walkers_are_not_paired():
    result = pair_walkers([walker("slow", pace="gentle"), walker("fast", pace="brisk")])
    assert not result.matches
    assert {u.reason for u in result.unplaced} == {
        "nobody within 2 km who shares an afternoon slot walks at a similar pace"
    }


def test_online_only_member_is_told_walks_are_in_person():
    result = pair_walkers([walker("a"), walker("b"), walker("web", format="online", location=None)])
    assert [u.member_id for u in result.unplaced] == ["web"]
    assert "in person" in result.unplaced[0].reason


def test_walkers_with_more_in_common_are_paired():
    people = [
        walker("g1", interests=frozenset({1, 2, 3})),
        walker("c1", interests=frozenset({7, 8, 9})),
        walker("g2", interests=frozenset({1, 2, 3})),
        walker("c2", interests=frozenset({7, 8, 9})),
    ]
    pairs = {frozenset(m.member_ids) for m in pair_walkers(people).matches}
    assert pairs == {frozenset({"g1", "g2"}), frozenset({"c1", "c2"})}
