"""Placing leftovers: members the blocks could not group, fitted into a pool's groups."""

from __future__ import annotations

import numpy as np

from .feasibility import MemberArrays, pair_ok

# How many places a leftover may try to take, best fit first, when no group has room.
BUMP_TRIES = 32


class GroupTable:
    """A pool's groups as a table of member indices, one row per group.

    Each row's shared slots, size, shy flag and vector sum are kept up to
    date, so a leftover is checked pair by pair (distance, language, blocked
    pairs) only against groups it could join on slots and size.
    """

    def __init__(
        self,
        arr: MemberArrays,
        X: np.ndarray,
        groups: list[np.ndarray],
        *,
        max_size: int,
        small_cap: int,
        avoid_keys: np.ndarray,
        in_person: bool,
    ):
        self.arr, self.X = arr, X
        self.max_size, self.small_cap = max_size, small_cap
        self.avoid_keys, self.in_person = avoid_keys, in_person
        self.table = np.full((len(groups), max_size), -1, dtype=np.int64)
        for g, members in enumerate(groups):
            self.table[g, : len(members)] = members
        self.sums = np.stack([X[g].sum(axis=0) for g in groups]).astype(np.float64)
        self.size = np.zeros(len(groups), dtype=np.int64)
        self.gmask = np.zeros(len(groups), dtype=np.int64)  # slots every member shares
        self.has_shy = np.zeros(len(groups), dtype=bool)
        self._refresh(np.arange(len(groups)))

    def _refresh(self, rows: np.ndarray) -> None:
        """Recompute the kept per-row facts of ``rows`` from the table."""
        real = self.table[rows] >= 0
        safe = np.where(real, self.table[rows], 0)
        self.size[rows] = real.sum(axis=1)
        self.gmask[rows] = np.bitwise_and.reduce(np.where(real, self.arr.slots[safe], -1), axis=1)
        self.has_shy[rows] = (self.arr.shy[safe] & real).any(axis=1)

    def groups(self) -> list[np.ndarray]:
        return [row[row >= 0] for row in self.table]

    def _cap(self, i: int, rows: np.ndarray) -> np.ndarray:
        return np.where(self.has_shy[rows] | self.arr.shy[i], self.small_cap, self.max_size)

    def _allowed(self, i: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether ``i`` may meet each member of ``rows`` (True where a place is empty),
        and which places hold a member."""
        present = self.table[rows] >= 0
        mates = np.where(present, self.table[rows], 0)
        ok = pair_ok(self.arr, np.full(mates.shape, i), mates, self.avoid_keys, self.in_person)
        return ok | ~present, present

    def best_host(self, i: int, skip: int = -1) -> int:
        """The group with room that ``i`` fits best and may join, or -1."""
        everyone = np.arange(len(self.table))
        rows = everyone[
            (self.size < self._cap(i, everyone))
            & ((self.gmask & self.arr.slots[i]) != 0)
            & (everyone != skip)
        ]
        if len(rows) == 0:
            return -1
        ok, _ = self._allowed(i, rows)
        rows = rows[ok.all(axis=1)]
        if len(rows) == 0:
            return -1
        return int(rows[np.argmax((self.sums[rows] @ self.X[i]) / self.size[rows])])

    def add(self, g: int, i: int) -> None:
        self.table[g, self.size[g]] = i
        self.sums[g] += self.X[i]
        self._refresh(np.array([g]))

    def bump(self, i: int) -> bool:
        """Place ``i`` by taking someone's place in a full group, when that member
        can join another group with room. Returns whether ``i`` was placed.

        A shy leftover cannot join a group of four, but it can take the place of
        a member who is just as happy in a group of five elsewhere.
        """
        everyone = np.arange(len(self.table))
        rows = everyone[self.size <= self._cap(i, everyone)]
        if len(rows) == 0:
            return False
        ok, present = self._allowed(i, rows)
        bad = ~ok
        others_bad = bad.sum(axis=1, keepdims=True) - bad
        slots = np.where(present, self.arr.slots[np.where(present, self.table[rows], 0)], -1)
        fits = np.zeros(present.shape, dtype=bool)
        for q in range(self.max_size):
            rest = np.bitwise_and.reduce(np.delete(slots, q, axis=1), axis=1)
            fits[:, q] = present[:, q] & (others_bad[:, q] == 0) & ((rest & self.arr.slots[i]) != 0)
        r, p = np.nonzero(fits)
        if len(r) == 0:
            return False
        g, out = rows[r], self.table[rows[r], p]
        # i's similarity to the others there, best first.
        fit = ((self.sums[g] - self.X[out]) @ self.X[i]) / (self.size[g] - 1)
        for k in np.argsort(-fit, kind="stable")[:BUMP_TRIES]:
            h = self.best_host(int(out[k]), skip=int(g[k]))
            if h < 0:
                continue
            self.table[g[k], p[k]] = i
            self.sums[g[k]] += self.X[i] - self.X[out[k]]
            self._refresh(np.array([g[k]]))
            self.add(h, int(out[k]))
            return True
        return False


def place_leftovers(table: GroupTable, rest: np.ndarray, *, bump: bool = False) -> np.ndarray:
    """Put each leftover into the best group with room, else (with ``bump``) in
    the place of someone who can move to a group with room; returns who is left."""
    still = []
    for i in rest:
        g = table.best_host(int(i))
        if g >= 0:
            table.add(g, int(i))
        elif not (bump and table.bump(int(i))):
            still.append(int(i))
    return np.array(still, dtype=np.int64)
