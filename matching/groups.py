"""Split members into small groups of alike people who can actually meet."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
from sklearn.utils import check_random_state

from .block_pool import solve_all
from .blocks import block_similarity, feature_blocks, map_blocks
from .feasibility import EITHER, IN_PERSON, ONLINE, member_arrays, pair_keys, pair_ok
from .leftovers import GroupTable, place_leftovers
from .localsearch import (
    PENALTY,
    best_first_groups,
    greedy_groups,
    improve_groups,
    objective,
    slot_matrix,
)
from .match_building import build_matches
from .members import Member
from .pairing import pair_pool
from .quality import mean_similarity, quality, top_k_bound
from .results import GroupingResult, Unplaced
from .threads import one_blas_thread
from .unplaced import PartnerFinder, group_left_reason, pair_left_reason
from .vectorize import ProfileVectorizer

Pairs = Iterable[tuple[Hashable, Hashable]]
SMALL_BLOCK = 60
SMALL_RESTARTS = 16
SMALL_KICKS = 200
SMALL_PATIENCE = 40
RETRY_BLOCK = 200
PARALLEL_BLOCKS = 8
WHOLE_POOL = 3
WORKERS = 2
HARD_DEGREE = 50
HARD_RETRIES = 1
CHAIN_POOL = 30_000


@one_blas_thread
def group_members(
    members: Sequence[Member],
    *,
    min_size: int = 4,
    max_size: int = 6,
    avoid: Pairs = (),
    prefer: Pairs = (),
    random_state=0,
    interest_names: Mapping[int, str] | None = None,
    block_size: int = 400,
    vectorizer=None,
) -> GroupingResult:
    """Split members into groups of ``min_size`` to ``max_size`` maximising mean similarity.

    Hard rules: every group shares a slot and a format, in-person groups are
    within everyone's ``max_km``, no ``avoid`` pair meets, languages are
    compatible, shy members ("small" setting or comfort 1-2) get groups of at
    most four (unless ``min_size`` is larger), and "one_on_one" members are
    paired instead (kind "pair", or "trio" where one would be left alone).
    ``prefer`` pairs get a similarity bonus of 0.1 but never bend a rule.
    ``vectorizer`` is a fitted transformer whose rows have unit norm (e.g. a
    :class:`matching.FeedbackVectorizer`); None fits a ProfileVectorizer on
    ``members``.

    Pools of more than three times ``block_size`` members are cut into blocks
    of at most ``block_size`` (by map, then small k-means clusters of alike
    profiles packed together), solved two at a time. In each block members
    with few possible partners are seeded first, everyone else joins the
    tightest groups found best-first (seeds aim at the middle of the size
    range, but at no more than four: mean similarity favours small groups),
    swap and move local search improves the result, and leftovers are
    retried across blocks, fitted into groups with room or in the place of
    someone who can move to one. Then, in
    communities of up to ``CHAIN_POOL`` group seekers, ejection chains over
    each whole pool move members between groups of different blocks.

    Returns
    -------
    GroupingResult
        ``quality.mean_similarity`` is Q, the mean over grouped members of
        their mean cosine similarity to group-mates; ``quality.bound`` is the
        top-(size - 1) feasible-neighbour bound (see
        :func:`matching.quality.top_k_bound`).
    """
    if not (isinstance(min_size, int) and isinstance(max_size, int)):
        raise ValueError("min_size and max_size must be ints")
    if not 2 <= min_size <= max_size:
        raise ValueError(f"need 2 <= min_size <= max_size, got {min_size} and {max_size}")
    if block_size < 4 * max_size:
        raise ValueError(f"block_size must be at least {4 * max_size}")
    members = list(members)
    rng = check_random_state(random_state)
    arr = member_arrays(members)
    n = len(members)
    if n == 0:
        return GroupingResult(matches=(), unplaced=(), quality=quality(0.0, 0.0))
    if vectorizer is None:
        vectorizer = ProfileVectorizer().fit(members)
    X = vectorizer.transform(members)
    rarity = dict(zip(vectorizer.interest_ids_.tolist(), vectorizer.idf_.tolist(), strict=False))
    avoid_keys = pair_keys(avoid, arr.index)
    prefer_keys = pair_keys(prefer, arr.index)
    everyone = np.arange(n)
    pairs_only = everyone[arr.one_on_one]
    grouped = everyone[~arr.one_on_one]
    # The chains' time grows with the community: beyond CHAIN_POOL group seekers the
    # block groups stand, so that a round of 100,000 members stays within 20 s.
    solver = _GroupSolver(
        X,
        arr,
        avoid_keys,
        prefer_keys,
        min_size,
        max_size,
        block_size,
        rng,
        chains=len(grouped) <= CHAIN_POOL,
    )
    no_location = everyone[(arr.format == IN_PERSON) & ~arr.has_location]
    in_person = grouped[(arr.format[grouped] != ONLINE) & arr.has_location[grouped]]
    online = grouped[
        (arr.format[grouped] == ONLINE)
        | ((arr.format[grouped] == EITHER) & ~arr.has_location[grouped])
    ]

    groups: list[np.ndarray] = []
    formats: list[str] = []
    near_groups, near_left = solver.solve_pool(in_person, in_person=True)
    groups += near_groups
    formats += ["in_person"] * len(near_groups)
    # "either" members nobody could meet in person get a second chance online.
    retry = near_left[arr.format[near_left] == EITHER]
    online = np.concatenate([online, retry])
    far_groups, far_left = solver.solve_pool(online, in_person=False)
    groups += far_groups
    formats += ["online"] * len(far_groups)
    left = np.concatenate([near_left[arr.format[near_left] != EITHER], far_left])

    pair_matches: list[np.ndarray] = []
    pair_formats: list[str] = []
    pair_left_parts = []
    for pool, near in (
        (pairs_only[(arr.format[pairs_only] != ONLINE) & arr.has_location[pairs_only]], True),
        (
            pairs_only[
                (arr.format[pairs_only] == ONLINE)
                | ((arr.format[pairs_only] == EITHER) & ~arr.has_location[pairs_only])
            ],
            False,
        ),
    ):
        found, rest = pair_pool(
            X, arr, pool, avoid_keys, prefer_keys, in_person=near, pace_rule=False, rng=rng
        )
        pair_matches += found
        pair_formats += ["in_person" if near else "online"] * len(found)
        pair_left_parts.append(rest)
    pair_left = np.concatenate(pair_left_parts)

    matches = build_matches(
        members, arr, X, groups, formats, rarity, interest_names, groups=True
    ) + build_matches(
        members, arr, X, pair_matches, pair_formats, rarity, interest_names, groups=False
    )
    group_finder = PartnerFinder(arr, grouped, avoid_keys)
    pair_finder = PartnerFinder(arr, pairs_only, avoid_keys)
    unplaced = [
        Unplaced(arr.ids[i], "wants to meet in person but gave no location") for i in no_location
    ]
    unplaced += [
        Unplaced(arr.ids[i], group_left_reason(arr, i, group_finder, min_size)) for i in left
    ]
    unplaced += [Unplaced(arr.ids[i], pair_left_reason(arr, i, pair_finder)) for i in pair_left]
    all_matches = groups + pair_matches
    all_formats = formats + pair_formats
    achieved = mean_similarity(X, all_matches)
    bound = (
        top_k_bound(
            X, arr, all_matches, all_formats, everyone, avoid_keys, random_state=random_state
        )
        if all_matches
        else 0.0
    )
    return GroupingResult(
        matches=tuple(matches), unplaced=tuple(unplaced), quality=quality(achieved, bound)
    )


class _GroupSolver:
    """Holds the arrays shared by every block of one ``group_members`` call."""

    def __init__(
        self, X, arr, avoid_keys, prefer_keys, min_size, max_size, block_size, rng, chains=True
    ):
        self.X = X
        self.chains = chains
        self.arr = arr
        self.avoid_keys = avoid_keys
        self.prefer_keys = prefer_keys
        self.min_size = min_size
        self.max_size = max_size
        # "At most four" cannot beat the minimum size.
        self.small_cap = max(min_size, min(4, max_size))
        # Seeds aim at the middle of the range, but at no more than that small
        # size: mean similarity favours small groups, and the search keeps the
        # number of groups it starts from (see "Seeding groups of four" in
        # docs/benchmarks.md).
        self.target = min(self.small_cap, (min_size + max_size) // 2)
        self.block_size = block_size
        self.rng = rng

    def blocks(self, idx: np.ndarray, in_person: bool) -> list[np.ndarray]:
        # Cutting costs quality (neighbours land in other blocks); a pool of up to
        # WHOLE_POOL blocks is cheap enough to solve whole (1,200 x 1,200 is 11 MB).
        if len(idx) <= WHOLE_POOL * self.block_size:
            return [idx] if len(idx) else []
        # Slots join the features so an online block holds people free at the same times.
        slots = slot_matrix(self.arr.slots[idx]).astype(np.float64)
        slots /= np.sqrt(slots.sum(axis=1, keepdims=True)).clip(1.0)
        features = np.zeros((len(self.arr.ids), self.X.shape[1] + slots.shape[1]))
        features[idx, : self.X.shape[1]] = self.X[idx]
        features[idx, self.X.shape[1] :] = 0.5 * slots
        if not in_person:
            return feature_blocks(features, idx, self.block_size, self.rng)
        out: list[np.ndarray] = []
        for region in map_blocks(self.arr.coords, idx, 4 * self.block_size):
            out += feature_blocks(features, region, self.block_size, self.rng)
        return out

    def solve_blocks(
        self, blocks: list[np.ndarray], in_person: bool, thorough: bool = False
    ) -> list[np.ndarray]:
        """Labels for each block, solved by ``WORKERS`` processes or threads when there are many.

        Each block gets its own seed drawn up front, so the result does not
        depend on which worker finishes first (see ``block_pool``).
        """
        seeds = self.rng.randint(2**31 - 1, size=len(blocks))
        jobs = [(b, np.random.RandomState(seed)) for b, seed in zip(blocks, seeds, strict=True)]
        if len(blocks) < PARALLEL_BLOCKS:
            return [self.solve_block(b, in_person, rng, thorough) for b, rng in jobs]
        return solve_all(
            lambda job: self.solve_block(job[0], in_person, job[1], thorough), jobs, WORKERS
        )

    def solve_block(
        self, idx: np.ndarray, in_person: bool, rng: np.random.RandomState, thorough: bool = False
    ) -> np.ndarray:
        """Labels for the block members (-1 = not grouped)."""
        S, ok = block_similarity(
            self.X, self.arr, idx, self.avoid_keys, self.prefer_keys, in_person=in_person
        )
        masks = self.arr.slots[idx]
        shy = self.arr.shy[idx]
        kw = dict(min_size=self.min_size, max_size=self.max_size, small_cap=self.small_cap)
        # Members with few possible partners are seeded first, as the plain greedy
        # does; everyone else joins the tightest groups the block allows.
        # If that leaves out someone the plain seeding placed, their plain group
        # is kept too and the rest regrouped: placing people comes first.
        plain = greedy_groups(S, ok, masks, shy, target=self.target, rng=rng, **kw)
        hard = ok.sum(axis=1) < HARD_DEGREE
        for _ in range(HARD_RETRIES + 1):
            keep = np.zeros(int(plain.max()) + 2, dtype=bool)
            keep[plain[hard & (plain >= 0)]] = True
            lab = _relabel(np.where(keep[plain], plain, -1))
            lab = best_first_groups(S, ok, masks, shy, target=self.target, start=lab, **kw)
            lab = improve_groups(S, lab, masks, shy, **kw)
            missed = (lab < 0) & (plain >= 0) & ~hard
            if not missed.any():
                break
            hard |= missed
        # Small instances are cheap: restart from shuffled seeds and keep the best.
        restarts = SMALL_RESTARTS if thorough else 0
        best = ((lab < 0).sum(), -objective(S, lab))
        for attempt in range(restarts + 1 if restarts else 0):
            # The first candidate is the plain hardest-first seeding, then shuffled ones.
            trial = greedy_groups(
                S, ok, masks, shy, target=self.target, rng=rng, shuffle=attempt > 0, **kw
            )
            trial = improve_groups(S, trial, masks, shy, **kw)
            key = ((trial < 0).sum(), -objective(S, trial))
            if key < best:
                lab, best = trial, key
        # Then kick the best: regroup two random groups and the leftovers afresh.
        stale = 0
        for _ in range(SMALL_KICKS if restarts else 0):
            stale += 1
            if stale > SMALL_PATIENCE:
                break
            groups_now = np.unique(lab[lab >= 0])
            if len(groups_now) < 2:
                break
            a, b = rng.choice(groups_now, size=2, replace=False)
            loose = np.flatnonzero((lab == a) | (lab == b) | (lab < 0))
            trial = self.regroup(S, ok, masks, shy, lab, loose, rng)
            key = ((trial < 0).sum(), -objective(S, trial))
            if key < best:
                lab, best, stale = trial, key, 0
        # Someone left out who has enough compatible people in the block may
        # fit if the groups are rebuilt around them: retry seeding them first.
        for _ in range(2 if len(idx) <= RETRY_BLOCK else 0):
            fixable = np.flatnonzero((lab < 0) & (ok.sum(axis=1) >= self.min_size - 1))
            if len(fixable) == 0:
                break
            retry = greedy_groups(
                S, ok, masks, shy, target=self.target, rng=rng, first=fixable, **kw
            )
            retry = improve_groups(S, retry, masks, shy, **kw)
            if (retry < 0).sum() < (lab < 0).sum():
                lab = retry
            else:
                break
        return lab

    def regroup(
        self,
        S: np.ndarray,
        ok: np.ndarray,
        masks: np.ndarray,
        shy: np.ndarray,
        lab: np.ndarray,
        loose: np.ndarray,
        rng: np.random.RandomState,
    ) -> np.ndarray:
        """Labels with the ``loose`` members regrouped afresh (shuffled seeding), then searched.

        A kick: it moves the block out of a local optimum that swaps and moves
        alone cannot leave.
        """
        kw = dict(min_size=self.min_size, max_size=self.max_size, small_cap=self.small_cap)
        trial = lab.copy()
        trial[loose] = -1
        sub = greedy_groups(
            S[np.ix_(loose, loose)],
            ok[np.ix_(loose, loose)],
            masks[loose],
            shy[loose],
            target=self.target,
            rng=rng,
            shuffle=True,
            **kw,
        )
        trial[loose[sub >= 0]] = sub[sub >= 0] + lab.max() + 1
        return improve_groups(S, _relabel(trial), masks, shy, **kw)

    def solve_pool(self, idx: np.ndarray, in_person: bool) -> tuple[list[np.ndarray], np.ndarray]:
        groups: list[np.ndarray] = []
        left: list[np.ndarray] = []
        # A whole community this small gets restarts and kicks (near-exact, still fast).
        thorough = len(idx) <= SMALL_BLOCK
        blocks = self.blocks(idx, in_person)
        for block, lab in zip(blocks, self.solve_blocks(blocks, in_person, thorough), strict=True):
            groups += _split_labels(block, lab)
            left.append(block[lab < 0])
        rest = np.concatenate(left) if left else np.zeros(0, dtype=np.int64)
        # Leftovers of neighbouring blocks may fit together, or into a group with room.
        if len(rest) >= self.min_size:
            again: list[np.ndarray] = []
            blocks = self.blocks(rest, in_person)
            for block, lab in zip(blocks, self.solve_blocks(blocks, in_person), strict=True):
                groups += _split_labels(block, lab)
                again.append(block[lab < 0])
            rest = np.concatenate(again)
        rest = self.insert_into_groups(rest, groups, in_person)
        rest = self.regroup_with_donors(rest, groups, in_person)
        # Last, someone's place in a full group, for whom that member can move.
        rest = self.insert_into_groups(rest, groups, in_person, bump=True)
        return self.polish(groups, in_person), rest

    def polish(self, groups: list[np.ndarray], in_person: bool) -> list[np.ndarray]:
        """Improve a whole pool's groups with ejection chains (see ``matching.chains``).

        Blocks keep the search cheap but part near neighbours; chains across
        the whole pool win back what the cuts cost.
        """
        if not self.chains:
            return groups
        # Imported here: numba costs every process that imports it about 50 MB, and only
        # the processes that run rounds need it (web workers import this package too).
        from .chains import chain_groups

        return chain_groups(
            self.X,
            self.arr,
            groups,
            in_person=in_person,
            avoid_keys=self.avoid_keys,
            prefer_keys=self.prefer_keys,
            min_size=self.min_size,
            max_size=self.max_size,
            small_cap=self.small_cap,
        )

    def regroup_with_donors(
        self, rest: np.ndarray, groups: list[np.ndarray], in_person: bool
    ) -> np.ndarray:
        """Form new groups around leftovers with members that larger groups can spare.

        A shy leftover cannot join a full group of four, but three people
        from groups of five or six can join them.
        """
        arr, X = self.arr, self.X
        waiting = [int(i) for i in rest]
        still: list[int] = []
        while waiting:
            i = waiting.pop(0)
            sizes = np.array([len(g) for g in groups], dtype=np.int64)
            # One extra zero so that index -1 (a leftover, not a donor) is harmless.
            spare = np.append(np.maximum(sizes - self.min_size, 0), 0)
            donor_groups = np.flatnonzero(spare > 0)
            donors = [groups[g] for g in donor_groups]
            cand = np.concatenate([np.array(waiting, dtype=np.int64), *donors])
            gid = np.concatenate(
                [np.full(len(waiting), -1), np.repeat(donor_groups, sizes[donor_groups])]
            ).astype(np.int64)
            fine = pair_ok(arr, np.full(len(cand), i), cand, self.avoid_keys, in_person)
            cand, gid = cand[fine], gid[fine]
            if len(cand) < self.min_size - 1:
                still.append(i)
                continue
            chosen = [i]
            gmask = int(arr.slots[i])
            taken = np.zeros(len(groups) + 1, dtype=np.int64)
            alive = np.ones(len(cand), dtype=bool)
            # Prefer other leftovers, then the most similar spare members.
            score = X[cand].astype(np.float64) @ X[i].astype(np.float64) + (gid < 0)
            while len(chosen) < self.min_size:
                c = alive & ((arr.slots[cand] & gmask) != 0)
                c &= (gid < 0) | (taken[gid] < spare[gid])
                if not c.any():
                    break
                k = int(np.argmax(np.where(c, score, -np.inf)))
                chosen.append(int(cand[k]))
                gmask &= int(arr.slots[cand[k]])
                alive[k] = False
                if gid[k] >= 0:
                    taken[gid[k]] += 1
                alive &= pair_ok(arr, np.full(len(cand), cand[k]), cand, self.avoid_keys, in_person)
                score += X[cand].astype(np.float64) @ X[cand[k]].astype(np.float64)
            if len(chosen) < self.min_size:
                still.append(i)
                continue
            for g in np.flatnonzero(taken[: len(groups)]):
                groups[g] = groups[g][~np.isin(groups[g], chosen)]
            waiting = [w for w in waiting if w not in chosen]
            groups.append(np.array(chosen, dtype=np.int64))
        return np.array(still, dtype=np.int64)

    def insert_into_groups(
        self, rest: np.ndarray, groups: list[np.ndarray], in_person: bool, bump: bool = False
    ) -> np.ndarray:
        """Put each leftover into the best group with room that breaks no rule,
        or, with ``bump``, in the place of someone who can move to a group with room."""
        if len(rest) == 0 or not groups:
            return rest
        table = GroupTable(
            self.arr,
            self.X,
            groups,
            max_size=self.max_size,
            small_cap=self.small_cap,
            avoid_keys=self.avoid_keys,
            in_person=in_person,
        )
        rest = place_leftovers(table, rest, bump=bump)
        groups[:] = table.groups()
        return rest


def _relabel(lab: np.ndarray) -> np.ndarray:
    """Number the groups 0..k-1 again after some were emptied."""
    out = np.full_like(lab, -1)
    placed = lab >= 0
    out[placed] = np.unique(lab[placed], return_inverse=True)[1]
    return out


def _split_labels(block: np.ndarray, lab: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(lab, kind="stable")
    lab_sorted = lab[order]
    keep = lab_sorted >= 0
    order, lab_sorted = order[keep], lab_sorted[keep]
    cuts = np.flatnonzero(np.diff(lab_sorted)) + 1
    return [block[part] for part in np.split(order, cuts)] if len(order) else []


__all__ = ["group_members", "PENALTY"]
