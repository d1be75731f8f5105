"""One measured task per process, so peak memory (``ru_maxrss``) belongs to that task alone.

Usage: ``python -m bench.worker '<json task>'``; prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections import Counter

import numpy as np

from matching import (
    ProfileVectorizer,
    assign_volunteers,
    group_members,
    pair_walkers,
    synthetic,
)
from matching.feasibility import member_arrays, pair_ok
from matching.quality import mean_similarity, top_k_bound

from . import exact, scenarios
from .rules import breaks_rules
from .tree_memory import TreePeak


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User and system CPU of this process and its reaped children (forked blocks):
    on a shared machine, steadier than wall-clock seconds."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, *args, **kwargs):
    """``fn``'s result and its seconds and peak memory.

    ``peak_mb`` is the larger of this process's peak RSS and the sampled peak
    PSS of this process with the children it forks (``tree_peak_mb``).
    """
    baseline = rss_mb()
    cpu = cpu_seconds()
    with TreePeak() as tree:
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        seconds = time.perf_counter() - start
        cpu = cpu_seconds() - cpu  # before the memory sampler (a child too) is reaped
    return out, {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mb": max(peak_mb(), tree.mb),
        "self_peak_mb": peak_mb(),
        "tree_peak_mb": tree.mb,
        "baseline_mb": baseline,
    }


def warm_up() -> None:
    """Load the library's compiled kernels (numba, cached on disk) before any clock starts,
    as the peer's compiled code is loaded before it runs."""
    group_members(scenarios.community(200, 1))


def groups_ours(task):
    warm_up()
    members = scenarios.community(
        task["n"], task.get("seed", 0), task.get("interests"), task.get("variant")
    )
    avoid, prefer = (), ()
    if task["rules"] == "off":
        members = scenarios.rules_off(members)
    else:
        avoid = scenarios.blocked_pairs(members)
        prefer = scenarios.preferred_pairs(members)
    result, stats = timed(group_members, members, avoid=avoid, prefer=prefer)
    groups = [m for m in result.matches if m.kind == "group"]
    index = {m.id: i for i, m in enumerate(members)}
    X = ProfileVectorizer().fit_transform(members)
    grouped = [np.array([index[i] for i in g.member_ids]) for g in groups]
    stats.update(
        n=len(members),
        q=mean_similarity(X, grouped),
        q_all=result.quality.mean_similarity,
        bound=result.quality.bound,
        ratio=result.quality.ratio,
        n_groups=len(groups),
        grouped=int(sum(len(g) for g in grouped)),
        unplaced=len(result.unplaced),
        sizes=dict(sorted(Counter(len(g) for g in grouped).items())),
    )
    if "save" in task:
        np.save(task["save"], np.concatenate(grouped))
        np.save(sizes_path(task["save"]), np.array([len(g) for g in grouped]))
    return stats


def grouped_by_ours(task):
    """The task's community, its rules-off vectors, and the members ours grouped (``load``)."""
    original = scenarios.community(
        task["n"], task.get("seed", 0), task.get("interests"), task.get("variant")
    )
    X = ProfileVectorizer().fit_transform(scenarios.rules_off(original))
    return original, X, np.load(task["load"])


def groups_peer(task):
    from k_means_constrained import KMeansConstrained

    original, X, idx = grouped_by_ours(task)
    k = task["n_groups"]
    Xg = X[idx]
    model = KMeansConstrained(n_clusters=k, size_min=4, size_max=6, n_init=1, random_state=0)
    labels, stats = timed(model.fit_predict, Xg)
    groups = [idx[labels == c] for c in range(k)]
    avoid = set(scenarios.blocked_pairs(original))
    broken = sum(breaks_rules([original[i] for i in g], avoid) for g in groups)
    stats.update(q=mean_similarity(X, groups), n_groups=k, broken_share=broken / k)
    return stats


def sizes_path(save: str) -> str:
    """Where ``groups_ours`` keeps its group sizes beside the members it saved."""
    return save.removesuffix(".npy") + "-sizes.npy"


def cover_bound(task):
    """The cover bound over the members ours grouped, its prices started from our groups."""
    from matching.cover_bound import cover_bound as bound_of

    _, X, idx = grouped_by_ours(task)
    sizes = np.load(sizes_path(task["load"]))
    start = np.split(np.arange(len(idx)), np.cumsum(sizes)[:-1])
    bound, stats = timed(bound_of, X[idx], start=start)
    stats.update(bound=bound, members=len(idx))
    return stats


def priced_bound(task):
    """The priced bound over the members ours grouped (rules off, groups of four or more)."""
    from matching.dual_bound import partition_bound

    _, X, idx = grouped_by_ours(task)
    bound, stats = timed(partition_bound, X[idx], min_size=4)
    stats.update(bound=bound, members=len(idx))
    return stats


