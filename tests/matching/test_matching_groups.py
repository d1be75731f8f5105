"""Groups: every hard rule holds on random small communities, and the stories we promise."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from matching_rules import CENTRE, blocked, can_meet, check_group_rules, community

from matching import Member, group_members, slot_label, synthetic

EVENING_TUESDAY = 5


def neighbour(i, **overrides) -> Member:
    fields = dict(
        id=i,
        interests=frozenset({1, 2}),
        comfort=3,
        setting="any",
        format="in_person",
        slots=frozenset({EVENING_TUESDAY}),
        location=CENTRE,
        max_km=3.0,
    )
    fields.update(overrides)
    return Member(**fields)


@settings(max_examples=60, deadline=None)
@given(community(), st.sampled_from([(4, 6), (3, 5), (2, 3), (5, 5)]))
def test_every_group_obeys_the_hard_rules(data, sizes):
    members, avoid, prefer = data
    min_size, max_size = sizes
    result = group_members(
        members, min_size=min_size, max_size=max_size, avoid=avoid, prefer=prefer
    )
    check_group_rules(members, result, avoid, min_size, max_size)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10**6), st.integers(200, 420), st.integers(0, 40))
def test_the_rules_hold_when_a_pool_is_cut_into_blocks(seed, n, n_avoid):
    # A block size of 60 makes pools of a few hundred take the path large
    # communities take: packed k-means blocks, best-first seeding, leftovers
    # retried across blocks.
    members = synthetic.population(n, random_state=seed)
    rng = random.Random(seed)
    avoid = [tuple(rng.sample([m.id for m in members], 2)) for _ in range(n_avoid)]
    result = group_members(members, avoid=avoid, block_size=60, random_state=seed)
    check_group_rules(members, result, avoid)
    # Cutting the pool may cost a few places, never a large share of them.
    whole = group_members(members, avoid=avoid, random_state=seed)
    assert grouped_count(result) >= 0.9 * grouped_count(whole)


def grouped_count(result) -> int:
    return sum(len(m.member_ids) for m in result.matches if m.kind == "group")


@settings(max_examples=40, deadline=None)
@given(community(min_n=4))
def test_nobody_is_left_out_who_fits_a_group_with_room(data):
    members, avoid, prefer = data
    result = group_members(members, avoid=avoid, prefer=prefer)
    by_id = {m.id: m for m in members}
    groups = [m for m in result.matches if m.kind == "group"]
    for left in result.unplaced:
        person = by_id[left.member_id]
        if person.setting == "one_on_one":
            continue
        for g in groups:
            people = [by_id[i] for i in g.member_ids]
            cap = 4 if any(p.is_shy for p in people) or person.is_shy else 6
            shared = set(person.slots).intersection(*(p.slots for p in people))
            fits = (
                len(people) < cap
                and shared
                and all(can_meet(person, p, g.format) for p in people)
                and not any(blocked(avoid, person.id, p.id) for p in people)
            )
            assert not fits, f"{person.id} ({left.reason}) fits group {g.member_ids}"


@settings(max_examples=20, deadline=None)
@given(community(min_n=5))
def test_same_seed_gives_the_same_groups(data):
    members, avoid, prefer = data
    first = group_members(members, avoid=avoid, prefer=prefer, random_state=3)
    again = group_members(members, avoid=avoid, prefer=prefer, random_state=3)
    assert first == again


def test_shy_member_gets_a_small_group():
    shy = neighbour("shy", comfort=1)
    others = [neighbour(f"n{i}") for i in range(9)]
    result = group_members([shy, *others])
    (group,) = [m for m in result.matches if "shy" in m.member_ids]
    assert len(group.member_ids) == 4
    assert not result.unplaced


def test_people_who_could_all_meet_get_groups_as_small_as_the_range_allows():
    # Mean similarity favours small groups, so 24 people free on the same
    # evening make six groups of four, not fewer, larger groups.
    rng = random.Random(3)
    members = [
        neighbour(i, interests=frozenset(rng.sample(range(30), 4)), format="online")
        for i in range(24)
    ]
    result = group_members(members)
    assert sorted(len(m.member_ids) for m in result.matches) == [4] * 6
    assert not result.unplaced


def test_one_on_one_members_get_a_partner_not_a_group():
    quiet = [neighbour(f"q{i}", setting="one_on_one") for i in range(2)]
    others = [neighbour(f"n{i}") for i in range(5)]
    result = group_members(quiet + others)
    (pair,) = [m for m in result.matches if m.kind == "pair"]
    assert set(pair.member_ids) == {"q0", "q1"}
    assert all("q0" not in m.member_ids for m in result.matches if m.kind == "group")


def test_blocked_pair_is_never_grouped_together():
    people = [neighbour(f"n{i}") for i in range(8)]
    result = group_members(people, avoid=[("n0", "n1")])
    for m in result.matches:
        assert not {"n0", "n1"} <= set(m.member_ids)
    assert not result.unplaced


def test_pairs_who_asked_to_meet_again_stay_together_when_rules_allow():
    people = [neighbour(f"n{i}", interests=frozenset({i})) for i in range(8)]
    result = group_members(people, prefer=[("n0", "n7"), ("n1", "n6")])
    together = {frozenset(m.member_ids) for m in result.matches}
    assert any({"n0", "n7"} <= g for g in together)
    assert any({"n1", "n6"} <= g for g in together)


def test_alike_people_end_up_together():
    gardeners = [neighbour(f"g{i}", interests=frozenset({10, 11, 12})) for i in range(4)]
    gamers = [neighbour(f"p{i}", interests=frozenset({20, 21, 22})) for i in range(4)]
    result = group_members(gamers[:2] + gardeners + gamers[2:])
    groups = {frozenset(m.member_ids) for m in result.matches}
    assert frozenset(g.id for g in gardeners) in groups
    assert result.quality.mean_similarity <= result.quality.bound + 1e-9
    assert result.quality.ratio > 0.99


def test_reason_names_the_interests_and_the_time_they_share():
    names = {10: "gardening", 11: "birdwatching", 12: "chess"}
    people = [neighbour(f"g{i}", interests=frozenset({10, 11, i + 30})) for i in range(4)]
    (group,) = group_members(people, interest_names=names).matches
    assert "gardening" in group.reason and "birdwatching" in group.reason
    assert slot_label(EVENING_TUESDAY) == "Tuesday evening"
    assert "Tuesday evening" in group.reason
    plain = group_members(people).matches[0]
    assert "interest #10" in plain.reason


def test_someone_too_far_away_is_told_why():
    people = [neighbour(f"n{i}") for i in range(4)]
    far = neighbour("far", location=(54.5, -1.55))
    result = group_members([*people, far])
    (left,) = result.unplaced
    assert left.member_id == "far"
    assert left.reason == "nobody within 3 km shares an evening slot"


def test_online_and_in_person_members_are_never_mixed():
    online = [neighbour(f"o{i}", format="online", location=None) for i in range(4)]
    near = [neighbour(f"n{i}") for i in range(4)]
    result = group_members(online + near)
    for m in result.matches:
        assert {i[0] for i in m.member_ids} in ({"o"}, {"n"})
    assert {m.format for m in result.matches} == {"online", "in_person"}


def test_results_are_json_friendly():
    people = [neighbour(f"n{i}") for i in range(9)]
    data = group_members(people).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"matches", "unplaced", "quality"}


def test_bad_sizes_are_rejected():
    import pytest

    with pytest.raises(ValueError, match="min_size"):
        group_members([], min_size=5, max_size=4)
    with pytest.raises(ValueError, match="more than once"):
        group_members([neighbour("a"), neighbour("a")])
