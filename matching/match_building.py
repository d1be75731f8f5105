"""Turn found groups and pairs (index arrays) into :class:`Match` results with their reasons.

Shared by :func:`matching.group_members` and :func:`matching.pair_walkers`,
so both describe a match the same way: score, first shared slot, spread
in km and a reason from what the members really share.
"""

from __future__ import annotations

import numpy as np

from .feasibility import first_slot, haversine_km
from .members import slot_label
from .reasons import match_reason
from .results import Match


def build_matches(
    members, arr, X, found, formats, rarity, interest_names, *, groups: bool, chunk: int = 4096
) -> list[Match]:
    """Matches with scores, shared slot, spread and reason, vectorised over all groups.

    ``groups`` False makes pairs and trios (kinds "pair" and "trio").
    """
    out: list[Match] = []
    for start in range(0, len(found), chunk):
        part = found[start : start + chunk]
        width = max(len(g) for g in part)
        table = np.full((len(part), width), -1, dtype=np.int64)
        for r, g in enumerate(part):
            table[r, : len(g)] = g
        real = table >= 0
        safe = np.where(real, table, table[:, :1])
        size = real.sum(axis=1)
        Xt = np.where(real[..., None], X[safe], 0).astype(np.float64)
        sums = Xt.sum(axis=1)
        own = np.einsum("mwd,md->mw", Xt, sums) - np.einsum("mwd,mwd->mw", Xt, Xt)
        score = np.where(real, own, 0).sum(axis=1) / (size * (size - 1))
        masks = np.bitwise_and.reduce(np.where(real, arr.slots[safe], -1), axis=1)
        c = arr.coords[safe]
        spread = haversine_km(c[:, :, None, :], c[:, None, :, :]).max(axis=(1, 2))
        for r, g in enumerate(part):
            fmt = formats[start + r]
            slot = first_slot(int(masks[r]))
            reason = match_reason(
                [members[i] for i in g],
                slot,
                fmt,
                distance_km=float(spread[r]) if fmt == "in_person" else None,
                rarity=rarity,
                interest_names=interest_names,
            )
            out.append(
                Match(
                    kind="group" if groups else ("pair" if len(g) == 2 else "trio"),
                    member_ids=tuple(arr.ids[i] for i in g),
                    slot=slot,
                    slot_label=slot_label(slot),
                    format=fmt,
                    score=round(float(score[r]), 6),
                    reason=reason,
                )
            )
    return out
