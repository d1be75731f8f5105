"""The answers behind :class:`matching.FeedbackVectorizer`: collected, checked, made a design.

Each usable answer becomes one row: the pair features of the member and their mates, and
whether the meeting felt nurturing (or whether they would meet that mate again)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from .feedback_data import FEELINGS, LearnedEffect, Meeting, MeetingFeedback
from .feedback_meeting import (
    LARGEST_SIZE,
    N_NUISANCE,
    N_SIZES,
    distance_effects,
    meeting_distance_bands,
)
from .members import Member

ALL_INTERESTS = "interests"


OTHER_TOPIC = "other"


MIN_SUPPORT = 20  # answers on each side before an effect is summarised


# ------------------------------------------------------------------- helpers


def _is_number(value) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
    )


def _check_members(members: Sequence[Member]) -> list[Member]:
    members = list(members)
    for m in members:
        if not isinstance(m, Member):
            raise ValueError(f"expected matching.Member instances, got {type(m).__name__}")
    if len({m.id for m in members}) != len(members):
        raise ValueError("member ids must be unique")
    return members


def _check_params(est) -> None:
    """Refuse FeedbackVectorizer parameters that make no sense, with a clear message."""
    for name in ("comfort_weight", "setting_weight"):
        value = getattr(est, name)
        if not (_is_number(value) and value >= 0):
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    if not (_is_number(est.prior_strength) and est.prior_strength > 0):
        raise ValueError(f"prior_strength must be a positive number, got {est.prior_strength!r}")
    if not (_is_number(est.again_weight) and 0 <= est.again_weight <= 1):
        raise ValueError(f"again_weight must lie in [0, 1], got {est.again_weight!r}")
    if not (_is_number(est.max_weight) and est.max_weight > 1):
        raise ValueError(f"max_weight must be a number above 1, got {est.max_weight!r}")
    for name in ("max_answers", "max_iter"):
        value = getattr(est, name)
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if est.topics is not None:
        if not isinstance(est.topics, Mapping):
            raise ValueError("topics must map interest ids to topic names, or be None")
        for interest, topic in est.topics.items():
            if not isinstance(interest, int | np.integer) or not isinstance(topic, str):
                raise ValueError(
                    "topics must map int interest ids to str topic names, "
                    f"got {interest!r} -> {topic!r}"
                )


def _topic_blocks(
    topics: Mapping[int, str] | None, interest_ids: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """Topic names, and each interest's topic code (all one block when ``topics`` is None)."""
    ids = interest_ids.tolist()
    if topics is None:
        return ([ALL_INTERESTS] if ids else []), np.zeros(len(ids), dtype=np.int64)
    named = [topics.get(i, OTHER_TOPIC) for i in ids]
    names = sorted(set(named))
    code = {t: c for c, t in enumerate(names)}
    return names, np.array([code[t] for t in named], dtype=np.int64)


class _Solution:
    """The optimiser's parameter vector, with named views."""

    def __init__(self, theta: np.ndarray, n_blocks: int):
        self.theta = theta
        self.log_weights = theta[:n_blocks] - theta[n_blocks]
        at_online = n_blocks + 3 + N_SIZES
        self.size_terms = theta[n_blocks + 3 : at_online]
        self.online_term = float(theta[at_online])
        self.distance_terms = theta[at_online + 1 :]

    @classmethod
    def plain(cls, n_blocks: int) -> _Solution:
        return cls(np.zeros(n_blocks + 1 + N_NUISANCE), n_blocks)


