"""Benchmark the matching library: ``python -m bench.matching [--quick]``.

Every measured call runs in its own subprocess (``bench.worker``), so the
peak memory printed belongs to that call alone: the interpreter,
numpy/scipy/scikit-learn, the synthetic members and the method together (the
larger of the process's ``ru_maxrss`` and the peak PSS of it and the child it
forks for blocks, see ``bench.tree_memory``).
Ratios are printed because this 2-core machine is noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

FULL = {
    "peer_sizes": [1_000, 10_000, 20_000],
    "big": 100_000,
    "walks": 100_000,
    "walk_patch": 400,
    "volunteers": (20_000, 1_000),
    "small": [(n, seed) for n in (16, 20, 24) for seed in (1, 2, 3, 4)],
}
QUICK = {
    "peer_sizes": [1_000, 5_000],
    "big": 20_000,
    "walks": 20_000,
    "walk_patch": 300,
    "volunteers": (5_000, 250),
    "small": [(n, seed) for n in (16, 24) for seed in (1, 2)],
}


def run(task: dict) -> dict:
    """Run one task in a fresh interpreter and return its JSON report."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker", json.dumps(task)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"task {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def table(headers: list[str], rows: list[list]) -> str:
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 100 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def save(report: dict) -> None:
    """Write what has been measured so far, so a long run that is cut short still counts."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"matching-{report['plan']}.json").write_text(json.dumps(report, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about 2 minutes")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    report: dict = {"plan": "quick" if args.quick else "full", "started": time.ctime()}
    out: list[str] = []
    out.append(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )

    # 1. Groups against k-means-constrained, rules off for both; ours with rules on.
    peer_rows, rules_rows = [], []
    report["peer"] = []
    tmp = Path(tempfile.mkdtemp())
    for n in plan["peer_sizes"]:
        log(f"groups, rules off, N={n}: ours")
        ours = run({"task": "groups_ours", "n": n, "rules": "off", "save": str(tmp / f"{n}.npy")})
        log(f"groups, rules off, N={n}: k-means-constrained with {ours['n_groups']} groups")
        peer = run(
            {
                "task": "groups_peer",
                "n": n,
                "load": str(tmp / f"{n}.npy"),
                "n_groups": ours["n_groups"],
            }
        )
        log(f"groups, rules on, N={n}: ours")
        on = run({"task": "groups_ours", "n": n, "rules": "on"})
        report["peer"].append({"n": n, "ours": ours, "peer": peer, "ours_rules_on": on})
        save(report)
        peer_rows.append(
            [
                n,
                ours["grouped"],
                ours["n_groups"],
                ours["seconds"],
                peer["seconds"],
                peer["seconds"] / ours["seconds"],
                ours["peak_mb"],
                peer["peak_mb"],
                ours["q"],
                peer["q"],
                ours["q"] / peer["q"],
                f"{100 * peer['broken_share']:.1f}%",
            ]
        )
        rules_rows.append(
            [
                n,
                on["seconds"],
                on["peak_mb"],
                on["q_all"],
                on["bound"],
                on["ratio"],
                on["n_groups"],
                on["unplaced"],
            ]
        )
    out.append(
        "\n### Groups vs k-means-constrained (hard rules off for both, same members, "
        "same number of groups, sizes 4-6)\n"
    )
    out.append(
        table(
            [
                "N",
                "grouped",
                "groups",
                "ours s",
                "KMC s",
                "speed-up (KMC/ours)",
                "ours peak MB",
                "KMC peak MB",
                "ours Q",
                "KMC Q",
                "Q ratio (ours/KMC)",
                "KMC groups breaking rules",
            ],
            peer_rows,
        )
    )
    out.append(
        "\n### Ours with every hard rule on (slots, formats, distance, languages, "
        "2% blocked pairs, 1% preferred pairs)\n"
    )
    out.append(
        table(["N", "s", "peak MB", "Q", "bound", "Q/bound", "groups", "unplaced"], rules_rows)
    )

    # 2. The big run with every rule on.
    n = plan["big"]
    log(f"groups, rules on, N={n}")
    big = run({"task": "groups_ours", "n": n, "rules": "on"})
    report["big"] = big
    save(report)
    base = next((r["ours_rules_on"] for r in report["peer"] if r["n"] == n // 10), None)
    if base is None:
        log(f"groups, rules on, N={n // 10} (for the growth ratio)")
        base = run({"task": "groups_ours", "n": n // 10, "rules": "on"})
    report["big_base"] = base
    out.append(f"\n### {n:,} members, every hard rule on\n")
    out.append(
        table(
            [
                "N",
                "s",
                "peak MB",
                "Q",
                "bound",
                "Q/bound",
                "groups",
                "unplaced",
                f"time ratio vs N={n // 10:,}",
            ],
            [
                [
                    n,
                    big["seconds"],
                    big["peak_mb"],
                    big["q_all"],
                    big["bound"],
                    big["ratio"],
                    big["n_groups"],
                    big["unplaced"],
                    big["seconds"] / base["seconds"],
                ]
            ],
        )
    )

    # 3. Small instances against the exact optimum.
    small_rows = []
    report["small"] = []
    for n, seed in plan["small"]:
        log(f"exact optimum, N={n}, seed {seed}")
        r = run({"task": "small", "n": n, "seed": seed})
        report["small"].append(r)
        save(report)
        small_rows.append(
            [
                n,
                seed,
                r["placed"],
                r["max_placed"],
                r["n_groups"],
                r["q"],
                r["q_opt"],
                r["q"] / r["q_opt"],
                r["bound"],
                r["bound"] / r["q_opt"],
            ]
        )
    proven = [row for row in small_rows if row[6] == row[6]]  # NaN: optimum not proven in time
    mean_ratio = sum(row[7] for row in proven) / max(len(proven), 1)
    mean_tight = sum(row[9] for row in proven) / max(len(proven), 1)
    if len(proven) < len(small_rows):
        out.append(
            f"\n{len(small_rows) - len(proven)} instance(s) not proven optimal within "
            "the exact solver's time limit are left out of the means."
        )
    small_rows.append(["mean", "", "", "", "", "", "", mean_ratio, "", mean_tight])
    out.append(
        "\n### Small neighbourhoods, rules on: ours vs the exact set-partitioning "
        "optimum (HiGHS, same number placed and same number of groups)\n"
    )
    out.append(
        table(
            [
                "N",
                "seed",
                "placed",
                "max placeable",
                "groups",
                "ours Q",
                "optimal Q",
                "ours/optimum",
                "bound",
                "bound/optimum",
            ],
            small_rows,
        )
    )

    # 4. Walking pairs and volunteers.
    n = plan["walks"]
    log(f"walks, N={n}")
    walks = run({"task": "walks", "n": n})
    log(f"walks vs exact matching on a {plan['walk_patch']}-walker patch")
    patch = run({"task": "walks_exact", "n": n, "patch": plan["walk_patch"]})
    report["walks"], report["walks_exact"] = walks, patch
    out.append("\n### Walking partners (pace, slot, distance, languages, blocked pairs)\n")
    out.append(
        table(
            ["N", "s", "peak MB", "Q", "bound", "Q/bound", "pairs+trios", "trios", "unplaced"],
            [
                [
                    n,
                    walks["seconds"],
                    walks["peak_mb"],
                    walks["q"],
                    walks["bound"],
                    walks["ratio"],
                    walks["matches"],
                    walks["trios"],
                    walks["unplaced"],
                ]
            ],
        )
    )
    out.append("")
    out.append(
        table(
            [
                "patch walkers",
                "feasible edges",
                "ours s",
                "exact s",
                "ours weight",
                "max-weight matching",
                "ours/exact",
            ],
            [
                [
                    patch["n"],
                    patch["edges"],
                    patch["seconds"],
                    patch["exact_seconds"],
                    patch["ours"],
                    patch["exact"],
                    patch["ours"] / patch["exact"],
                ]
            ],
        )
    )
    n, m = plan["volunteers"]
    log(f"volunteers, {n} x {m}")
    vol = run({"task": "volunteers", "n": n, "m": m, "exact": True})
    report["volunteers"] = vol
    out.append(
        f"\n### Volunteers: {n:,} members x {m:,} opportunities ({vol['places']:,} places)\n"
    )
    out.append(
        table(
            [
                "ours s",
                "peak MB",
                "placed",
                "exact placed",
                "ours total fit",
                "exact total fit",
                "fit ratio",
                "exact s (all edges, OR-Tools min-cost flow)",
                "mean fit / bound",
            ],
            [
                [
                    vol["seconds"],
                    vol["peak_mb"],
                    vol["placed"],
                    vol["exact_placed"],
                    vol["total_fit"],
                    vol["exact_total_fit"],
                    vol["total_fit"] / vol["exact_total_fit"],
                    vol["exact_seconds"],
                    vol["ratio"],
                ]
            ],
        )
    )

    text = "\n".join(out)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"matching-{report['plan']}.json").write_text(json.dumps(report, indent=2))
    (RESULTS / f"matching-{report['plan']}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
