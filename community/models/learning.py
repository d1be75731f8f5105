"""The feedback model the community trained last, so that a round can reuse it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from community.extensions import Model
from community.models.types import UTCDateTime
from community.models.users import utcnow


class TrainedModel(Model):
    """What ``matching.FeedbackVectorizer`` learned from the community's feedback.

    Aggregates only: block weights, counts and effect summaries, never an answer or
    who gave it. ``fingerprint`` names the training set it was fitted on (see
    ``rounds.learning.training_fingerprint``); a round reuses the model while the
    fingerprint still matches and nothing marked it stale (new feedback, withdrawn
    consent, a deleted account), and trains a new one otherwise.
    """

    __tablename__ = "learned_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str | None] = mapped_column(String(40))  # None: nothing to learn from yet
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    # The parts the fingerprint hashes (counts, latest ids and times), for reading.
    training_set: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    n_meetings: Mapped[int] = mapped_column(default=0)
    n_answers: Mapped[int] = mapped_column(default=0)
    n_again_answers: Mapped[int] = mapped_column(default=0)
    # Block name -> weight ("topic:gardening", "comfort", "setting"); empty when plain.
    weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    effects: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    converged: Mapped[bool] = mapped_column(default=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long training took
    # Set when something changed the training set since; the next round or
    # ``flask train-matching`` trains again.
    stale_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stale_reason: Mapped[str] = mapped_column(String(80), default="")