@dataclass
class _AnswerSet:
    """Answers of one kind as member indices, one row per (answerer, meeting).

    ``y`` is the label (feeling: nurturing 1, neutral 0.5, draining 0;
    again: the share of "yes" among the group-mates asked about), ``size``
    the meeting as held, ``distance`` its distance band (0: none), and
    ``mates[ptr[r]:ptr[r + 1]]`` the group-mates the row is about (everyone
    who came, or those the "again" answers name).
    ``n_single`` counts the individual answers behind the rows.
    """

    meeting: np.ndarray
    member: np.ndarray
    y: np.ndarray
    size: np.ndarray
    online: np.ndarray
    ptr: np.ndarray
    mates: np.ndarray
    distance: np.ndarray

    @classmethod
    def build(
        cls, rows: list[tuple[int, int, float, int, bool, int, int]], mates: list[int]
    ) -> _AnswerSet:
        table = np.array(rows, dtype=np.float64).reshape(-1, 7)
        counts = table[:, 5].astype(np.int64)
        return cls(
            meeting=table[:, 0].astype(np.int64),
            member=table[:, 1].astype(np.int64),
            y=table[:, 2],
            size=table[:, 3].astype(np.int64),
            online=table[:, 4],
            ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            mates=np.array(mates, dtype=np.int64),
            distance=table[:, 6].astype(np.int64),
        )

    @property
    def n_single(self) -> int:
        return len(self.mates)

    def sample(self, limit: int, rng: np.random.RandomState) -> _AnswerSet:
        """At most ``limit`` rows, drawn at random."""
        if len(self.y) <= limit:
            return self
        return self.take(np.sort(rng.choice(len(self.y), size=limit, replace=False)))

    def take(self, keep: np.ndarray) -> _AnswerSet:
        """The rows ``keep`` (sorted row indices), with their mates."""
        counts = np.diff(self.ptr)[keep]
        starts = self.ptr[keep]
        # Positions of each kept row's mates, without a Python loop over rows.
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return _AnswerSet(
            self.meeting[keep],
            self.member[keep],
            self.y[keep],
            self.size[keep],
            self.online[keep],
            np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            self.mates[np.repeat(starts, counts) + within],
            self.distance[keep],
        )

    def extend(self, other: _AnswerSet, meeting_offset: int) -> _AnswerSet:
        """These rows then ``other``'s, whose meeting codes are shifted by ``meeting_offset``."""
        return _AnswerSet(
            np.concatenate([self.meeting, other.meeting + meeting_offset]),
            np.concatenate([self.member, other.member]),
            np.concatenate([self.y, other.y]),
            np.concatenate([self.size, other.size]),
            np.concatenate([self.online, other.online]),
            np.concatenate([self.ptr, other.ptr[1:] + self.ptr[-1]]),
            np.concatenate([self.mates, other.mates]),
            np.concatenate([self.distance, other.distance]),
        )


def _collect_answers(
    index: dict[Hashable, int],
    meetings: list[Meeting],
    feedback: list[MeetingFeedback],
    members: Sequence[Member],
) -> tuple[_AnswerSet, _AnswerSet]:
    """The usable answers on ``meetings``; ``index`` maps member ids to rows of ``members``."""
    by_id: dict[Hashable, Meeting] = {}
    for meeting in meetings:
        if not isinstance(meeting, Meeting):
            raise ValueError(f"expected matching Meeting instances, got {type(meeting).__name__}")
        if meeting.id in by_id:
            raise ValueError(f"meeting ids must be unique; {meeting.id!r} appears twice")
        for mid in meeting.member_ids:
            if mid not in index:
                raise ValueError(
                    f"meeting {meeting.id!r} names member {mid!r}, who is not in members"
                )
        by_id[meeting.id] = meeting
    per_meeting: dict[Hashable, list[MeetingFeedback]] = defaultdict(list)
    for item in feedback:
        if not isinstance(item, MeetingFeedback):
            raise ValueError(f"expected MeetingFeedback instances, got {type(item).__name__}")
        if item.meeting_id not in by_id:
            raise ValueError(
                f"feedback names meeting {item.meeting_id!r}, which is not in meetings"
            )
        per_meeting[item.meeting_id].append(item)

    code = {mid: c for c, mid in enumerate(by_id)}
    present_of: list[list[int]] = [[] for _ in by_id]  # who came, for the distance bands
    online_of = [False] * len(by_id)
    feel_rows: list[tuple[int, int, float, int, bool, int, int]] = []
    feel_mates: list[int] = []
    again_rows: list[tuple[int, int, float, int, bool, int, int]] = []
    again_mates: list[int] = []
    for mid, items in per_meeting.items():
        meeting = by_id[mid]
        invited = set(meeting.member_ids)
        gone = {item.member_id for item in items if item.met is False}
        present = [index[m] for m in meeting.member_ids if m not in gone]
        size, online, c = len(present), meeting.format == "online", code[mid]
        present_of[c], online_of[c] = present, online
        answerers = {item.member_id for item in items}
        if len(answerers) < len(items) or not answerers <= invited:
            _refuse_answerers(mid, items, invited)
        for item in items:
            pairs = item.again_items
            for other, _ in pairs:
                if other == item.member_id or other not in invited:
                    raise ValueError(
                        f"feedback from {item.member_id!r} on meeting {mid!r}: "
                        f"again names {other!r}, who was not one of their group-mates"
                    )
            if item.met is False or size < 2:
                continue  # absent, or nobody else came: nothing to learn about the company
            me = index[item.member_id]
            if item.feeling is not None:
                feel_rows.append((c, me, FEELINGS[item.feeling], size, online, size - 1, 0))
                feel_mates += [i for i in present if i != me]
            answered = [(o, v) for o, v in pairs if o not in gone] if gone else pairs
            if answered:
                yes = [v for _, v in answered].count(True) / len(answered)
                again_rows.append((c, me, yes, size, online, len(answered), 0))
                again_mates += [index[o] for o, _ in answered]
    feel = _AnswerSet.build(feel_rows, feel_mates)
    again = _AnswerSet.build(again_rows, again_mates)
    bands = meeting_distance_bands([m.location for m in members], present_of, online_of)
    feel.distance, again.distance = bands[feel.meeting], bands[again.meeting]
    return feel, again


