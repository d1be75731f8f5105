"""Venue placement against the exact optimum: ``python -m bench.venue_placement [--quick]``.

``--compare-previous [REV]`` also times the implementation at git revision
REV (default ``dc9a594``, before contested meetings saw every venue in reach)
on the same instances in the same run, and prints the ratio.

Synthetic meetings (groups, pairs, trios and walks) and venues in the city
of :mod:`matching.synthetic`, seeded. Three measurements:

1. time of :func:`matching.venues.place_meetings` on 20,000 meetings and
   2,000 venues (target under 2 s);
2. on small instances (300 meetings x 60 venues and 1,000 x 100 with
   evening venues scarce, several seeds), meetings
   placed and total travel against the exact lexicographic optimum (most
   meetings placed, then least cost) found by HiGHS through
   ``scipy.optimize.milp`` on every feasible edge (target: same number
   placed, travel within 1%);
3. ours against that exact solve at a middle size, timed in the same run
   (the machines here are noisy; the ratio of the two is what to read).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from sklearn.utils import check_random_state

from matching import synthetic
from matching.feasibility import haversine_km
from matching.members import N_SLOTS
from matching.venues import (
    NOISE_KM,
    QUIETNESS,
    VENUE_KINDS,
    MeetingRequest,
    Venue,
    VenuePlacement,
    place_meetings,
)

KIND_SHARE = np.array([0.35, 0.2, 0.2, 0.15, 0.1])  # cafes, library rooms, centres, parks, sites
QUIET_BY_KIND = np.array(
    [[0.15, 0.5, 0.35], [0.8, 0.2, 0.0], [0.4, 0.45, 0.15], [0.5, 0.4, 0.1], [0.3, 0.5, 0.2]]
)
STEP_FREE_BY_KIND = np.array([0.5, 0.9, 0.85, 0.6, 0.5])
CAPACITY_BY_KIND = ((1, 3), (1, 2), (2, 4), (2, 5), (1, 2))
EVENING_BY_KIND = np.array([0.25, 0.5, 1.0, 0.1, 0.25])  # how readily each kind opens evenings
KM_PER_DEG_LAT = synthetic.KM_PER_DEG_LAT


def _offset(rng: np.random.RandomState, centres: np.ndarray, spread_km: float) -> np.ndarray:
    step = rng.normal(0.0, spread_km, size=centres.shape)
    lat = centres[..., 0] + step[..., 0] / KM_PER_DEG_LAT
    lon = centres[..., 1] + step[..., 1] / (
        KM_PER_DEG_LAT * np.cos(np.radians(synthetic.CITY_CENTRE[0]))
    )
    return np.stack([lat, lon], axis=-1).round(5)


def instance(
    n_meetings: int, n_venues: int, *, random_state=0, scarce_evenings: bool = False
) -> tuple[list[MeetingRequest], list[Venue]]:
    """Seeded meetings and venues; ``n_venues // 50`` neighbourhoods (2 to 40) hold them.

    ``scarce_evenings`` makes cafes, parks and volunteering sites (and, less
    so, library rooms) rarely open in the evening, when most meetings are,
    so many venue slots are short of seats.

    Keeping about 50 venues per neighbourhood makes a small instance a
    district of the large one rather than a thinly spread city.
    """
    rng = check_random_state(random_state)
    hoods = synthetic.neighbourhoods(rng)[: int(np.clip(n_venues // 50, 2, 40))]
    weights = synthetic.slot_weights()

    which = rng.randint(len(hoods), size=n_venues)
    venue_at = _offset(rng, hoods[which], 1.0)
    kinds = rng.choice(len(VENUE_KINDS), size=n_venues, p=KIND_SHARE)
    n_open = rng.randint(6, 15, size=n_venues)
    keys = rng.gumbel(size=(n_venues, N_SLOTS)) + np.log(weights)
    if scarce_evenings:
        keys[:, 2::3] += np.log(EVENING_BY_KIND[kinds])[:, None]
    open_order = np.argsort(-keys, axis=1)
    venues = []
    for j in range(n_venues):
        k = int(kinds[j])
        low, high = CAPACITY_BY_KIND[k]
        venues.append(
            Venue(
                id=f"venue-{j}",
                name=f"{VENUE_KINDS[k].replace('_', ' ')} {j}",
                location=(float(venue_at[j, 0]), float(venue_at[j, 1])),
                kind=VENUE_KINDS[k],
                slots=frozenset(int(s) for s in open_order[j, : n_open[j]]),
                capacity=int(rng.randint(low, high + 1)),
                step_free=bool(rng.rand() < STEP_FREE_BY_KIND[k]),
                quietness=QUIETNESS[rng.choice(3, p=QUIET_BY_KIND[k])],
                walk_start=bool(rng.rand() < 0.1),
            )
        )

    kind = rng.choice(["group", "pair", "trio", "walk"], size=n_meetings, p=[0.55, 0.2, 0.1, 0.15])
    size = np.select(
        [kind == "group", kind == "trio", kind == "walk"],
        [rng.randint(4, 7, size=n_meetings), 3, 2 + (rng.rand(n_meetings) < 0.2)],
        default=2,
    )
    centre = hoods[rng.randint(len(hoods), size=n_meetings)]
    centre = _offset(rng, centre, 0.8)
    slot = rng.choice(N_SLOTS, size=n_meetings, p=weights)
    quiet = rng.rand(n_meetings) < 0.3
    step_free = rng.rand(n_meetings) < 0.12
    meetings = []
    for i in range(n_meetings):
        homes = _offset(rng, np.repeat(centre[i][None, :], size[i], axis=0), 0.5)
        limits = rng.choice([2.0, 3.0, 5.0, 8.0, 15.0], size=size[i], p=[0.15, 0.3, 0.3, 0.15, 0.1])
        meetings.append(
            MeetingRequest(
                key=i,
                slot=int(slot[i]),
                locations=tuple((float(a), float(b)) for a, b in homes),
                max_km=tuple(float(km) for km in limits),
                kind=str(kind[i]),
                needs_step_free=bool(step_free[i]),
                wants_quiet=bool(quiet[i]),
            )
        )
    return meetings, venues


def all_feasible_edges(
    meetings: Sequence[MeetingRequest], venues: Sequence[Venue], noise_km: float = NOISE_KM
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (meeting, venue) pair obeying the hard rules, checked densely (no tree).

    Returns rows, venue indices, cost (travel plus the noise term) and travel.
    """
    coords = np.radians([v.location for v in venues])
    opens = np.array([[s in v.slots for s in range(N_SLOTS)] for v in venues])
    step_free = np.array([v.step_free for v in venues])
    quiet = np.array([v.quietness == "quiet" for v in venues])
    noise = np.array([QUIETNESS.index(v.quietness) for v in venues], dtype=np.float64)
    walk_start = np.array([v.starts_walks for v in venues])
    rows, cols, cost, travel = [], [], [], []
    for i, r in enumerate(meetings):
        ok = opens[:, r.slot].copy()
        if r.needs_step_free:
            ok &= step_free
        if r.wants_quiet:
            ok &= quiet
        if r.walk:
            ok &= walk_start
        cand = np.flatnonzero(ok)
        d = haversine_km(np.radians(r.locations)[None, :, :], coords[cand][:, None, :])
        reach = (d <= np.array(r.max_km)).all(axis=1)
        cand, d = cand[reach], d[reach]
        rows.append(np.full(len(cand), i))
        cols.append(cand)
        travel.append(d.sum(axis=1))
        cost.append(d.sum(axis=1) + noise_km * len(r.locations) * noise[cand])
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(cost),
        np.concatenate(travel),
    )


