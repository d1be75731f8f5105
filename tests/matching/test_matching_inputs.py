"""Inputs: validated dataclasses, the vectorizer and the synthetic community."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from matching import Member, ProfileVectorizer, slot_label, synthetic


def test_slot_labels_read_like_a_calendar():
    assert slot_label(0) == "Monday morning"
    assert slot_label(5) == "Tuesday evening"
    assert slot_label(20) == "Sunday evening"
    with pytest.raises(ValueError):
        slot_label(21)


@pytest.mark.parametrize(
    "bad",
    [
        {"comfort": 0},
        {"setting": "party"},
        {"format": "carrier pigeon"},
        {"slots": frozenset({25})},
        {"location": (200.0, 0.0)},
        {"pace": "sprint"},
        {"max_km": -1.0},
    ],
)
def test_member_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        Member(id=1, **bad)


def test_rare_shared_interests_count_more_than_common_ones():
    common, rare = 1, 2
    members = [Member(id=i, interests=frozenset({common})) for i in range(20)]
    members += [
        Member(id="a", interests=frozenset({common, rare})),
        Member(id="b", interests=frozenset({common, rare})),
    ]
    vec = ProfileVectorizer()
    assert vec.fit(members) is vec
    X = vec.transform(members)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert vec.idf_[list(vec.interest_ids_).index(rare)] > vec.idf_[0]
    assert X[-1] @ X[-2] > X[-1] @ X[0]
    assert clone(vec).get_params() == vec.get_params()


def test_similar_comfort_is_closer_than_distant_comfort():
    people = [Member(id=c, comfort=c) for c in (1, 2, 5)]
    X = ProfileVectorizer().fit_transform(people)
    assert X[0] @ X[1] > X[0] @ X[2]


def test_synthetic_community_is_deterministic_and_realistic():
    a = synthetic.population(2000, random_state=4)
    assert a == synthetic.population(2000, random_state=4)
    assert a != synthetic.population(2000, random_state=5)
    evenings = sum(s % 3 == 2 for m in a for s in m.slots)
    mornings = sum(s % 3 == 0 for m in a for s in m.slots)
    assert evenings > 2 * mornings
    shy = sum(m.comfort <= 2 for m in a) / len(a)
    confident = sum(m.comfort >= 4 for m in a) / len(a)
    assert shy > confident
    opps = synthetic.opportunities(50, random_state=4)
    assert all(o.capacity >= 1 for o in opps)
    assert any(o.location is None for o in opps)
