"""The benchmark's inputs: synthetic communities with the rules on or off, and blocked pairs."""

from __future__ import annotations

import dataclasses

import numpy as np

from matching import Member, synthetic

ALL_SLOTS = frozenset(range(21))


# Parameters of ``varied_interests`` by name (None: the shipped generator's interests).
INTEREST_VARIANTS: dict[str, dict | None] = {
    "shipped": None,
    "distinct": {"zipf": 1.1, "second": 0.35, "third": 0.0, "anywhere": 0.1},
    "flatter": {"zipf": 0.6, "second": 0.3, "third": 0.1, "anywhere": 0.15},
    "mixed": {"zipf": 0.5, "second": 0.35, "third": 0.15, "anywhere": 0.2},
    # Chosen so that our Q lands near the notes' 0.574 (their members), not for any ratio.
    "calibrated": {"zipf": 0.3, "second": 0.4, "third": 0.2, "anywhere": 0.3},
}


def community(
    n: int, seed: int = 0, interests: dict | None = None, variant: str | None = None
) -> list[Member]:
    """The synthetic community; ``interests`` (see ``varied_interests``) redraws interests.

    ``variant`` names a community of ``bench.communities.VARIANTS`` instead of the shipped one.
    """
    if variant is not None:
        from .communities import community as built

        members = built(variant, n, seed)
    else:
        members = synthetic.population(n, random_state=seed)
    if interests is None:
        return members
    drawn = varied_interests(len(members), seed=seed, **interests)
    return [dataclasses.replace(m, interests=s) for m, s in zip(members, drawn, strict=True)]


def varied_interests(
    n: int, *, zipf: float, second: float, third: float, anywhere: float, seed: int = 0
) -> list[frozenset[int]]:
    """Interest sets more varied than ``synthetic``'s, for ``bench.population_variants``.

    Each member has 3-8 distinct interests. Each is drawn from the whole catalogue by
    popularity with probability ``anywhere``; otherwise from the member's first, second
    or third topic (probabilities ``1 - second - third``, ``second``, ``third``), ranked
    within the topic by a Zipf law of exponent ``zipf`` (0: all ten equally likely).
    """
    topics, per = synthetic.N_TOPICS, synthetic.PER_TOPIC
    rng = np.random.RandomState(10_000 + seed)
    topic_pop = synthetic.TOPIC_POPULARITY
    within = synthetic.zipf_weights(per, zipf)
    overall = np.outer(topic_pop, within).ravel()
    own = np.array([rng.choice(topics, size=3, replace=False, p=topic_pop) for _ in range(n)])
    sizes = rng.randint(3, 9, size=n)
    out = []
    for i in range(n):
        chosen: set[int] = set()
        while len(chosen) < sizes[i]:
            if rng.rand() < anywhere:
                chosen.add(int(rng.choice(topics * per, p=overall)))
                continue
            which = rng.choice(3, p=[1 - second - third, second, third])
            chosen.add(int(own[i, which] * per + rng.choice(per, p=within)))
        out.append(frozenset(chosen))
    return out


def rules_off(members: list[Member]) -> list[Member]:
    """Everyone online, free at every slot, no language stated: the peer's problem."""
    return [
        dataclasses.replace(
            m, format="online", location=None, slots=ALL_SLOTS, languages=frozenset()
        )
        for m in members
    ]


def blocked_pairs(members: list[Member], seed: int = 0, share: float = 0.02) -> list[tuple]:
    """Blocked pairs between near neighbours (the pairs that could otherwise meet)."""
    rng = np.random.RandomState(seed)
    located = [m for m in members if m.location is not None]
    if len(located) < 2:
        return []
    coords = np.array([m.location for m in located])
    order = np.lexsort((coords[:, 1], np.round(coords[:, 0], 2)))
    picks = rng.choice(len(order) - 1, size=int(share * len(members)), replace=False)
    return [(located[order[p]].id, located[order[p + 1]].id) for p in picks]


def preferred_pairs(members: list[Member], seed: int = 1, share: float = 0.01) -> list[tuple]:
    rng = np.random.RandomState(seed)
    ids = [m.id for m in members]
    k = int(share * len(ids))
    a, b = rng.choice(len(ids), size=k), rng.choice(len(ids), size=k)
    return [(ids[i], ids[j]) for i, j in zip(a, b, strict=True) if i != j]


def neighbourhood(n: int, seed: int) -> list[Member]:
    """``n`` group-seeking members living closest to one random member: a small real instance."""
    pool = [
        m
        for m in synthetic.population(600, random_state=1000 + seed)
        if m.location is not None and m.setting != "one_on_one" and m.format != "online"
    ]
    rng = np.random.RandomState(seed)
    centre = np.array(pool[rng.randint(len(pool))].location)
    coords = np.array([m.location for m in pool])
    nearest = np.argsort(((coords - centre) ** 2).sum(axis=1))[:n]
    return [pool[i] for i in nearest]
