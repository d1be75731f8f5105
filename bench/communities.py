"""Communities built differently from ``matching.synthetic``, for ``bench.community_variants``.

``population(n, seed, **params)`` follows the shipped generator (the same slots,
formats, travel distances, paces and languages, drawn the same way) but lets the
parts the grouping depends on differ: how many interests and topics there are,
how comfort and preferred setting are mixed, how many want one-on-one, and how
members spread over the city's neighbourhoods. ``VARIANTS`` names the ones the
benchmark runs; every variant is deterministic for a fixed ``seed``.
"""

from __future__ import annotations

import numpy as np

from matching import Member, synthetic

SETTINGS = ["one_on_one", "small", "group", "any"]
# The shipped generator's mixes, for reference and as defaults.
COMFORT = (0.14, 0.26, 0.30, 0.19, 0.11)
SETTING_SHY = (0.2, 0.5, 0.05, 0.25)  # comfort 1-2
SETTING_REST = (0.05, 0.2, 0.35, 0.4)  # comfort 3-5

# name -> keyword arguments of ``population`` (see there for what each means).
VARIANTS: dict[str, dict] = {
    # The shipped generator's parameters, drawn by this module (a same-run reference).
    "reference": {},
    # 40 interests in 5 topics: members share far more interests.
    "few_interests": {"n_topics": 5, "per_topic": 8},
    # 400 interests in 40 topics: members share far fewer.
    "many_interests": {"n_topics": 40, "per_topic": 10},
    # 70% comfort 1-2 and "small" the usual setting: most members are shy (groups of four).
    "shy_small": {
        "comfort": (0.35, 0.35, 0.15, 0.10, 0.05),
        "setting_shy": (0.15, 0.70, 0.0, 0.15),
        "setting_rest": (0.05, 0.60, 0.10, 0.25),
    },
    # 30% want one-on-one (11% in the shipped mix): fewer group seekers.
    "one_on_one_30": {"one_on_one": 0.30},
    # 60% live in one dense centre, the rest thinly over 39 edge neighbourhoods, and each
    # neighbourhood has its own taste in topics (so the unevenness shows with rules off).
    "uneven": {"centre_share": 0.60, "local_topics": True},
}


def population(
    n: int,
    seed: int = 0,
    *,
    n_topics: int = synthetic.N_TOPICS,
    per_topic: int = synthetic.PER_TOPIC,
    comfort: tuple[float, ...] = COMFORT,
    setting_shy: tuple[float, ...] = SETTING_SHY,
    setting_rest: tuple[float, ...] = SETTING_REST,
    one_on_one: float | None = None,
    centre_share: float | None = None,
    local_topics: bool = False,
) -> list[Member]:
    """``n`` members of one city, deterministic for a fixed ``seed``.

    Interests: ``n_topics`` topics of ``per_topic`` ids, topic popularity Zipf 0.8,
    ranks within a topic Zipf 1.1; 3-8 draws from a first topic, 35% of them
    moved to a second, and 30% of members add one from anywhere (as shipped).
    ``comfort`` gives the shares of comfort 1..5; ``setting_shy`` / ``setting_rest``
    the shares of one_on_one/small/group/any for comfort 1-2 and 3-5. ``one_on_one``,
    when given, makes that share of members one-on-one seekers regardless (the rest
    keep their drawn setting, a drawn one_on_one redrawn among the others).
    ``centre_share``, when given, puts that share of homes around the city centre
    (1.2 km spread) and the rest evenly over the 39 other neighbourhoods (0.8 km);
    otherwise neighbourhoods are as shipped. ``local_topics`` tilts each
    neighbourhood's topic popularity by its own Dirichlet(1) draw.
    """
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = np.random.RandomState(seed)
    where, places = _homes(rng, n, centre_share)
    topic_pop = synthetic.zipf_weights(n_topics, 0.8)
    if local_topics:
        tilt = rng.dirichlet(np.ones(n_topics), size=synthetic.N_NEIGHBOURHOODS)
        local = tilt * topic_pop
        local /= local.sum(axis=1, keepdims=True)
    else:
        local = np.tile(topic_pop, (synthetic.N_NEIGHBOURHOODS, 1))
    interests = _interests(rng, where, local, per_topic)
    slots = synthetic.slot_sets(rng, n, 3, 8)
    level = rng.choice([1, 2, 3, 4, 5], size=n, p=comfort)
    setting = np.where(
        level <= 2,
        rng.choice(SETTINGS, size=n, p=setting_shy),
        rng.choice(SETTINGS, size=n, p=setting_rest),
    )
    if one_on_one is not None:
        others = rng.choice(SETTINGS[1:], size=n, p=[0.35, 0.25, 0.40])
        setting = np.where(setting == "one_on_one", others, setting)
        setting[rng.rand(n) < one_on_one] = "one_on_one"
    fmt = rng.choice(["in_person", "online", "either"], size=n, p=[0.55, 0.15, 0.30])
    return synthetic.members_from(rng, interests, slots, level, setting, fmt, places)


def _homes(
    rng: np.random.RandomState, n: int, centre_share: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Each member's neighbourhood and (lat, lon) home."""
    centres = synthetic.neighbourhoods(rng)
    k = synthetic.N_NEIGHBOURHOODS
    if centre_share is None:
        which = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 2.0)))
        spread = np.full(n, 0.8)
    else:
        centres = centres.copy()
        centres[0] = synthetic.CITY_CENTRE
        edge = np.full(k, (1.0 - centre_share) / (k - 1))
        edge[0] = centre_share
        which = rng.choice(k, size=n, p=edge)
        spread = np.where(which == 0, 1.2, 0.8)
    offset = rng.normal(0.0, 1.0, size=(n, 2)) * spread[:, None]
    cos_lat = np.cos(np.radians(synthetic.CITY_CENTRE[0]))
    lat = centres[which, 0] + offset[:, 0] / synthetic.KM_PER_DEG_LAT
    lon = centres[which, 1] + offset[:, 1] / (synthetic.KM_PER_DEG_LAT * cos_lat)
    return which, np.column_stack([lat, lon]).round(5)


def _interests(
    rng: np.random.RandomState, where: np.ndarray, topic_pop: np.ndarray, per_topic: int
) -> list[frozenset[int]]:
    """The shipped interest draw, with each member's topics from their neighbourhood's row."""
    n, n_topics = len(where), topic_pop.shape[1]
    within = synthetic.zipf_weights(per_topic, 1.1)
    sizes = rng.randint(3, 9, size=n)
    cumulative = np.cumsum(topic_pop, axis=1)
    draws = rng.rand(n, 2)
    topics = np.empty((n, 2), dtype=np.int64)
    for c in range(2):
        topics[:, c] = (draws[:, c, None] > cumulative[where]).sum(axis=1)
    topics = np.minimum(topics, n_topics - 1)
    out = []
    for i in range(n):
        primary = rng.choice(per_topic, size=sizes[i], p=within) + topics[i, 0] * per_topic
        second = rng.rand(sizes[i]) < 0.35
        primary[second] = primary[second] % per_topic + topics[i, 1] * per_topic
        chosen = set(primary.tolist())
        if rng.rand() < 0.3:
            chosen.add(int(rng.randint(n_topics * per_topic)))
        out.append(frozenset(int(c) for c in chosen))
    return out


def community(name: str, n: int, seed: int = 0) -> list[Member]:
    """The named variant's ``n`` members."""
    return population(n, seed, **VARIANTS[name])
