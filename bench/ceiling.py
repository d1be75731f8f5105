"""How much more quality a far longer search finds: ``python -m bench.ceiling [options]``.

Options: ``--n N`` (community size), ``--kicks K``, ``--anneal S,...``,
``--chains K:L:B,...``, ``--interests VARIANT`` (members drawn as in
``bench.population_variants``).

Inside each block ``group_members`` stops at a swap/move local optimum
(before its chains across the whole pool). This measures what a search many
times slower reaches from there, to tell a weak search from a target the
instance does not allow: every block is grouped as ``group_members`` groups
it, then gets ``K`` kicks (a random group and its two most similar groups are
regrouped with shuffled greedy seeding, local search runs over the whole
block, and the result is kept if it is better with the same number of groups
and nobody more left out). Both are compared with k-means-constrained on the
same members and number of groups (rules off, as in ``bench.matching``).

``--anneal 300,2000`` also runs simulated annealing (``bench.anneal``) over
the whole community at once, with no blocks, from the shipped groups, once
per number of steps per member: the quality a much longer search reaches
and the seconds it needs, next to k-means-constrained's. ``--chains
8:9:8,12:10:8`` runs the library's ejection chains (``matching.chains``,
which ``group_members`` runs as 12:10:8 after the blocks) from the block
groups, once per neighbours:length:beam.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np

from matching import ProfileVectorizer
from matching.blocks import block_similarity
from matching.chains import chain_groups
from matching.feasibility import member_arrays
from matching.groups import _GroupSolver, _split_labels
from matching.localsearch import objective
from matching.quality import mean_similarity

from . import scenarios

NO_PAIRS = np.zeros(0, dtype=np.int64)


def kick(solver, S, ok, lab, masks, shy, rng) -> np.ndarray:
    """Regroup one random group and its two most similar groups, then search the block."""
    placed = lab >= 0
    a = rng.choice(np.unique(lab[placed]))
    pull = np.bincount(lab[placed], weights=S[lab == a][:, placed].sum(axis=0))
    pull[a] = -np.inf
    chosen = np.concatenate([[a], np.argsort(-pull)[:2]])
    loose = np.flatnonzero(np.isin(lab, chosen) | ~placed)
    return solver.regroup(S, ok, masks, shy, lab, loose, rng)


def kick_block(solver, X, arr, block, lab, kicks, rng) -> np.ndarray:
    """The block's labels after ``kicks`` kicks, each kept if better with as many groups."""
    S, ok = block_similarity(X, arr, block, NO_PAIRS, NO_PAIRS, in_person=False)
    masks, shy = arr.slots[block], arr.shy[block]
    best = objective(S, lab)
    n_groups, left = len(np.unique(lab[lab >= 0])), (lab < 0).sum()
    for _ in range(kicks):
        trial = kick(solver, S, ok, lab, masks, shy, rng)
        same = len(np.unique(trial[trial >= 0])) == n_groups and (trial < 0).sum() <= left
        value = objective(S, trial)
        if same and value > best:
            lab, best = trial, value
    return lab


def _whole_pool_curve(X, arr, shipped, runs) -> list[tuple[str, float, float]]:
    """Run each ``(label, search)`` over every shipped group at once (one dense matrix, no
    blocks), each from the shipped groups: (label, seconds including the matrix, Q).
    ``search(S, labels, masks, shy)`` returns new labels with the same number of groups."""
    if not runs:
        return []
    members = np.concatenate(shipped)
    labels = np.repeat(np.arange(len(shipped)), [len(g) for g in shipped])
    start = time.perf_counter()
    Xg = X[members].astype(np.float32)
    S = Xg @ Xg.T
    np.fill_diagonal(S, -1.0)
    t_matrix = time.perf_counter() - start
    q_shipped = mean_similarity(X, shipped)
    out = []
    for label, search in runs:
        start = time.perf_counter()
        new = search(S, labels, arr.slots[members], arr.shy[members])
        seconds = t_matrix + time.perf_counter() - start
        q = mean_similarity(X, [members[new == g] for g in range(len(shipped))])
        # Annealing ends where it cooled, not at the best point it passed: keep the better.
        out.append((label, seconds, max(q, q_shipped)))
    return out


def anneal_curve(X, arr, shipped, steps, small_cap) -> list[tuple[str, float, float]]:
    """Simulated annealing over the whole community, once per entry of ``steps`` (steps per
    member)."""
    from .anneal import anneal

    if steps:  # compile (or load the compiled kernel) before the clock starts
        warm = np.zeros((8, 8), dtype=np.float32)
        anneal(warm, np.repeat([0, 1], 4), np.ones(8), np.zeros(8), steps_per_member=1)
    runs = [
        (
            f"annealing, whole community, {count:,} steps per member",
            partial(anneal, steps_per_member=count, small_cap=small_cap),
        )
        for count in steps
    ]
    return _whole_pool_curve(X, arr, shipped, runs)


