"""Blocks in a forked process against blocks on two threads: ``python -m bench.block_workers``.

Runs ``group_members`` with every hard rule on, alternating the two ways of
spreading blocks (``matching.block_pool``), each in a fresh process
(``bench.worker``), and prints seconds, peak memory, Q and the ratio
threads / fork for each pair of runs. Alternating keeps both sides under the
same background load on this noisy 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time

from .matching import log, run, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10000,100000", help="comma-separated community sizes")
    parser.add_argument("--repeat", type=int, default=3, help="pairs of runs per size")
    args = parser.parse_args(argv)
    rows = []
    for n in [int(s) for s in args.n.split(",")]:
        for attempt in range(1, args.repeat + 1):
            pair = {}
            for workers in ("threads", "fork"):
                log(f"N={n:,} run {attempt}: {workers}")
                task = {"task": "groups_ours", "n": n, "rules": "on", "workers": workers}
                pair[workers] = run(task)
            threads, fork = pair["threads"], pair["fork"]
            if (threads["q"], threads["unplaced"]) != (fork["q"], fork["unplaced"]):
                print(f"different groups at N={n}: {threads} vs {fork}", file=sys.stderr)
                return 1
            rows.append(
                [
                    n,
                    attempt,
                    threads["seconds"],
                    fork["seconds"],
                    threads["seconds"] / fork["seconds"],
                    threads["peak_mb"],
                    fork["peak_mb"],
                    fork["q"],
                    fork["unplaced"],
                ]
            )
    print(f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(
        table(
            [
                "N",
                "run",
                "threads s",
                "fork s",
                "threads / fork",
                "threads peak MB",
                "fork peak MB",
                "Q (both)",
                "unplaced (both)",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
