"""Volunteer placements: never over capacity, never beyond someone's comfort."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from matching_rules import CENTRE, blocked, community, opportunities_strategy, volunteer_fits

from matching import Member, Opportunity, assign_volunteers


@settings(max_examples=60, deadline=None)
@given(community(), opportunities_strategy())
def test_every_placement_obeys_the_hard_rules(data, opportunities):
    members, avoid, _ = data
    result = assign_volunteers(members, opportunities, avoid=avoid)
    by_id = {m.id: m for m in members}
    opps = {o.id: o for o in opportunities}
    seen = [m.member_ids[0] for m in result.matches] + [u.member_id for u in result.unplaced]
    assert sorted(seen) == sorted(by_id)
    load = Counter(m.opportunity_id for m in result.matches)
    for opp_id, count in load.items():
        assert count <= opps[opp_id].capacity
    for m in result.matches:
        person, opp = by_id[m.member_ids[0]], opps[m.opportunity_id]
        assert volunteer_fits(person, opp)
        assert m.slot in person.slots and m.slot in opp.slots
    by_opp: dict = {}
    for m in result.matches:
        by_opp.setdefault(m.opportunity_id, []).append(m.member_ids[0])
    for seated in by_opp.values():
        for a in seated:
            for b in seated:
                assert a == b or not blocked(avoid, a, b)
    # Nobody is left out while an opportunity that fits them has room.
    for u in result.unplaced:
        for o in opportunities:
            if volunteer_fits(by_id[u.member_id], o) and load[o.id] < o.capacity:
                others = by_opp.get(o.id, [])
                assert any(blocked(avoid, u.member_id, b) for b in others), (u, o)
    assert assign_volunteers(members, opportunities, avoid=avoid) == result


def helper(i, **overrides) -> Member:
    fields = dict(id=i, interests=frozenset({3}), comfort=3, slots=frozenset({2}), location=CENTRE)
    fields.update(overrides)
    return Member(**fields)


def test_shy_volunteer_is_not_sent_where_confidence_is_needed():
    opp = Opportunity(id="desk", slots=frozenset({2}), location=CENTRE, capacity=5, min_comfort=3)
    result = assign_volunteers([helper("shy", comfort=1)], [opp])
    assert not result.matches
    assert result.unplaced[0].reason == "every opportunity asks for more social confidence for now"


def test_full_opportunity_takes_the_best_fitting_volunteers():
    garden = Opportunity(
        id="garden", interests=frozenset({3}), slots=frozenset({2}), location=CENTRE, capacity=2
    )
    people = [helper("a"), helper("b", interests=frozenset({9})), helper("c")]
    result = assign_volunteers(people, [garden], interest_names={3: "gardening"})
    assert sorted(m.member_ids[0] for m in result.matches) == ["a", "c"]
    assert "gardening" in result.matches[0].reason
    assert (
        result.unplaced[0].reason == "every opportunity within 5 km that fits their times was full"
    )
    assert 0 < result.quality.ratio <= 1.0
