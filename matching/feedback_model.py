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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .feedback_answers import (
    ALL_INTERESTS,
    LARGEST_SIZE,
    MIN_SUPPORT,
    OTHER_TOPIC,
    _check_members,
    _collect_answers,
    _Design,
    _design,
    _effects,
    _is_number,
    _Solution,
)
from .feedback_data import FEELINGS, MEETING_FORMATS, LearnedEffect, Meeting, MeetingFeedback
from .members import Member
from .threads import one_blas_thread
from .vectorize import ProfileVectorizer

__all__ = [
    "FEELINGS",
    "MEETING_FORMATS",
    "MIN_SUPPORT",
    "MODEL_VERSION",
    "FeedbackVectorizer",
    "LearnedEffect",
    "Meeting",
    "MeetingFeedback",
]

MODEL_VERSION = "feedback-vectorizer/1"


NUISANCE_RIDGE = 1.0


START_LEVEL = np.log(5.0)  # a typical coefficient of the plain cosine in the logit


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
