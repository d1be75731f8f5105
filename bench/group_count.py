"""Groups seeded at four against seeded at the range's midpoint, each against
k-means-constrained given the same number of groups:
``python -m bench.group_count [--n 10000,20000]``.

``group_members`` keeps the number of groups its seeding makes (chains and
moves change who is where, not how many groups there are), so the size seeds
aim at decides that number, and the peer comparison gives the peer the same
number (MATCHING-NOTES: mean similarity rewards small groups, so both get the
same count). This prints, for each seeding, our Q, the peer's Q at that
count and the ratio, and also the ratio of each of our results to the peer's
better score at either count, so the share of the change that is the peer
doing worse with more, smaller groups is visible. Rules off, as in
``bench.matching``; seconds are not the point here (one process, peer runs
in this process too).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import matching.groups as groups_module
from matching import ProfileVectorizer, group_members
from matching.quality import mean_similarity

from . import scenarios
from .worker import warm_up

MIDPOINT = "midpoint"
FOUR = "four"


def seeded(size_rule: str):
    """A ``_GroupSolver`` whose seeds aim at four (shipped) or at the midpoint of the range."""
    base = groups_module._GroupSolver

    class Solver(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if size_rule == MIDPOINT:
                self.target = min(
                    self.max_size, max(self.min_size, (self.min_size + self.max_size) // 2)
                )

    return Solver


def ours(members, X, size_rule: str) -> tuple[list[np.ndarray], float]:
    shipped = groups_module._GroupSolver
    groups_module._GroupSolver = seeded(size_rule)
    try:
        start = time.perf_counter()
        result = group_members(members)
        seconds = time.perf_counter() - start
    finally:
        groups_module._GroupSolver = shipped
    index = {m.id: i for i, m in enumerate(members)}
    found = [
        np.array([index[i] for i in g.member_ids]) for g in result.matches if g.kind == "group"
    ]
    return found, seconds


def peer(X, groups: list[np.ndarray]) -> tuple[float, float]:
    from k_means_constrained import KMeansConstrained

    idx = np.concatenate(groups)
    k = len(groups)
    start = time.perf_counter()
    labels = KMeansConstrained(
        n_clusters=k, size_min=4, size_max=6, n_init=1, random_state=0
    ).fit_predict(X[idx])
    seconds = time.perf_counter() - start
    return mean_similarity(X, [idx[labels == c] for c in range(k)]), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10000,20000", help="community sizes, comma-separated")
    args = parser.parse_args(argv)
    warm_up()
    print(
        "| N | seeds aim at | groups | sizes 4/5/6 | ours s | ours Q | peer s | peer Q "
        "| Q ratio (same count) | ours / peer's better Q |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(v) for v in args.n.split(",")):
        members = scenarios.rules_off(scenarios.community(n, 0))
        X = ProfileVectorizer().fit_transform(members)
        rows = []
        for rule in (MIDPOINT, FOUR):
            found, seconds = ours(members, X, rule)
            q = mean_similarity(X, found)
            q_peer, peer_seconds = peer(X, found)
            sizes = np.bincount([len(g) for g in found], minlength=7)[4:7]
            rows.append((rule, len(found), sizes, seconds, q, peer_seconds, q_peer))
        best_peer = max(r[-1] for r in rows)
        for rule, k, sizes, seconds, q, peer_seconds, q_peer in rows:
            print(
                f"| {n:,} | {rule} | {k:,} | {'/'.join(map(str, sizes))} | {seconds:.1f} "
                f"| {q:.4f} | {peer_seconds:.0f} | {q_peer:.4f} | {q / q_peer:.4f} "
                f"| {q / best_peer:.4f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