def walks(task):
    members = scenarios.community(task["n"], task.get("seed", 0))
    avoid = scenarios.blocked_pairs(members)
    result, stats = timed(pair_walkers, members, avoid=avoid)
    stats.update(
        n=len(members),
        q=result.quality.mean_similarity,
        bound=result.quality.bound,
        ratio=result.quality.ratio,
        matches=len(result.matches),
        trios=sum(m.kind == "trio" for m in result.matches),
        unplaced=len(result.unplaced),
    )
    return stats


def walks_exact(task):
    """Our pairs vs the maximum-weight matching on one dense neighbourhood patch."""
    everyone = scenarios.community(task["n"], task.get("seed", 0))
    walkers = [m for m in everyone if m.location is not None and m.format != "online"]
    rng = np.random.RandomState(task.get("seed", 0))
    centre = np.array(walkers[rng.randint(len(walkers))].location)
    coords = np.array([m.location for m in walkers])
    patch = [walkers[i] for i in np.argsort(((coords - centre) ** 2).sum(axis=1))[: task["patch"]]]
    result, stats = timed(pair_walkers, patch)
    X = ProfileVectorizer().fit_transform(patch)
    arr = member_arrays(patch)
    n = len(patch)
    ii, jj = np.triu_indices(n, 1)
    ok = pair_ok(arr, ii, jj, np.zeros(0, dtype=np.int64), True)
    pi, pj = arr.pace[ii], arr.pace[jj]
    ok &= (pi < 0) | (pj < 0) | (np.abs(pi - pj) <= 1)
    ii, jj = ii[ok], jj[ok]
    w = np.einsum("ij,ij->i", X[ii].astype(np.float64), X[jj].astype(np.float64))
    start = time.perf_counter()
    best = exact.max_weight_matching(ii, jj, w, n)
    exact_seconds = time.perf_counter() - start
    # A matching inside ours: each pair, and each trio's best pair.
    index = {m.id: i for i, m in enumerate(patch)}
    ours = 0.0
    for m in result.matches:
        people = [index[i] for i in m.member_ids]
        ours += max(float(X[a] @ X[b]) for a in people for b in people if a < b)
    stats.update(n=n, edges=len(w), ours=ours, exact=best, exact_seconds=exact_seconds)
    return stats


def volunteers(task):
    members = scenarios.community(task["n"], task.get("seed", 0))
    opps = synthetic.opportunities(task["m"], random_state=task.get("seed", 0))
    result, stats = timed(assign_volunteers, members, opps)
    fits = np.array([m.score for m in result.matches])
    stats.update(
        n=len(members),
        m=len(opps),
        places=sum(o.capacity for o in opps),
        placed=len(result.matches),
        total_fit=float(fits.sum()),
        q=result.quality.mean_similarity,
        bound=result.quality.bound,
        ratio=result.quality.ratio,
    )
    if task.get("exact"):
        from matching.volunteers import candidate_fits

        vec = ProfileVectorizer().fit(members)
        start = time.perf_counter()
        rows, cols, fit = candidate_fits(members, opps, vec)
        capacity = np.array([o.capacity for o in opps])
        placed, total = exact.optimal_assignment(rows, cols, fit, len(members), capacity)
        stats.update(
            exact_seconds=time.perf_counter() - start,
            exact_placed=placed,
            exact_total_fit=total,
            edges=len(rows),
        )
    return stats


def small(task):
    members = scenarios.neighbourhood(task["n"], task["seed"])
    result = group_members(members, random_state=task["seed"])
    groups = [m for m in result.matches if m.kind == "group"]
    X = ProfileVectorizer().fit_transform(members)
    index = {m.id: i for i, m in enumerate(members)}
    grouped = [np.array([index[i] for i in g.member_ids]) for g in groups]
    placed = int(sum(len(g) for g in grouped))
    q = mean_similarity(X, grouped)
    q_opt, seconds, max_placed = exact.optimal_grouping(members, X, placed, len(grouped))
    arr = member_arrays(members)
    bound = (
        top_k_bound(
            X,
            arr,
            grouped,
            [g.format for g in groups],
            np.arange(len(members)),
            np.zeros(0, dtype=np.int64),
        )
        if grouped
        else 0.0
    )
    return {
        "n": len(members),
        "seed": task["seed"],
        "q": q,
        "q_opt": q_opt,
        "bound": bound,
        "placed": placed,
        "max_placed": max_placed,
        "n_groups": len(grouped),
        "exact_seconds": seconds,
    }


TASKS = {
    "groups_ours": groups_ours,
    "groups_peer": groups_peer,
    "priced_bound": priced_bound,
    "cover_bound": cover_bound,
    "walks": walks,
    "walks_exact": walks_exact,
    "volunteers": volunteers,
    "small": small,
}


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    print(json.dumps(TASKS[spec["task"]](spec)))
