"""The ejection-chain reference search (bench.chains): finds what swaps cannot, breaks no rule."""

import numpy as np
import pytest

from bench.chains import chains
from matching.localsearch import objective


def three_misplaced():
    """Groups A, B, C of four, each holding one member who belongs to the next group.

    Slots forbid every swap and sizes are fixed, so a swap/move search is stuck;
    only the cycle b -> B, c -> C, a -> A (three groups) makes every group whole.
    """
    kind = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0])  # A: a a a b | B: b b b c | C: c c c a
    labels = np.repeat([0, 1, 2], 4)
    X = np.eye(3, dtype=np.float32)[kind]
    S = X @ X.T
    np.fill_diagonal(S, -1.0)
    slots = {0: 0b000011, 1: 0b001100, 2: 0b110000}
    masks = np.array([slots[k] for k in kind])
    masks[3] = 0b000101  # the b in A: shares slot 0 with A, slot 2 with B, none with C
    masks[7] = 0b010100  # the c in B: slot 2 with B, slot 4 with C, none with A
    masks[11] = 0b010001  # the a in C: slot 4 with C, slot 0 with A, none with B
    return S, labels, masks, kind


def test_a_cycle_over_three_groups_finds_what_swaps_cannot():
    S, labels, masks, kind = three_misplaced()
    shy = np.zeros(len(S))
    stuck, applied = chains(
        S, labels, masks, shy, length=2, beam=4, neighbours=3, min_size=4, max_size=4
    )
    assert applied == 0
    assert np.array_equal(stuck, labels)

    new, applied = chains(
        S, labels, masks, shy, length=3, beam=4, neighbours=3, min_size=4, max_size=4
    )
    assert applied == 1
    for g in range(3):
        assert len(set(kind[new == g])) == 1  # every group is one kind of member
        assert np.bitwise_and.reduce(masks[new == g]) != 0


def random_instance(seed: int, n: int = 60):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, 12))
    X = centres[rng.integers(0, 6, n)] + 0.8 * rng.normal(size=(n, 12))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    S = (X @ X.T).astype(np.float32)
    np.fill_diagonal(S, -1.0)
    masks = np.full(n, (1 << 21) - 1)
    masks[rng.random(n) < 0.3] = 0b111  # some members only free in three slots
    shy = (rng.random(n) < 0.2).astype(np.int64)
    # A valid, poor start: sizes 4-6, the shy in groups of four, every group sharing a slot.
    order = np.lexsort((rng.random(n), -shy))
    sizes = [4] * 10 + [5] * 4
    labels = np.empty(n, dtype=np.int64)
    labels[order] = np.repeat(np.arange(len(sizes)), sizes)
    return S, labels, masks, shy


@pytest.mark.parametrize("seed", range(6))
def test_search_only_improves_and_keeps_every_rule(seed):
    S, labels, masks, shy = random_instance(seed)
    no_self = np.where(np.eye(len(S), dtype=bool), 0, S)  # objective() counts the diagonal
    before = objective(no_self, labels)
    new, applied = chains(S, labels, masks, shy, length=5, beam=4, neighbours=6)
    after = objective(no_self, new)
    assert applied > 0
    assert after > before
    sizes = np.bincount(new)
    assert len(sizes) == labels.max() + 1
    assert sizes.min() >= 4 and sizes.max() <= 6
    for g in range(len(sizes)):
        members = new == g
        assert np.bitwise_and.reduce(masks[members]) != 0
        if shy[members].any():
            assert members.sum() <= 4
    again, _ = chains(S, labels, masks, shy, length=5, beam=4, neighbours=6)
    assert np.array_equal(again, new)


def test_bad_parameters_are_refused():
    S, labels, masks, kind = three_misplaced()
    with pytest.raises(ValueError):
        chains(S, labels, masks, np.zeros(len(S)), length=1)
