"""The benchmark's redrawn interests: valid catalogue ids, 3-8 each, only interests change."""

from bench import scenarios
from bench.scenarios import INTEREST_VARIANTS as VARIANTS
from matching import synthetic

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
