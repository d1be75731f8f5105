"""Leftovers: a member the groups had no room for takes someone's place when that
member can move to a group with room, and never when a rule forbids it."""

from __future__ import annotations

import numpy as np

from matching import Member, ProfileVectorizer
from matching.feasibility import member_arrays
from matching.leftovers import GroupTable, place_leftovers

MORNING, EVENING = 0, 1


def member(i, slots, comfort=3) -> Member:
    return Member(
        id=i,
        interests=frozenset({1, 2, i % 3 + 3}),
        comfort=comfort,
        setting="any",
        format="online",
        slots=frozenset(slots),
    )


def table_for(members, groups):
    arr = member_arrays(members)
    X = ProfileVectorizer().fit_transform(members)
    return GroupTable(
        arr,
        X,
        [np.array(g) for g in groups],
        max_size=6,
        small_cap=4,
        avoid_keys=np.zeros(0, dtype=np.int64),
        in_person=False,
    )


def two_groups_and_a_shy_newcomer(b_comfort=3):
    # A meets mornings and evenings, B only evenings; the newcomer is shy
    # (comfort 1, so groups of at most four) and free only in the mornings.
    a = [member(i, {MORNING, EVENING}) for i in range(4)]
    b = [member(i, {EVENING}, comfort=b_comfort) for i in range(4, 8)]
    shy = member(8, {MORNING}, comfort=1)
    return [*a, *b, shy], [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_a_shy_newcomer_takes_a_place_whose_member_moves_to_a_group_with_room():
    members, groups = two_groups_and_a_shy_newcomer()
    plain = table_for(members, groups)
    # A is full for a shy member and B shares no slot with them.
    assert place_leftovers(plain, np.array([8])).tolist() == [8]

    table = table_for(members, groups)
    assert place_leftovers(table, np.array([8]), bump=True).tolist() == []
    after = [set(g.tolist()) for g in table.groups()]
    a, b = after
    assert 8 in a and len(a) == 4
    moved = a.symmetric_difference({0, 1, 2, 3}) - {8}
    assert len(moved) == 1 and moved <= b and len(b) == 5
    # Every group still shares a slot: mornings in A, evenings in B.
    for group in after:
        shared = set.intersection(*(set(members[i].slots) for i in group))
        assert shared
    assert sorted(i for g in after for i in g) == list(range(9))


def test_nobody_is_moved_into_a_group_whose_shy_member_caps_it_at_four():
    members, groups = two_groups_and_a_shy_newcomer(b_comfort=2)
    table = table_for(members, groups)
    assert place_leftovers(table, np.array([8]), bump=True).tolist() == [8]
    assert [g.tolist() for g in table.groups()] == groups