def chain_curve(X, arr, shipped, configs, small_cap) -> list[tuple[str, float, float]]:
    """The library's ejection chains (``matching.chains``) over the whole community from the
    block groups, once per (neighbours, length, beam): (label, seconds, Q)."""
    out = []
    for k, length, beam in configs:
        start = time.perf_counter()
        groups = chain_groups(
            X,
            arr,
            shipped,
            in_person=False,
            avoid_keys=NO_PAIRS,
            prefer_keys=NO_PAIRS,
            min_size=4,
            max_size=6,
            small_cap=small_cap,
            neighbours=k,
            length=length,
            beam=beam,
        )
        seconds = time.perf_counter() - start
        label = f"ejection chains, whole community, {k} neighbours, {length} groups, beam {beam}"
        out.append((label, seconds, mean_similarity(X, groups)))
    return out


def _configs(text: str) -> list[tuple[int, int, int]]:
    """``"8:5:8,12:7:16"`` -> [(8, 5, 8), (12, 7, 16)] (neighbours:length:beam)."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        values = part.split(":")
        if len(values) != 3 or not all(v.isdigit() for v in values):
            raise argparse.ArgumentTypeError(f"expected neighbours:length:beam, got {part!r}")
        out.append(tuple(int(v) for v in values))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="community size (rules off)")
    parser.add_argument("--kicks", type=int, default=300, help="kicks per block (0: none)")
    parser.add_argument(
        "--anneal", default="", help="comma-separated annealing steps per member, e.g. 300,2000"
    )
    parser.add_argument(
        "--chains",
        type=_configs,
        default=[],
        help="ejection-chain searches, neighbours:length:beam each, e.g. 8:5:8,12:7:16",
    )
    parser.add_argument(
        "--interests",
        default="shipped",
        choices=sorted(scenarios.INTEREST_VARIANTS),
        help="how members' interests are drawn (see bench.population_variants)",
    )
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.anneal.split(",") if s.strip()]

    community = scenarios.community(args.n, 0, scenarios.INTEREST_VARIANTS[args.interests])
    members = [m for m in scenarios.rules_off(community) if m.setting != "one_on_one"]
    X = ProfileVectorizer().fit_transform(members)
    arr = member_arrays(members)
    rng = np.random.RandomState(0)
    solver = _GroupSolver(X, arr, NO_PAIRS, NO_PAIRS, 4, 6, 400, rng)
    blocks = solver.blocks(np.arange(len(members)), False)
    shipped: list[np.ndarray] = []
    searched: list[np.ndarray] = []
    t_ship = t_search = 0.0
    for block in blocks:
        start = time.perf_counter()
        lab = solver.solve_block(block, False, np.random.RandomState(rng.randint(2**31 - 1)))
        t_ship += time.perf_counter() - start
        shipped += _split_labels(block, lab)
        if args.kicks:
            start = time.perf_counter()
            lab = kick_block(solver, X, arr, block, lab, args.kicks, rng)
            t_search += time.perf_counter() - start
        searched += _split_labels(block, lab)

    from k_means_constrained import KMeansConstrained

    grouped = np.concatenate(shipped)
    longer = anneal_curve(X, arr, shipped, steps, solver.small_cap)
    longer += chain_curve(X, arr, shipped, args.chains, solver.small_cap)
    start = time.perf_counter()
    labels = KMeansConstrained(
        n_clusters=len(shipped), size_min=4, size_max=6, n_init=1, random_state=0
    ).fit_predict(X[grouped])
    t_peer = time.perf_counter() - start
    q_peer = mean_similarity(X, [grouped[labels == c] for c in range(len(shipped))])
    q_ship, q_search = mean_similarity(X, shipped), mean_similarity(X, searched)
    print(
        f"N={args.n}, {args.interests} interests ({len(members)} group-seekers, "
        f"{len(blocks)} blocks, {len(shipped)} groups)"
    )
    print("| search | seconds | Q | Q / k-means-constrained |")
    print("| --- | --- | --- | --- |")
    print(f"| blocks (before chains) | {t_ship:.1f} | {q_ship:.4f} | {q_ship / q_peer:.3f} |")
    if args.kicks:
        print(
            f"| + {args.kicks} kicks per block | {t_ship + t_search:.1f} | {q_search:.4f} "
            f"| {q_search / q_peer:.3f} |"
        )
    for label, seconds, q in longer:
        print(f"| {label} | {t_ship + seconds:.1f} | {q:.4f} | {q / q_peer:.3f} |")
    print(f"| k-means-constrained | {t_peer:.1f} | {q_peer:.4f} | 1.000 |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