def exact_placement(
    meetings: Sequence[MeetingRequest], venues: Sequence[Venue], noise_km: float = NOISE_KM
) -> tuple[int, float, float, dict]:
    """The lexicographic optimum by HiGHS (``scipy.optimize.milp``), in two solves.

    First the most meetings that can be placed, then the least cost among
    placements of that many. Variables are the feasible (meeting, venue)
    edges at the meeting's slot; each meeting takes at most one venue and
    each venue at most its capacity per slot. Returns (placed, cost, travel,
    key -> venue id).
    """
    rows, cols, cost, travel = all_feasible_edges(meetings, venues, noise_km)
    e = len(rows)
    if e == 0:
        return 0, 0.0, 0.0, {}
    slot = np.array([r.slot for r in meetings])[rows]
    column = cols * N_SLOTS + slot
    used, column = np.unique(column, return_inverse=True)
    capacity = np.array([venues[c // N_SLOTS].capacity for c in used], dtype=np.float64)
    per_meeting = sparse.csr_array((np.ones(e), (rows, np.arange(e))), shape=(len(meetings), e))
    per_seat = sparse.csr_array((np.ones(e), (column, np.arange(e))), shape=(len(used), e))
    constraints = [
        LinearConstraint(per_meeting, 0, 1),
        LinearConstraint(per_seat, 0, capacity),
    ]
    options = {"mip_rel_gap": 0.0}
    first = milp(
        -np.ones(e),
        constraints=constraints,
        integrality=np.ones(e),
        bounds=Bounds(0, 1),
        options=options,
    )
    most = int(round(-first.fun))
    constraints.append(LinearConstraint(np.ones((1, e)), most, most))
    second = milp(
        cost, constraints=constraints, integrality=np.ones(e), bounds=Bounds(0, 1), options=options
    )
    x = second.x > 0.5
    chosen = {meetings[i].key: venues[j].id for i, j in zip(rows[x], cols[x], strict=True)}
    return most, float(cost[x].sum()), float(travel[x].sum()), chosen


def our_cost(result: VenuePlacement, meetings, venues, noise_km: float = NOISE_KM) -> float:
    """Travel plus the noise term, the objective both solvers minimise."""
    size = {r.key: len(r.locations) for r in meetings}
    noise = {v.id: QUIETNESS.index(v.quietness) for v in venues}
    return result.total_travel_km + sum(
        noise_km * size[p.key] * noise[p.venue_id] for p in result.placed
    )


PREVIOUS = "dc9a594"  # the placement before contested meetings saw every venue in reach


def previous_place_meetings(rev: str = PREVIOUS):
    """``place_meetings`` as it was at git revision ``rev``, loaded beside today's."""
    modules = {}
    for name in ("venue_search", "venues"):
        source = subprocess.run(
            ["git", "show", f"{rev}:matching/{name}.py"], capture_output=True, text=True, check=True
        ).stdout
        source = source.replace("from .venue_search import", "from ._previous_venue_search import")
        module = types.ModuleType(f"matching._previous_{name}")
        module.__package__ = "matching"
        sys.modules[module.__name__] = module
        exec(compile(source, f"{rev}:matching/{name}.py", "exec"), module.__dict__)  # noqa: S102
        modules[name] = module
    return modules["venues"].place_meetings


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, smaller middle size")
    parser.add_argument(
        "--compare-previous",
        nargs="?",
        const=PREVIOUS,
        metavar="REV",
        help=f"also time place_meetings at git revision REV (default {PREVIOUS})",
    )
    args = parser.parse_args(argv)
    previous = previous_place_meetings(args.compare_previous) if args.compare_previous else None
    seeds = range(3) if args.quick else range(6)
    middle = (2_000, 200) if args.quick else (5_000, 500)
    large = (5_000, 500) if args.quick else (20_000, 2_000)

    place_meetings(*instance(200, 40, random_state=99))  # warm imports and caches
    if previous is not None:
        previous(*instance(200, 40, random_state=99))
    print(f"## place_meetings on {large[0]:,} meetings x {large[1]:,} venues")
    for scarce in (False, True):
        meetings, venues = instance(*large, random_state=0, scarce_evenings=scarce)
        # Best of three: the machine is shared, and the best run is the least disturbed.
        runs = [timed(place_meetings, meetings, venues) for _ in range(3)]
        result, seconds = runs[0][0], min(r[1] for r in runs)
        line = (
            f"{'evening venues scarce' if scarce else 'venues open as meetings are'}: "
            f"{seconds:.2f} s (best of 3; target < 2 s), placed {len(result.placed):,} "
            f"({len(result.placed) / large[0]:.1%}), mean travel per meeting "
            f"{result.total_travel_km / max(len(result.placed), 1):.2f} km"
        )
        if previous is not None:
            before = [timed(previous, meetings, venues) for _ in range(3)]
            old, old_s = before[0][0], min(r[1] for r in before)
            line += (
                f"; previous ({args.compare_previous}) {old_s:.2f} s, placed "
                f"{len(old.placed):,}: {old_s / seconds:.1f}x faster now"
            )
        print(line, flush=True)

    print("\n## Against the exact optimum (HiGHS via scipy.optimize.milp, two solves)")
    print(
        "| meetings x venues | seed | placed ours / exact | cost ratio | travel ratio "
        "| ours s | exact s |"
    )
    print("|---|---|---|---|---|---|---|")
    ratios = []
    # Odd seeds with evening venues scarce, so some instances are short of seats; the
    # 1,000 x 100 instances are all scarce, where the contested part is large.
    cases = [(300, 60, seed, seed % 2 == 1) for seed in seeds]
    cases += [(1_000, 100, seed, True) for seed in seeds[: len(seeds) // 2]]
    for n, m, seed, scarce in cases:
        meetings, venues = instance(n, m, random_state=seed, scarce_evenings=scarce)
        result, ours_s = timed(place_meetings, meetings, venues)
        (most, best_cost, best_travel, _), exact_s = timed(exact_placement, meetings, venues)
        cost_ratio = our_cost(result, meetings, venues) / best_cost
        travel_ratio = result.total_travel_km / best_travel
        ratios.append((len(result.placed) == most, cost_ratio, travel_ratio))
        print(
            f"| {n} x {m}{' scarce' if scarce else ''} | {seed} | {len(result.placed)} / {most} "
            f"| {cost_ratio:.4f} | {travel_ratio:.4f} | {ours_s:.3f} | {exact_s:.2f} |",
            flush=True,
        )
    same = sum(r[0] for r in ratios)
    print(
        f"same number placed on {same}/{len(ratios)}; worst cost ratio "
        f"{max(r[1] for r in ratios):.4f}, worst travel ratio {max(r[2] for r in ratios):.4f} "
        "(target within 1.01)"
    )

    n, m = middle
    meetings, venues = instance(n, m, random_state=0, scarce_evenings=True)
    result, ours_s = timed(place_meetings, meetings, venues)
    (most, best_cost, best_travel, _), exact_s = timed(exact_placement, meetings, venues)
    print(f"\n## Middle size, same run: {n:,} meetings x {m:,} venues, evening venues scarce")
    if previous is not None:
        old_result, old_s = timed(previous, meetings, venues)
        print(
            f"previous ({args.compare_previous}): {old_s:.2f} s, placed "
            f"{len(old_result.placed):,} / {most:,}"
        )
    print(
        f"ours {ours_s:.2f} s, exact {exact_s:.2f} s (edges checked densely, then HiGHS): "
        f"{exact_s / ours_s:.0f}x; placed {len(result.placed):,} / {most:,}; "
        f"cost ratio {our_cost(result, meetings, venues) / best_cost:.4f}, "
        f"travel ratio {result.total_travel_km / best_travel:.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
