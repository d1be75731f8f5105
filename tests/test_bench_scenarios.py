"""The benchmark's inputs: redrawn interests (valid ids, 3-8 each, only interests change)
and the communities built differently (seeded, valid members, each differing as it says)."""

from bench import communities, scenarios
from bench.scenarios import INTEREST_VARIANTS as VARIANTS
from matching import Member, distance_km, synthetic

CATALOGUE = synthetic.N_TOPICS * synthetic.PER_TOPIC


def test_every_variant_draws_three_to_eight_catalogue_interests():
    for name, params in VARIANTS.items():
        if params is None:
            continue
        sets = scenarios.varied_interests(500, **params)
        assert all(3 <= len(s) <= 8 for s in sets), name
        assert all(0 <= i < CATALOGUE for s in sets for i in s), name


def test_flatter_variants_spread_members_over_more_interests():
    def share_of_top_interest(params):
        sets = scenarios.varied_interests(2000, **params)
        counts = [sum(i in s for s in sets) for i in range(CATALOGUE)]
        return max(counts) / len(sets)

    assert share_of_top_interest(VARIANTS["calibrated"]) < share_of_top_interest(
        VARIANTS["distinct"]
    )


def test_redrawn_community_keeps_everything_but_interests_and_is_deterministic():
    shipped = scenarios.community(300)
    redrawn = scenarios.community(300, interests=VARIANTS["calibrated"])
    assert redrawn == scenarios.community(300, interests=VARIANTS["calibrated"])
    assert any(a.interests != b.interests for a, b in zip(shipped, redrawn, strict=True))
    for a, b in zip(shipped, redrawn, strict=True):
        assert (a.id, a.comfort, a.setting, a.slots, a.location) == (
            b.id,
            b.comfort,
            b.setting,
            b.slots,
            b.location,
        )


# Communities built differently (bench.communities, for bench.community_variants).


def test_every_community_variant_is_seeded_and_gives_valid_members():
    for name in communities.VARIANTS:
        members = communities.community(name, 400, seed=3)
        assert members == communities.community(name, 400, seed=3), name
        assert members != communities.community(name, 400, seed=4), name
        assert len(members) == 400 and all(isinstance(m, Member) for m in members), name
        assert len({m.id for m in members}) == 400, name
        assert all(1 <= len(m.interests) <= 9 and m.slots for m in members), name
        # The same hard-rule inputs as the shipped generator: online members may have no home.
        assert all(m.location is not None or m.format != "in_person" for m in members), name


def test_community_variants_differ_where_they_say():
    def catalogue(name):
        return {i for m in communities.community(name, 2000) for i in m.interests}

    def share(name, test):
        members = communities.community(name, 2000)
        return sum(map(test, members)) / len(members)

    assert max(catalogue("few_interests")) < 40
    assert max(catalogue("reference")) < 150 < max(catalogue("many_interests")) < 400
    assert share("shy_small", lambda m: m.is_shy) > 0.8 > share("reference", lambda m: m.is_shy)
    assert 0.27 < share("one_on_one_30", lambda m: m.setting == "one_on_one") < 0.33
    centre = synthetic.CITY_CENTRE

    def near(m):
        return m.location is not None and distance_km(m.location, centre) < 3

    assert share("uneven", near) > 0.4 > share("reference", near)


def test_scenarios_community_builds_a_named_variant():
    assert scenarios.community(200, 1, variant="uneven") == communities.community("uneven", 200, 1)