def _refuse_answerers(mid: Hashable, items: list[MeetingFeedback], invited: set[Hashable]) -> None:
    """Raise for the first answer from someone not in the meeting, or a second answer."""
    seen: set[Hashable] = set()
    for item in items:
        if item.member_id not in invited:
            raise ValueError(
                f"feedback from {item.member_id!r} on meeting {mid!r}: "
                "they were not in that meeting"
            )
        if item.member_id in seen:
            raise ValueError(f"{item.member_id!r} gave feedback on meeting {mid!r} twice")
        seen.add(item.member_id)


@dataclass
class _Design:
    """Every answer as one row: block features, label, row weight, kind, size, format, distance.

    The first ``n_feel`` rows are the feeling answers. The block features are kept
    transposed (``FT[b, r]``: block ``b`` of row ``r``), the layout the optimiser reads.
    """

    FT: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    kind: np.ndarray
    size_level: np.ndarray
    online: np.ndarray
    distance: np.ndarray
    n_feel: int


def _block_matrices(X: np.ndarray, column_block: np.ndarray, n_blocks: int):
    """The plain rows as CSR, and the column -> block indicator that sums them per block."""
    B = csr_matrix(
        (np.ones(len(column_block)), (np.arange(len(column_block)), column_block)),
        shape=(len(column_block), n_blocks),
    )
    return csr_matrix(X), B


def _mean_features(Xs: csr_matrix, B: csr_matrix, answers: _AnswerSet) -> np.ndarray:
    """Each answer's block features averaged over its mates.

    A pair's block features are the elementwise product of their rows summed per block,
    so a row's mean over its mates is (own row * sum of the mates' rows) per block / count.
    """
    if not len(answers.y):
        return np.zeros((0, B.shape[1]))
    counts = np.diff(answers.ptr)
    mates = csr_matrix(
        (np.ones(len(answers.mates)), answers.mates, answers.ptr),
        shape=(len(answers.y), Xs.shape[0]),
    )
    summed = mates @ Xs
    return np.asarray((Xs[answers.member].multiply(summed) @ B).todense()) / counts[:, None]


def _design(
    feel: _AnswerSet,
    again: _AnswerSet,
    feel_F: np.ndarray,
    again_F: np.ndarray,
    again_weight: float,
) -> _Design:
    """Both kinds of answer, with their mean block features, as one design."""
    n_feel, n_again = len(feel.y), len(again.y)
    FT = np.empty((feel_F.shape[1], n_feel + n_again))
    FT[:, :n_feel], FT[:, n_feel:] = feel_F.T, again_F.T
    return _Design(
        FT=FT,
        y=np.concatenate([feel.y, again.y]),
        weight=np.concatenate([np.ones(n_feel), np.full(n_again, float(again_weight))]),
        kind=np.concatenate([np.zeros(n_feel, np.int64), np.ones(n_again, np.int64)]),
        size_level=np.concatenate([feel.size, again.size]).clip(2, LARGEST_SIZE) - 2,
        online=np.concatenate([feel.online, again.online]),
        distance=np.concatenate([feel.distance, again.distance]),
        n_feel=n_feel,
    )


