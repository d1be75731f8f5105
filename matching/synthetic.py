"""Realistic synthetic communities for tests and benchmarks.

Interests come in 15 topics of 10 (150 ids) with a Zipf-like popularity and
a long tail; comfort skews shy the way sign-ups to a loneliness service do;
homes cluster in neighbourhoods of a Leeds-sized city; availability
concentrates on evenings and weekends.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .members import N_SLOTS, Member, Opportunity

N_TOPICS = 10 + 5
PER_TOPIC = 10
CITY_CENTRE = (53.800, -1.549)
N_NEIGHBOURHOODS = 40
KM_PER_DEG_LAT = 111.2


def slot_weights() -> np.ndarray:
    weights = np.ones(N_SLOTS)
    weights[2::3] = 4.0  # evenings
    weights[15:21] *= 2.5  # Saturday and Sunday
    weights[[0, 3, 6, 9, 12]] = 0.6  # weekday mornings are for work
    return weights / weights.sum()


def neighbourhoods(rng: np.random.RandomState) -> np.ndarray:
    # Fixed seed: every population shares one city map.
    city = np.random.RandomState(12345)
    radius_km = 9.0 * np.sqrt(city.uniform(0, 1, N_NEIGHBOURHOODS))
    angle = city.uniform(0, 2 * np.pi, N_NEIGHBOURHOODS)
    lat = CITY_CENTRE[0] + radius_km * np.sin(angle) / KM_PER_DEG_LAT
    lon = CITY_CENTRE[1] + radius_km * np.cos(angle) / (
        KM_PER_DEG_LAT * np.cos(np.radians(CITY_CENTRE[0]))
    )
    return np.column_stack([lat, lon])


def _places(rng: np.random.RandomState, n: int, spread_km: float) -> np.ndarray:
    centres = neighbourhoods(rng)
    popularity = rng.dirichlet(np.full(N_NEIGHBOURHOODS, 2.0))
    which = rng.choice(N_NEIGHBOURHOODS, size=n, p=popularity)
    offset = rng.normal(0.0, spread_km, size=(n, 2))
    lat = centres[which, 0] + offset[:, 0] / KM_PER_DEG_LAT
    lon = centres[which, 1] + offset[:, 1] / (KM_PER_DEG_LAT * np.cos(np.radians(CITY_CENTRE[0])))
    return np.column_stack([lat, lon]).round(5)


def zipf_weights(count: int, exponent: float) -> np.ndarray:
    """Probabilities of ranks 1..count under a Zipf law: how popular topics and interests are."""
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


TOPIC_POPULARITY = zipf_weights(N_TOPICS, 0.8)


def _interest_sets(rng: np.random.RandomState, n: int, low: int, high: int) -> list[frozenset[int]]:
    topic_pop = TOPIC_POPULARITY
    within = zipf_weights(PER_TOPIC, 1.1)
    out = []
    topics = rng.choice(N_TOPICS, size=(n, 2), p=topic_pop)
    sizes = rng.randint(low, high + 1, size=n)
    for i in range(n):
        primary = rng.choice(PER_TOPIC, size=sizes[i], p=within) + topics[i, 0] * PER_TOPIC
        second = rng.rand(sizes[i]) < 0.35
        primary[second] = primary[second] % PER_TOPIC + topics[i, 1] * PER_TOPIC
        chosen = set(primary.tolist())
        if rng.rand() < 0.3:  # the long tail: one interest from anywhere
            chosen.add(int(rng.randint(N_TOPICS * PER_TOPIC)))
        out.append(frozenset(int(c) for c in chosen))
    return out


def slot_sets(rng: np.random.RandomState, n: int, low: int, high: int) -> list[frozenset[int]]:
    weights = slot_weights()
    sizes = rng.randint(low, high + 1, size=n)
    keys = rng.gumbel(size=(n, N_SLOTS)) + np.log(weights)
    order = np.argsort(-keys, axis=1)
    return [frozenset(int(s) for s in order[i, : sizes[i]]) for i in range(n)]


def population(n: int, *, random_state=0) -> list[Member]:
    """``n`` synthetic members of one city, deterministic for a fixed ``random_state``."""
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = check_random_state(random_state)
    interests = _interest_sets(rng, n, 3, 8)
    slots = slot_sets(rng, n, 3, 8)
    comfort = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.14, 0.26, 0.30, 0.19, 0.11])
    setting = np.where(
        comfort <= 2,
        rng.choice(["one_on_one", "small", "group", "any"], size=n, p=[0.2, 0.5, 0.05, 0.25]),
        rng.choice(["one_on_one", "small", "group", "any"], size=n, p=[0.05, 0.2, 0.35, 0.4]),
    )
    fmt = rng.choice(["in_person", "online", "either"], size=n, p=[0.55, 0.15, 0.30])
    places = _places(rng, n, spread_km=0.8)
    return members_from(rng, interests, slots, comfort, setting, fmt, places)


def members_from(
    rng: np.random.RandomState,
    interests: list[frozenset[int]],
    slots: list[frozenset[int]],
    comfort: np.ndarray,
    setting: np.ndarray,
    fmt: np.ndarray,
    places: np.ndarray,
) -> list[Member]:
    """Members from drawn interests, slots, comfort, setting, format and homes.

    Draws the rest (who gives a location, travel distance, pace, languages)
    the same way for :func:`population` and for communities built
    differently (``bench.communities``), so they differ only where they say.
    """
    n = len(interests)
    has_location = (fmt != "online") | (rng.rand(n) < 0.5)
    max_km = rng.choice([2.0, 3.0, 5.0, 8.0, 15.0], size=n, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    pace = rng.choice(["gentle", "steady", "brisk", "none"], size=n, p=[0.3, 0.4, 0.2, 0.1])
    lang_draw = rng.rand(n)
    extra = rng.choice(["pl", "ur", "es", "pa", "ar"], size=n)
    members = []
    for i in range(n):
        if lang_draw[i] < 0.10:
            languages: frozenset[str] = frozenset()
        elif lang_draw[i] < 0.12:
            languages = frozenset({str(extra[i])})
        elif lang_draw[i] < 0.22:
            languages = frozenset({"en", str(extra[i])})
        else:
            languages = frozenset({"en"})
        members.append(
            Member(
                id=i,
                interests=interests[i],
                comfort=int(comfort[i]),
                setting=str(setting[i]),
                format=str(fmt[i]),
                slots=slots[i],
                location=(float(places[i, 0]), float(places[i, 1])) if has_location[i] else None,
                max_km=float(max_km[i]),
                pace=None if pace[i] == "none" else str(pace[i]),
                languages=languages,
            )
        )
    return members


def opportunities(m: int, *, random_state=0) -> list[Opportunity]:
    """``m`` synthetic volunteer opportunities in the same city (15% online)."""
    if m < 0:
        raise ValueError("m must be non-negative")
    rng = check_random_state(random_state)
    interests = _interest_sets(rng, m, 1, 3)
    slots = slot_sets(rng, m, 2, 6)
    places = _places(rng, m, spread_km=1.0)
    online = rng.rand(m) < 0.15
    capacity = np.minimum(1 + rng.geometric(1 / 14, size=m), 60)
    min_comfort = rng.choice([1, 2, 3], size=m, p=[0.55, 0.3, 0.15])
    return [
        Opportunity(
            id=f"opp-{j}",
            interests=interests[j],
            slots=slots[j],
            location=None if online[j] else (float(places[j, 0]), float(places[j, 1])),
            capacity=int(capacity[j]),
            min_comfort=int(min_comfort[j]),
        )
        for j in range(m)
    ]
