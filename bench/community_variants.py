"""Does the lead over k-means-constrained hold on communities built differently?
``python -m bench.community_variants [--n 10000,20000] [--variants V,...]``.

For each variant of ``bench.communities.VARIANTS`` (and ``shipped``, the
``matching.synthetic`` community itself) it runs ours and the peer as
``bench.matching`` does: rules off for both (everyone online, every slot, no
languages, nobody to avoid), the peer gets exactly the members we grouped, the
same number of groups and sizes 4-6, and Q for both comes from the same
``ProfileVectorizer`` vectors. Each call runs in its own process. It prints per
variant Q ours, Q peer, their ratio, both times and the speed ratio (wall
clock, as ``bench.matching``; also the ratio of CPU seconds, steadier on a
shared machine, though ours uses two cores where the peer uses about one), the
rules-off top-(size - 1) bound over the peer's Q (the most any grouping could
lead by; ``matching.quality.top_k_bound``, sampled), with ``--priced-bound``
the priced bound over the peer's Q and ours over it (``matching.dual_bound``:
tighter, and proven for any grouping of those members into groups of four or
more), with ``--cover-bound`` the cover bound likewise
(``matching.cover_bound``: groups kept whole, so tighter again; the surest
answer to how far any grouping could lead), and ours with every rule on (Q
and unplaced) for scale.

The peer's result depends only on the members it is given and the number of
groups, so it is cached under ``bench/results/peer-cache/`` by a hash of both:
a change to our search that groups the same members into as many groups reuses
it (``--fresh-peer`` reruns it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from .communities import VARIANTS
from .matching import RESULTS, log, run, table

NAMES = ["shipped"] + [name for name in VARIANTS if name != "reference"]


def peer_key(name: str, n: int, n_groups: int, idx: np.ndarray) -> str:
    digest = hashlib.sha1(np.sort(idx).astype(np.int64).tobytes()).hexdigest()[:16]
    return f"{name}-{n}-{n_groups}-{digest}"


def measure(name: str, n: int, tmp: Path, args: argparse.Namespace) -> dict:
    """Ours (rules off, and on), then the peer on the same members and number of groups,
    then the bounds ``args`` asks for."""
    task: dict = {"n": n, "variant": None if name == "shipped" else name}
    save = str(tmp / f"{name}-{n}.npy")
    log(f"N={n}, {name}: ours, rules off")
    ours = run({"task": "groups_ours", "rules": "off", "save": save, **task})
    key = peer_key(name, n, ours["n_groups"], np.load(save))
    cached = RESULTS / "peer-cache" / f"{key}.json"
    if cached.exists() and not args.fresh_peer:
        peer = json.loads(cached.read_text())
        log(f"N={n}, {name}: k-means-constrained from the cache ({cached.name})")
    else:
        log(f"N={n}, {name}: k-means-constrained with {ours['n_groups']} groups")
        peer = run({"task": "groups_peer", "load": save, "n_groups": ours["n_groups"], **task})
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(peer))
    bound = None
    if args.priced_bound:
        log(f"N={n}, {name}: priced bound over the members grouped")
        bound = run({"task": "priced_bound", "load": save, **task})
    covered = None
    if args.cover_bound:
        log(f"N={n}, {name}: cover bound over the members grouped")
        covered = run({"task": "cover_bound", "load": save, **task})
    on = None
    if not args.no_rules_on:
        log(f"N={n}, {name}: ours, rules on")
        on = run({"task": "groups_ours", "rules": "on", **task})
    log(
        f"N={n}, {name}: Q {ours['q']:.4f} vs {peer['q']:.4f} = {ours['q'] / peer['q']:.3f}, "
        f"{ours['seconds']:.2f} s vs {peer['seconds']:.1f} s"
    )
    return {
        "variant": name,
        "n": n,
        "ours": ours,
        "peer": peer,
        "ours_rules_on": on,
        "priced_bound": bound,
        "cover_bound": covered,
    }


def cpu_ratio(ours: dict, peer: dict) -> str:
    """The peer's CPU seconds over ours (blank where a cached peer run predates the field)."""
    if "cpu_seconds" not in ours or "cpu_seconds" not in peer:
        return ""
    return f"{peer['cpu_seconds'] / ours['cpu_seconds']:.1f}"


def row(r: dict) -> list:
    ours, peer, on = r["ours"], r["peer"], r["ours_rules_on"]
    priced = r.get("priced_bound")
    cover = r.get("cover_bound")
    return [
        r["variant"],
        r["n"],
        ours["grouped"],
        ours["n_groups"],
        ours["q"],
        peer["q"],
        round(ours["q"] / peer["q"], 3),
        round(ours["seconds"], 2),
        round(peer["seconds"], 1),
        round(peer["seconds"] / ours["seconds"], 1),
        cpu_ratio(ours, peer),
        round(ours["bound"] / peer["q"], 3),
        "" if priced is None else round(priced["bound"] / peer["q"], 3),
        "" if priced is None else round(ours["q"] / priced["bound"], 3),
        "" if cover is None else round(cover["bound"] / peer["q"], 4),
        "" if cover is None else round(ours["q"] / cover["bound"], 3),
        "" if on is None else on["q_all"],
        "" if on is None else on["unplaced"],
    ]


HEADERS = [
    "variant",
    "N",
    "grouped",
    "groups",
    "ours Q",
    "KMC Q",
    "Q ratio",
    "ours s",
    "KMC s",
    "speed-up",
    "CPU-time ratio",
    "bound/KMC Q",
    "priced bound/KMC Q",
    "ours/priced bound",
    "cover bound/KMC Q",
    "ours/cover bound",
    "ours Q, rules on",
    "unplaced, rules on",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10000,20000", help="comma-separated community sizes")
    parser.add_argument("--variants", default="all", help=f"comma-separated, of {NAMES}")
    parser.add_argument("--fresh-peer", action="store_true", help="ignore the peer cache")
    parser.add_argument("--no-rules-on", action="store_true", help="skip ours with rules on")
    parser.add_argument(
        "--priced-bound",
        action="store_true",
        help="also the priced (Lagrangian) bound, matching.dual_bound: minutes per variant",
    )
    parser.add_argument(
        "--cover-bound",
        action="store_true",
        help="also the cover bound, matching.cover_bound: about 7 minutes per variant at 10,000",
    )
    args = parser.parse_args(argv)
    names = NAMES if args.variants == "all" else args.variants.split(",")
    unknown = set(names) - set(NAMES) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {sorted(unknown)}")
    tmp = Path(tempfile.mkdtemp())
    store = RESULTS / "community-variants.json"
    RESULTS.mkdir(exist_ok=True)
    saved = json.loads(store.read_text()) if store.exists() else {}
    rows = []
    for n in [int(s) for s in args.n.split(",")]:
        for name in names:
            r = measure(name, n, tmp, args)
            r["at"] = time.ctime()
            saved[f"{name}@{n}"] = r
            store.write_text(json.dumps(saved, indent=2))
            rows.append(row(r))
    print(table(HEADERS, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