@dataclass
class _History:
    """Everything a fit saw, so that ``partial_fit`` only has to process new answers.

    The plain rows stay sparse (a few interests a member), so keeping them costs
    little even for a large community.
    """

    members: list[Member]
    index: dict[Hashable, int]
    Xs: csr_matrix
    B: csr_matrix
    meeting_ids: set[Hashable]
    feel: _AnswerSet
    again: _AnswerSet
    feel_F: np.ndarray
    again_F: np.ndarray

    def add(
        self, meetings: list[Meeting], feel: _AnswerSet, again: _AnswerSet, limit: int, rng
    ) -> None:
        """Add the answers on ``meetings``; keep a random ``limit`` of each kind at most."""
        offset = len(self.meeting_ids)
        self.meeting_ids.update(m.id for m in meetings)
        self.feel = self.feel.extend(feel, offset)
        self.again = self.again.extend(again, offset)
        self.feel_F = np.vstack([self.feel_F, _mean_features(self.Xs, self.B, feel)])
        self.again_F = np.vstack([self.again_F, _mean_features(self.Xs, self.B, again)])
        for kind in ("feel", "again"):
            answers, F = getattr(self, kind), getattr(self, f"{kind}_F")
            if len(answers.y) > limit:
                keep = np.sort(rng.choice(len(answers.y), size=limit, replace=False))
                setattr(self, kind, answers.take(keep))
                setattr(self, f"{kind}_F", F[keep])


def _effects(
    rows: _Design,
    feel: _AnswerSet,
    members: list[Member],
    topic_names: list[str],
    weights: np.ndarray,
) -> tuple[LearnedEffect, ...]:
    """Nurturing rates with and without each shared feature, from the feeling answers."""
    if not len(feel.y):
        return ()
    nurturing = feel.y == 1.0
    starts = feel.ptr[:-1]
    me = np.repeat(feel.member, np.diff(feel.ptr))
    mates = feel.mates
    effects: list[LearnedEffect] = []

    def add(feature: str, kind: str, weight: float | None, has: np.ndarray, who: str) -> None:
        n_with, n_without = int(has.sum()), int((~has).sum())
        if min(n_with, n_without) < MIN_SUPPORT:
            return
        rate_with, rate_without = float(nurturing[has].mean()), float(nurturing[~has].mean())
        how = (
            f"{rate_with / rate_without:.1f}x as often"
            if rate_without
            else "where others never did"
        )
        summary = (
            f"{who} said meetings felt nurturing {how} ({rate_with:.0%} of {n_with} answers "
            f"against {rate_without:.0%} of {n_without})"
        )
        effects.append(
            LearnedEffect(
                feature, kind, weight, rate_with, rate_without, n_with, n_without, summary
            )
        )

    def everyone(pair_flags: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(pair_flags.astype(np.int8), starts).astype(bool)

    named = [t for t in topic_names if t != ALL_INTERESTS]
    for t, name in enumerate(topic_names):
        # Every feature is non-negative, so a positive mean means some mate shares it.
        has = rows.FT[t, : rows.n_feel] > 0
        who = (
            f"Members who had a {name} interest in common with someone there"
            if named
            else "Members who had an interest in common with someone there"
        )
        add(name, "topic", float(weights[t]), has, who)
    comfort = np.array([m.comfort for m in members])
    add(
        "comfort",
        "comfort",
        float(weights[-2]),
        everyone(np.abs(comfort[me] - comfort[mates]) <= 1),
        "Members whose group-mates were all within one step of their comfort level",
    )
    setting = np.array([m.setting for m in members])
    add(
        "setting",
        "setting",
        float(weights[-1]),
        everyone(setting[me] == setting[mates]),
        "Members whose group-mates all chose the same setting as them",
    )
    sizes = np.unique(feel.size)
    if len(sizes) > 1:
        for size in sizes.tolist():
            add(
                f"size {size}",
                "size",
                None,
                feel.size == size,
                f"Members in meetings of {size} (against other sizes)",
            )
    add(
        "online",
        "format",
        None,
        feel.online.astype(bool),
        "Members who met online (against in person)",
    )
    effects += distance_effects(nurturing, feel.distance, MIN_SUPPORT)
    topics_first = sorted(
        (e for e in effects if e.kind == "topic"), key=lambda e: (-(e.weight or 0.0), e.feature)
    )
    return tuple(topics_first + [e for e in effects if e.kind != "topic"])
