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
    MIN_SUPPORT,
    _block_matrices,
    _check_members,
    _check_params,
    _collect_answers,
    _Design,
    _design,
    _effects,
    _History,
    _is_number,
    _mean_features,
    _Solution,
    _topic_blocks,
)
from .feedback_data import FEELINGS, MEETING_FORMATS, LearnedEffect, Meeting, MeetingFeedback
from .feedback_meeting import meeting_effects, nuisance_cells
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

MODEL_VERSION = "feedback-vectorizer/2"  # 2: a distance term


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
    for the meeting's size, format and distance (the mean km between those who
    came, in bands; so that a big, online or far-flung meeting does not blame
    the features; the searches cannot score these, as size is the organizer's
    range and format and distance are hard rules there); a member's "would
    meet again" answers on one meeting (label: the share of yes) likewise,
    with the mean ``f_b`` over the group-mates they answered about (one row
    per answerer and meeting keeps refits quick on a long history). The
    log-weights have a Gaussian prior at 0 (plain similarity) of precision
    ``prior_strength``. The answers' pull
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
        Start the optimiser from the previous fit's solution (same blocks).
        For a weekly loop, :meth:`partial_fit` also skips the answers
        already learned from.
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
    distance_effects_ : dict of str to float
        Odds multiplier by distance band ("within 1 km", "1-3 km", "over 3 km")
        of in-person meetings, relative to the mean over the bands seen.
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
    >>> model.partial_fit(members, meetings=last_week, feedback=their_answers)  # doctest: +SKIP
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
        index = {m.id: i for i, m in enumerate(members)}
        meetings = list(meetings)
        feel, again = _collect_answers(index, meetings, list(feedback), members)
        feel, again = feel.sample(self.max_answers, rng), again.sample(self.max_answers, rng)
        base = ProfileVectorizer(
            comfort_weight=self.comfort_weight, setting_weight=self.setting_weight, dtype=np.float64
        ).fit(members)
        topic_names, interest_topic = _topic_blocks(self.topics, base.interest_ids_)
        n_topics = len(topic_names)
        block_names = tuple(f"topic:{t}" for t in topic_names) + ("comfort", "setting")
        column_block = np.concatenate(
            [interest_topic, np.full(2, n_topics), np.full(3, n_topics + 1)]
        ).astype(np.int64)
        Xs, B = _block_matrices(base.transform(members), column_block, len(block_names))

        previous: _Solution | None = None
        if self.warm_start and getattr(self, "block_names_", None) == block_names:
            previous = getattr(self, "_solution", None)
        self.base_ = base
        self.interest_ids_ = base.interest_ids_
        self.n_features_out_ = base.n_features_out_
        self.block_names_ = block_names
        self._topic_names = topic_names
        self._interest_topic = interest_topic
        self._column_block = column_block
        self._history = _History(
            members,
            index,
            Xs,
            B,
            {m.id for m in meetings},
            feel,
            again,
            _mean_features(Xs, B, feel),
            _mean_features(Xs, B, again),
        )
        return self._refit(previous)

    @one_blas_thread
    def partial_fit(
        self,
        members: Sequence[Member],
        y=None,
        *,
        meetings: Sequence[Meeting] = (),
        feedback: Sequence[MeetingFeedback] = (),
    ) -> FeedbackVectorizer:
        """Add the feedback on new ``meetings`` to everything earlier fits saw, and refit.

        Only the new answers are read and turned into design rows; the
        optimiser starts from the previous solution. This is the weekly loop
        of a community that keeps its members: each round, the last round's
        meetings and answers. The first call on an unfitted model is ``fit``.

        Parameters
        ----------
        members : sequence of Member
            The same members as the first fit (they fix the plain IDF).
        y : None
            Ignored.
        meetings : sequence of Meeting
            Meetings no earlier fit saw.
        feedback : sequence of MeetingFeedback
            All the answers on ``meetings`` (and only on them).

        Returns
        -------
        self
        """
        history: _History | None = getattr(self, "_history", None)
        if history is None:
            return self.fit(members, meetings=meetings, feedback=feedback)
        self._check_params()
        members = _check_members(members)
        if members != history.members:
            raise ValueError(
                "partial_fit needs the members of the first fit; call fit to start again"
            )
        meetings = list(meetings)
        for meeting in meetings:
            if getattr(meeting, "id", None) in history.meeting_ids:
                raise ValueError(
                    f"meeting {meeting.id!r} was given to an earlier fit; "
                    "give each meeting once, with all its feedback"
                )
        feel, again = _collect_answers(history.index, meetings, list(feedback), members)
        history.add(meetings, feel, again, self.max_answers, check_random_state(self.random_state))
        return self._refit(getattr(self, "_solution", None))

    def _refit(self, previous: _Solution | None) -> FeedbackVectorizer:
        """Solve on the history's answers and set every learned attribute."""
        history = self._history
        feel, again, members = history.feel, history.again, history.members
        rows = _design(feel, again, history.feel_F, history.again_F, self.again_weight)
        n_blocks, topic_names = len(self.block_names_), self._topic_names
        self.converged_ = True
        if len(rows.y):
            solution, self.converged_ = self._solve(rows, n_blocks, previous)
            weights = np.exp(solution.log_weights)
        else:
            solution = _Solution.plain(n_blocks)
            weights = np.ones(n_blocks)  # exactly plain similarity, no rounding
        self._solution = solution
        self._use(weights)
        self.size_effects_, self.online_effect_, self.distance_effects_ = meeting_effects(
            solution.size_terms,
            solution.online_term,
            solution.distance_terms,
            feel.size,
            feel.distance,
        )
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
            "weights": {
                b: round(float(w), 4) for b, w in zip(self.block_names_, weights, strict=True)
            },
            "effects": [e.summary for e in self.learned_effects_],
        }
        return self

    def set_weights(self, weights: Mapping[str, float]) -> FeedbackVectorizer:
        """Score with stored block weights, e.g. those a round recorded, instead of the fit's.

        ``weights`` maps block names (as in ``block_names_`` and
        ``metadata_["weights"]``) to positive weights; a block it does not
        name keeps its weight, and a name this fit has no block for (a topic
        nobody has any more) is ignored. Returns self.
        """
        check_is_fitted(self, "weights_")
        new = self.weights_.copy()
        for b, name in enumerate(self.block_names_):
            if name in weights:
                if not (_is_number(weights[name]) and weights[name] > 0):
                    raise ValueError(f"weight of {name!r} must be positive, got {weights[name]!r}")
                new[b] = float(weights[name])
        self._use(new)
        return self

    def _use(self, weights: np.ndarray) -> None:
        n_topics = len(self._topic_names)
        self.weights_ = weights
        self.topic_weights_ = {
            t: float(w) for t, w in zip(self._topic_names, weights[:n_topics], strict=True)
        }
        self.comfort_weight_ = float(weights[-2])
        self.setting_weight_ = float(weights[-1])
        self.idf_ = self.base_.idf_ * np.sqrt(weights[self._interest_topic])

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
        _check_params(self)

    def _solve(
        self, rows: _Design, n_blocks: int, previous: _Solution | None
    ) -> tuple[_Solution, bool]:
        """MAP estimate of the block coefficients and the intercepts, size, format, distance terms.

        Each block's coefficient is ``exp(u_b)``; the prior ties every ``u_b``
        to a free common level ``c`` (the overall scale), so the weight is
        ``exp(u_b - c)`` and the prior is the Gaussian on ``u_b - c``. One
        exponent per block keeps the problem well scaled for L-BFGS.
        """
        y, weight, kind = rows.y, rows.weight, rows.kind
        lam = float(self.prior_strength)
        total = float(weight.sum())
        # theta = [u (n_blocks), c, intercepts (2), size terms, online term, distance terms]
        at_level, at_intercepts, at_sizes = n_blocks, n_blocks + 1, n_blocks + 3
        # The loss runs many times on every row, so what does not change is set up once:
        # the meeting-level terms as one offset per cell (kind x size x format x distance);
        # the labels' linear part as sums.
        FT = rows.FT
        cell, terms = nuisance_cells(kind, rows.size_level, rows.online, rows.distance)
        n_cells = len(terms)
        weighted_y = weight * y
        block_y = FT @ weighted_y
        cell_y = np.bincount(cell, weighted_y, minlength=n_cells)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            u, level = theta[:n_blocks], theta[at_level]
            coef = np.exp(u)
            offsets = terms @ theta[at_intercepts:]
            eta = coef @ FT + offsets[cell]
            small = np.exp(-np.abs(eta))  # softplus and sigmoid from one exp, both stable
            softplus = np.maximum(eta, 0.0) + np.log1p(small)
            fitted = weight * np.where(eta >= 0, 1.0, small) / (1.0 + small)
            v = u - level
            nuisance = theta[at_sizes:]
            value = (
                weight @ softplus
                - coef @ block_y
                - offsets @ cell_y  # minus the labels' part, sum of weight * y * eta
                + 0.5 * lam * (v @ v)
                + 0.5 * NUISANCE_RIDGE * (nuisance @ nuisance)
            )
            grad = np.empty_like(theta)
            grad[:n_blocks] = coef * (FT @ fitted - block_y) + lam * v
            grad[at_level] = -lam * v.sum()
            grad[at_intercepts:] = terms.T @ (np.bincount(cell, fitted, minlength=n_cells) - cell_y)
            grad[at_sizes:] += NUISANCE_RIDGE * nuisance
            return float(value / total), grad / total

        if previous is not None:
            theta0 = previous.theta.copy()
        else:
            theta0 = np.zeros(at_intercepts + terms.shape[1])
            theta0[:at_intercepts] = START_LEVEL
            for k in (0, 1):
                mine = kind == k
                rate = np.average(y[mine], weights=weight[mine]) if mine.any() else 0.5
                rate = min(max(rate, 0.02), 0.98)
                theta0[at_intercepts + k] = np.log(rate / (1.0 - rate))
        # Scale each parameter by the curvature at the start (the Gauss-Newton diagonal), so
        # that L-BFGS, which starts from the identity, needs far fewer steps; most so when
        # warm-started near the answer.
        coef = np.exp(theta0[:n_blocks])
        eta = coef @ FT + (terms @ theta0[at_intercepts:])[cell]
        spread = weight * 0.25 / np.cosh(0.5 * eta) ** 2  # weight * sigmoid * (1 - sigmoid)
        curvature = np.empty_like(theta0)
        curvature[:n_blocks] = coef**2 * (np.square(FT) @ spread) + lam
        curvature[at_level] = lam * n_blocks
        curvature[at_intercepts:] = np.square(terms).T @ np.bincount(
            cell, spread, minlength=n_cells
        )
        curvature[at_sizes:] += NUISANCE_RIDGE
        scale = np.sqrt(np.where(curvature > 0, curvature / total, 1.0))  # 0: no rows

        def scaled_loss(z: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = loss(theta0 + z / scale)
            return value, grad / scale

        result = minimize(
            scaled_loss,
            np.zeros_like(theta0),
            jac=True,
            method="L-BFGS-B",
            # Weights to three or four digits are plenty; tighter only costs iterations.
            options={"maxiter": int(self.max_iter), "ftol": 1e-8},
        )
        limit = float(np.log(self.max_weight))
        theta = theta0 + result.x / scale
        theta[:n_blocks] = theta[at_level] + np.clip(
            theta[:n_blocks] - theta[at_level], -limit, limit
        )
        return _Solution(theta, n_blocks), bool(result.success)
