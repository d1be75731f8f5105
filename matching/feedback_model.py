"""Learn from how meetings felt which shared features make a good match.

:class:`FeedbackVectorizer` is a drop-in for :class:`~matching.ProfileVectorizer`:
it learns, from past meetings and the feedback given on them, one non-negative
weight per feature block (each interest topic, comfort side by side, preferred
setting) and returns the same feature vectors with each block scaled by the
square root of its weight, L2-normalised again. The dot product of two rows is
then a learned similarity, and every search that maximises dot products of
unit rows (:func:`~matching.group_members`, :func:`~matching.pair_walkers`,
and the interest fit of :func:`~matching.assign_volunteers`) uses it with no
change to the search or to its hard rules.

With no feedback every weight is exactly 1 and :meth:`FeedbackVectorizer.transform`
returns exactly ProfileVectorizer's vectors. With little feedback the weights
stay near 1: the fit is a penalised logistic regression whose Gaussian prior
holds each log-weight at 0 with a fixed strength, while the answers' pull grows
with every meeting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from scipy.optimize import minimize
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .members import Member
from .threads import one_blas_thread
from .vectorize import ProfileVectorizer

MODEL_VERSION = "feedback-vectorizer/1"
FEELINGS = {"nurturing": 1.0, "neutral": 0.5, "draining": 0.0}
MEETING_FORMATS = ("in_person", "online")
ALL_INTERESTS = "interests"
OTHER_TOPIC = "other"
LARGEST_SIZE = 7  # meetings of seven or more share one size term
MIN_SUPPORT = 20  # answers on each side before an effect is summarised
NUISANCE_RIDGE = 1.0
START_LEVEL = np.log(5.0)  # a typical coefficient of the plain cosine in the logit


@dataclass(frozen=True)
class Meeting:
    """One past group, pair or walk: who was invited and how they met.

    Parameters
    ----------
    id : hashable
        The caller's id for the meeting.
    member_ids : tuple
        Ids of the members invited (at least two, no repeats).
    format : {"in_person", "online"}
    """

    id: Hashable
    member_ids: tuple[Hashable, ...]
    format: str = "in_person"

    def __post_init__(self) -> None:
        object.__setattr__(self, "member_ids", tuple(self.member_ids))
        if len(self.member_ids) < 2:
            raise ValueError(f"meeting {self.id!r}: needs at least two members")
        if len(set(self.member_ids)) != len(self.member_ids):
            raise ValueError(f"meeting {self.id!r}: a member appears twice")
        if self.format not in MEETING_FORMATS:
            raise ValueError(
                f"meeting {self.id!r}: format must be one of {MEETING_FORMATS}, got {self.format!r}"
            )


@dataclass(frozen=True)
class MeetingFeedback:
    """One member's feedback on one meeting (the web app's Feedback row).

    Parameters
    ----------
    meeting_id : hashable
    member_id : hashable
        Who answered; must be one of the meeting's members.
    met : bool or None, default=True
        Whether they came. False removes them from the meeting for everyone
        else's answers and gives no answer of their own: staying away says
        more about the week than about the company.
    feeling : {"nurturing", "neutral", "draining"} or None
    again : mapping of member id to bool
        Whether they would meet each of these group-mates again.
    """

    meeting_id: Hashable
    member_id: Hashable
    met: bool | None = True
    feeling: str | None = None
    again: Mapping[Hashable, bool] | tuple[tuple[Hashable, bool], ...] = field(default=())

    def __post_init__(self) -> None:
        owner = f"feedback of {self.member_id!r} on meeting {self.meeting_id!r}"
        if self.feeling is not None and self.feeling not in FEELINGS:
            raise ValueError(
                f"{owner}: feeling must be one of {tuple(FEELINGS)} or None, got {self.feeling!r}"
            )
        if self.met is not None and not isinstance(self.met, bool | np.bool_):
            raise ValueError(f"{owner}: met must be True, False or None, got {self.met!r}")
        items = tuple(self.again.items()) if isinstance(self.again, Mapping) else tuple(self.again)
        for pair in items:
            if len(pair) != 2 or not isinstance(pair[1], bool | np.bool_):
                raise ValueError(f"{owner}: again must map member ids to True or False")
        if len({other for other, _ in items}) != len(items):
            raise ValueError(f"{owner}: again names someone twice")
        object.__setattr__(self, "again", tuple((o, bool(v)) for o, v in items))

    @property
    def again_items(self) -> tuple[tuple[Hashable, bool], ...]:
        """``again`` as (member id, answer) pairs."""
        return cast(tuple[tuple[Hashable, bool], ...], self.again)


@dataclass(frozen=True)
class LearnedEffect:
    """How often answers said "nurturing" with and without one shared feature.

    ``weight`` is the learned weight of the feature's block (1 = as plain
    similarity counts it) or None for meeting-level features (size, format),
    which the searches do not score. ``summary`` says it in words.
    """

    feature: str
    kind: str
    weight: float | None
    rate_with: float
    rate_without: float
    n_with: int
    n_without: int
    summary: str

    @property
    def ratio(self) -> float:
        """``rate_with / rate_without`` (inf when nobody without it said nurturing)."""
        return self.rate_with / self.rate_without if self.rate_without > 0 else float("inf")


class FeedbackVectorizer(TransformerMixin, BaseEstimator):
    """ProfileVectorizer with feature-block weights learned from meeting feedback.

    The learned pair score is ``sum_b w_b f_b(i, j)``, where ``f_b`` is the
    part of the plain cosine that block ``b`` contributes (one block per
    interest topic, one for comfort, one for setting) and ``w_b > 0``.
    ``fit`` estimates ``w`` from answers: each "how did it feel" answer
    (nurturing 1, neutral 0.5, draining 0) is modelled as a logistic function
    of the answerer's mean ``f_b`` with the group-mates who came, plus terms
    for the meeting's size and format (so that a big or online meeting does
    not blame the features); a member's "would meet again" answers on one
    meeting (label: the share of yes) likewise, with the mean ``f_b`` over
    the group-mates they answered about (one row per answerer and meeting
    keeps refits quick on a long history). The log-weights have a Gaussian prior at
    0 (plain similarity) of precision ``prior_strength``. The answers' pull
    grows with every meeting while the prior's stays fixed, so with a few
    meetings the weights stay near 1 and with many the answers decide.

    Parameters
    ----------
    topics : mapping of int to str or None, default=None
        Interest id -> topic name (e.g. 12 -> "gardening"). Interests not in
        the mapping share the topic "other". None puts all interests in one
        block, so only interests, comfort and setting are weighed.
    comfort_weight, setting_weight : float, default=0.5 and 0.3
        As in :class:`~matching.ProfileVectorizer`: the plain vectors the
        weights rescale.
    prior_strength : float, default=2.0
        Precision of the prior on each log-weight (2: standard deviation 0.7,
        a weight between 0.25 and 4 before the answers say otherwise).
    again_weight : float, default=0.5
        What one member's "would meet again" answers about one meeting count
        for together, relative to their feeling answer (1).
    max_weight : float, default=50.0
        Weights lie in ``[1 / max_weight, max_weight]``.
    max_answers : int, default=200_000
        Beyond this many answers of each kind, a random sample is used.
    max_iter : int, default=200
        Iterations of L-BFGS-B.
    warm_start : bool, default=False
        Start the optimiser from the previous fit's solution (same blocks),
        which makes weekly refits on a growing history quicker.
    random_state : int, RandomState or None, default=None
        Draws the sample when there are more than ``max_answers`` answers.
    dtype : numpy dtype, default=np.float32
        Of the vectors ``transform`` returns.

    Attributes
    ----------
    base_ : ProfileVectorizer
        The plain vectorizer fitted on the members (float64).
    interest_ids_ : ndarray of shape (n_interests,)
        As ProfileVectorizer's.
    idf_ : ndarray of shape (n_interests,)
        Plain IDF times the square root of the interest's topic weight, so
        code that reads ProfileVectorizer's ``idf_`` (the volunteer fit, the
        order of interests in reasons) sees the learned weights.
    block_names_ : tuple of str
        "topic:<name>" per topic, then "comfort" and "setting".
    weights_ : ndarray of shape (n_blocks,)
        Learned weight of each block (all exactly 1.0 with no feedback).
    topic_weights_ : dict of str to float
    comfort_weight_, setting_weight_ : float
        Learned weights of the comfort and setting blocks.
    size_effects_ : dict of int to float
        Odds multiplier of a nurturing answer by meeting size (7 = seven or
        more), relative to the mean over the sizes seen.
    online_effect_ : float
        Odds multiplier of a nurturing answer online against in person.
    learned_effects_ : tuple of LearnedEffect
        Readable summaries for organizers, computed from the answers.
    n_meetings_ : int
        Meetings with at least one usable answer.
    n_answers_, n_again_answers_ : int
        Feeling and "would meet again" answers used.
    converged_ : bool
        Whether the optimiser reported success (True with no feedback).
    model_version_ : str
    metadata_ : dict
        JSON-friendly summary, to store next to the caller's own ``trained_at``.

    Examples
    --------
    >>> model = FeedbackVectorizer(topics=topic_of).fit(
    ...     members, meetings=past_meetings, feedback=answers)   # doctest: +SKIP
    >>> group_members(members, vectorizer=model)                 # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        topics: Mapping[int, str] | None = None,
        comfort_weight=0.5,
        setting_weight=0.3,
        prior_strength=2.0,
        again_weight=0.5,
        max_weight=50.0,
        max_answers=200_000,
        max_iter=200,
        warm_start=False,
        random_state=None,
        dtype=np.float32,
    ):
        self.topics = topics
        self.comfort_weight = comfort_weight
        self.setting_weight = setting_weight
        self.prior_strength = prior_strength
        self.again_weight = again_weight
        self.max_weight = max_weight
        self.max_answers = max_answers
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.dtype = dtype

    @one_blas_thread
    def fit(
        self,
        members: Sequence[Member],
        y=None,
        *,
        meetings: Sequence[Meeting] = (),
        feedback: Sequence[MeetingFeedback] = (),
    ) -> FeedbackVectorizer:
        """Learn block weights from ``feedback`` on ``meetings`` among ``members``.

        Parameters
        ----------
        members : sequence of Member
            Everyone the meetings name, and whoever else will be matched
            (the plain IDF is fitted on them).
        y : None
            Ignored; the answers come in ``feedback``.
        meetings : sequence of Meeting
        feedback : sequence of MeetingFeedback

        Returns
        -------
        self
        """
        self._check_params()
        rng = check_random_state(self.random_state)
        members = _check_members(members)
        feel, again = _collect_answers(members, list(meetings), list(feedback))
        feel, again = feel.sample(self.max_answers, rng), again.sample(self.max_answers, rng)
        base = ProfileVectorizer(
            comfort_weight=self.comfort_weight, setting_weight=self.setting_weight, dtype=np.float64
        ).fit(members)
        topic_names, interest_topic = self._topic_blocks(base.interest_ids_)
        n_topics = len(topic_names)
        block_names = tuple(f"topic:{t}" for t in topic_names) + ("comfort", "setting")
        column_block = np.concatenate(
            [interest_topic, np.full(2, n_topics), np.full(3, n_topics + 1)]
        ).astype(np.int64)
        rows = _design(
            base.transform(members), column_block, len(block_names), feel, again, self.again_weight
        )

        previous: _Solution | None = None
        if self.warm_start and getattr(self, "block_names_", None) == block_names:
            previous = getattr(self, "_solution", None)
        self.converged_ = True
        if len(rows.y):
            solution, self.converged_ = self._solve(rows, len(block_names), previous)
        else:
            solution = _Solution.plain(len(block_names))
        self._solution = solution
        weights = np.exp(solution.log_weights)
        if not len(rows.y):
            weights = np.ones(len(block_names))  # exactly plain similarity, no rounding
        self.base_ = base
        self.interest_ids_ = base.interest_ids_
        self.n_features_out_ = base.n_features_out_
        self.block_names_ = block_names
        self._column_block = column_block
        self.weights_ = weights
        self.topic_weights_ = {
            t: float(w) for t, w in zip(topic_names, weights[:n_topics], strict=True)
        }
        self.comfort_weight_ = float(weights[-2])
        self.setting_weight_ = float(weights[-1])
        self.idf_ = base.idf_ * np.sqrt(weights[interest_topic])
        seen = np.unique(feel.size.clip(2, LARGEST_SIZE)) - 2
        centred = solution.size_terms - (solution.size_terms[seen].mean() if len(seen) else 0.0)
        self.size_effects_ = {int(level) + 2: float(np.exp(centred[level])) for level in seen}
        self.online_effect_ = float(np.exp(solution.online_term))
        self.n_answers_ = len(feel.y)
        self.n_again_answers_ = again.n_single
        self.n_meetings_ = len(np.union1d(feel.meeting, again.meeting))
        self.learned_effects_ = _effects(rows, feel, members, topic_names, weights)
        self.model_version_ = MODEL_VERSION
        self.metadata_: dict[str, Any] = {
            "model": type(self).__name__,
            "version": MODEL_VERSION,
            "n_members": len(members),
            "n_meetings": self.n_meetings_,
            "n_answers": self.n_answers_,
            "n_again_answers": self.n_again_answers_,
            "prior_strength": float(self.prior_strength),
            "converged": bool(self.converged_),
            "weights": {b: round(float(w), 4) for b, w in zip(block_names, weights, strict=True)},
            "effects": [e.summary for e in self.learned_effects_],
        }
        return self

    def transform(self, members: Sequence[Member]) -> np.ndarray:
        """Profile vectors with each block scaled by the square root of its weight.

        Rows are L2-normalised, so the dot product of two rows is the learned
        similarity. With every weight 1 (no feedback) this is exactly
        ``ProfileVectorizer(comfort_weight=..., setting_weight=...)`` fitted on
        the ``fit`` members.
        """
        check_is_fitted(self, "weights_")
        members = _check_members(members)
        X = self.base_.transform(members)
        if np.all(self.weights_ == 1.0):
            return X.astype(self.dtype, copy=False)
        X *= np.sqrt(self.weights_[self._column_block])
        X /= np.linalg.norm(X, axis=1, keepdims=True).clip(1e-12)
        return X.astype(self.dtype, copy=False)

    def _check_params(self) -> None:
        for name in ("comfort_weight", "setting_weight"):
            value = getattr(self, name)
            if not (_is_number(value) and value >= 0):
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if not (_is_number(self.prior_strength) and self.prior_strength > 0):
            raise ValueError(
                f"prior_strength must be a positive number, got {self.prior_strength!r}"
            )
        if not (_is_number(self.again_weight) and 0 <= self.again_weight <= 1):
            raise ValueError(f"again_weight must lie in [0, 1], got {self.again_weight!r}")
        if not (_is_number(self.max_weight) and self.max_weight > 1):
            raise ValueError(f"max_weight must be a number above 1, got {self.max_weight!r}")
        for name in ("max_answers", "max_iter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.topics is not None:
            if not isinstance(self.topics, Mapping):
                raise ValueError("topics must map interest ids to topic names, or be None")
            for interest, topic in self.topics.items():
                if not isinstance(interest, int | np.integer) or not isinstance(topic, str):
                    raise ValueError(
                        "topics must map int interest ids to str topic names, "
                        f"got {interest!r} -> {topic!r}"
                    )

    def _topic_blocks(self, interest_ids: np.ndarray) -> tuple[list[str], np.ndarray]:
        ids = interest_ids.tolist()
        if self.topics is None:
            return ([ALL_INTERESTS] if ids else []), np.zeros(len(ids), dtype=np.int64)
        named = [self.topics.get(i, OTHER_TOPIC) for i in ids]
        names = sorted(set(named))
        code = {t: c for c, t in enumerate(names)}
        return names, np.array([code[t] for t in named], dtype=np.int64)

    def _solve(
        self, rows: _Design, n_blocks: int, previous: _Solution | None
    ) -> tuple[_Solution, bool]:
        """MAP estimate of the block coefficients and the intercepts, size and format terms.

        Each block's coefficient is ``exp(u_b)``; the prior ties every ``u_b``
        to a free common level ``c`` (the overall scale), so the weight is
        ``exp(u_b - c)`` and the prior is the Gaussian on ``u_b - c``. One
        exponent per block keeps the problem well scaled for L-BFGS.
        """
        F, y, weight, kind = rows.F, rows.y, rows.weight, rows.kind
        size, online = rows.size_level, rows.online
        n_sizes = LARGEST_SIZE - 1
        lam = float(self.prior_strength)
        total = float(weight.sum())
        # theta = [u (n_blocks), c, intercepts (2), size terms, online term]
        at_level, at_intercepts, at_sizes = n_blocks, n_blocks + 1, n_blocks + 3
        at_online = at_sizes + n_sizes

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            u, level = theta[:n_blocks], theta[at_level]
            coef = np.exp(u)
            eta = F @ coef + theta[at_intercepts + kind] + theta[at_sizes + size]
            eta += theta[at_online] * online
            nll = np.logaddexp(0.0, eta) - y * eta  # cross-entropy with soft labels
            g = weight * (0.5 * (1.0 + np.tanh(0.5 * eta)) - y)
            v = u - level
            nuisance = theta[at_sizes:]
            value = (
                weight @ nll + 0.5 * lam * (v @ v) + 0.5 * NUISANCE_RIDGE * (nuisance @ nuisance)
            )
            grad = np.empty_like(theta)
            grad[:n_blocks] = coef * (F.T @ g) + lam * v
            grad[at_level] = -lam * v.sum()
            grad[at_intercepts : at_intercepts + 2] = np.bincount(kind, g, minlength=2)
            grad[at_sizes:at_online] = np.bincount(size, g, minlength=n_sizes)
            grad[at_online] = g @ online
            grad[at_sizes:] += NUISANCE_RIDGE * nuisance
            return float(value / total), grad / total

        if previous is not None:
            theta0 = previous.theta.copy()
        else:
            theta0 = np.zeros(at_online + 1)
            theta0[:at_intercepts] = START_LEVEL
            for k in (0, 1):
                mine = kind == k
                rate = np.average(y[mine], weights=weight[mine]) if mine.any() else 0.5
                rate = min(max(rate, 0.02), 0.98)
                theta0[at_intercepts + k] = np.log(rate / (1.0 - rate))
        result = minimize(
            loss,
            theta0,
            jac=True,
            method="L-BFGS-B",
            # Weights to three or four digits are plenty; tighter only costs iterations.
            options={"maxiter": int(self.max_iter), "ftol": 1e-8},
        )
        limit = float(np.log(self.max_weight))
        theta = result.x
        theta[:n_blocks] = theta[at_level] + np.clip(
            theta[:n_blocks] - theta[at_level], -limit, limit
        )
        return _Solution(theta, n_blocks), bool(result.success)


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


class _Solution:
    """The optimiser's parameter vector, with named views."""

    def __init__(self, theta: np.ndarray, n_blocks: int):
        self.theta = theta
        self.log_weights = theta[:n_blocks] - theta[n_blocks]
        self.size_terms = theta[n_blocks + 3 : n_blocks + 3 + LARGEST_SIZE - 1]
        self.online_term = float(theta[-1])

    @classmethod
    def plain(cls, n_blocks: int) -> _Solution:
        theta = np.zeros(n_blocks + 3 + LARGEST_SIZE - 1 + 1)
        return cls(theta, n_blocks)


@dataclass
class _AnswerSet:
    """Answers of one kind as member indices, one row per (answerer, meeting).

    ``y`` is the label (feeling: nurturing 1, neutral 0.5, draining 0;
    again: the share of "yes" among the group-mates asked about), ``size``
    the meeting as held, and ``mates[ptr[r]:ptr[r + 1]]`` the group-mates the
    row is about (everyone who came, or those the "again" answers name).
    ``n_single`` counts the individual answers behind the rows.
    """

    meeting: np.ndarray
    member: np.ndarray
    y: np.ndarray
    size: np.ndarray
    online: np.ndarray
    ptr: np.ndarray
    mates: np.ndarray

    @classmethod
    def build(
        cls, rows: list[tuple[int, int, float, int, bool, int]], mates: list[int]
    ) -> _AnswerSet:
        table = np.array(rows, dtype=np.float64).reshape(-1, 6)
        counts = table[:, 5].astype(np.int64)
        return cls(
            meeting=table[:, 0].astype(np.int64),
            member=table[:, 1].astype(np.int64),
            y=table[:, 2],
            size=table[:, 3].astype(np.int64),
            online=table[:, 4],
            ptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            mates=np.array(mates, dtype=np.int64),
        )

    @property
    def n_single(self) -> int:
        return len(self.mates)

    def sample(self, limit: int, rng: np.random.RandomState) -> _AnswerSet:
        """At most ``limit`` rows, drawn at random."""
        if len(self.y) <= limit:
            return self
        keep = np.sort(rng.choice(len(self.y), size=limit, replace=False))
        counts = np.diff(self.ptr)[keep]
        mates = np.concatenate([self.mates[self.ptr[r] : self.ptr[r + 1]] for r in keep])
        return _AnswerSet(
            self.meeting[keep],
            self.member[keep],
            self.y[keep],
            self.size[keep],
            self.online[keep],
            np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            mates,
        )


def _collect_answers(
    members: list[Member], meetings: list[Meeting], feedback: list[MeetingFeedback]
) -> tuple[_AnswerSet, _AnswerSet]:
    index = {m.id: i for i, m in enumerate(members)}
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
    feel_rows: list[tuple[int, int, float, int, bool, int]] = []
    feel_mates: list[int] = []
    again_rows: list[tuple[int, int, float, int, bool, int]] = []
    again_mates: list[int] = []
    for mid, items in per_meeting.items():
        meeting = by_id[mid]
        invited = set(meeting.member_ids)
        gone = {item.member_id for item in items if item.met is False}
        present = [index[m] for m in meeting.member_ids if m not in gone]
        size, online, c = len(present), meeting.format == "online", code[mid]
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
                feel_rows.append((c, me, FEELINGS[item.feeling], size, online, size - 1))
                feel_mates += [i for i in present if i != me]
            answered = [(o, v) for o, v in pairs if o not in gone] if gone else pairs
            if answered:
                yes = [v for _, v in answered].count(True) / len(answered)
                again_rows.append((c, me, yes, size, online, len(answered)))
                again_mates += [index[o] for o, _ in answered]
    return _AnswerSet.build(feel_rows, feel_mates), _AnswerSet.build(again_rows, again_mates)


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
    """Every answer as one row: block features, label, row weight, kind, size, format.

    The first ``n_feel`` rows are the feeling answers.
    """

    F: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    kind: np.ndarray
    size_level: np.ndarray
    online: np.ndarray
    n_feel: int


def _design(
    X: np.ndarray,
    column_block: np.ndarray,
    n_blocks: int,
    feel: _AnswerSet,
    again: _AnswerSet,
    again_weight: float,
) -> _Design:
    # A pair's block features are the elementwise product of their rows summed per block,
    # so a row's mean over its mates is (own row * sum of the mates' rows) per block / count.
    Xs = csr_matrix(X)
    B = csr_matrix(
        (np.ones(len(column_block)), (np.arange(len(column_block)), column_block)),
        shape=(len(column_block), n_blocks),
    )

    def mean_features(answers: _AnswerSet) -> np.ndarray:
        """Each row's block features averaged over its mates."""
        if not len(answers.y):
            return np.zeros((0, n_blocks))
        counts = np.diff(answers.ptr)
        mates = csr_matrix(
            (np.ones(len(answers.mates)), answers.mates, answers.ptr),
            shape=(len(answers.y), X.shape[0]),
        )
        summed = mates @ Xs
        return np.asarray((Xs[answers.member].multiply(summed) @ B).todense()) / counts[:, None]

    feel_F = mean_features(feel)
    again_F = mean_features(again)
    n_feel, n_again = len(feel.y), len(again.y)
    return _Design(
        F=np.vstack([feel_F, again_F]),
        y=np.concatenate([feel.y, again.y]),
        weight=np.concatenate([np.ones(n_feel), np.full(n_again, float(again_weight))]),
        kind=np.concatenate([np.zeros(n_feel, np.int64), np.ones(n_again, np.int64)]),
        size_level=np.concatenate([feel.size, again.size]).clip(2, LARGEST_SIZE) - 2,
        online=np.concatenate([feel.online, again.online]),
        n_feel=n_feel,
    )


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
        has = rows.F[: rows.n_feel, t] > 0
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
    topics_first = sorted(
        (e for e in effects if e.kind == "topic"), key=lambda e: (-(e.weight or 0.0), e.feature)
    )
    return tuple(topics_first + [e for e in effects if e.kind != "topic"])
