"""Walking partners: pairs who can really walk together, trios only for would-be loners."""

from __future__ import annotations

from hypothesis import given, settings
from matching_rules import CENTRE, PACE_ORDER, blocked, can_meet, check_walk_rules, community

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
    # A pair who asked to walk together again, and whom every rule still allows,
    # walks together (unless one of them has another such partner).
    by_id = {m.id: m for m in members}
    allowed = {
        frozenset((a, b))
        for a, b in prefer
        if a != b and could_walk(by_id[a], by_id[b]) and not blocked(avoid, a, b)
    }
    together = [set(m.member_ids) for m in result.matches]
    for pair in allowed:
        if sum(1 for other in allowed if other & pair) == 1:
            assert any(pair <= match for match in together), f"{set(pair)} asked to walk again"


def could_walk(a: Member, b: Member) -> bool:
    paces = (PACE_ORDER.get(a.pace), PACE_ORDER.get(b.pace))
    return (
        can_meet(a, b, "in_person")
        and bool(a.slots & b.slots)
        and (None in paces or abs(paces[0] - paces[1]) <= 1)
    )


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


def test_partners_who_asked_to_walk_again_do_even_beside_closer_matches():
    people = [
        walker("ana", interests=frozenset({1, 2})),
        walker("ben", interests=frozenset({3, 4})),
        walker("ana-like", interests=frozenset({1, 2})),
        walker("ben-like", interests=frozenset({3, 4})),
    ]
    plain = {frozenset(m.member_ids) for m in pair_walkers(people).matches}
    assert frozenset({"ana", "ben"}) not in plain
    again = {frozenset(m.member_ids) for m in pair_walkers(people, prefer=[("ana", "ben")]).matches}
    assert again == {frozenset({"ana", "ben"}), frozenset({"ana-like", "ben-like"})}


def test_asking_to_walk_again_never_bends_a_rule():
    people = [
        walker("ana"),
        walker("ben", slots=frozenset({3})),
        walker("cat"),
        walker("dan", slots=frozenset({3})),
    ]
    pairs = {frozenset(m.member_ids) for m in pair_walkers(people, prefer=[("ana", "ben")]).matches}
    assert pairs == {frozenset({"ana", "cat"}), frozenset({"ben", "dan"})}, (
        "no shared slot any more"
    )
    blocked_pair = pair_walkers(
        people[:1] + [walker("ben")], avoid=[("ana", "ben")], prefer=[("ana", "ben")]
    )
    assert not blocked_pair.matches
