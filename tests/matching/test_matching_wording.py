"""The words and distances matching writes its results in, public so the web app says the same."""

import numpy as np
import pytest

import matching
from matching.feasibility import haversine_km


def test_a_list_of_interests_reads_as_a_sentence():
    assert matching.join_words([]) == ""
    assert matching.join_words(["gardening"]) == "gardening"
    assert matching.join_words(["gardening", "chess"]) == "gardening and chess"
    assert matching.join_words(["a", "b", "c"]) == "a, b and c"


def test_slots_read_as_times_of_the_week():
    assert matching.slot_phrase(5) == f"are free on {matching.slot_label(5)}s"
    assert matching.slots_phrase(frozenset({2, 5})) == "an evening slot"
    assert matching.slots_phrase(frozenset()) == "a slot (no availability given)"


def test_distance_between_two_members_is_the_rules_distance():
    london, paris = (51.5074, -0.1278), (48.8566, 2.3522)
    assert matching.distance_km(london, london) == 0.0
    assert matching.distance_km(london, paris) == pytest.approx(343.5, abs=1.0)
    assert matching.distance_km(paris, london) == matching.distance_km(london, paris)
    radians = haversine_km(np.radians(london), np.radians(paris))
    assert matching.distance_km(london, paris) == float(radians)
