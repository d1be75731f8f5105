"""The feedback model, trained when feedback arrives and reused by the next rounds.

Fitting on the whole history at round time grew with the community (a fifth of a
round's time at 80,000 answers). So the model is trained out of the round: by
``flask train-matching`` and the daily ``flask send-feedback-requests``, or by a
round that finds none fresh; and stored (``TrainedModel``) with a fingerprint of
its training set. A round whose stored model is fresh builds its vectors from the
stored block weights, with no fit on the answers.

A model is fresh while nothing marked it stale (new feedback, withdrawn consent, a
deleted account: :func:`mark_stale`) and the fingerprint still matches: the count
and latest id of the answers, the seats, who in the history still consents and when
their profiles last changed, the interest topics and the model version. The
fingerprint catches what reaches the tables by another way (an organizer cancelling
a meeting, a profile edit).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, distinct, func, select, update

import matching
from community.extensions import db
from community.models import (
    Feedback,
    FeedbackPerson,
    Match,
    MatchMember,
    MatchRound,
    Profile,
    TrainedModel,
    utcnow,
)
from community.rounds.learning import (
    LEARNING_KINDS,
    LearnedModel,
    fit_history,
    interest_topics,
    plain_record,
    vectors_for,
)
from matching.feedback_model import MIN_SUPPORT, MODEL_VERSION

Say = Callable[[str], None]


def learned_scope(query):
    """Rows of approved groups and walks rounds' active meetings: what training reads."""
    return (
        query.join(MatchRound, MatchRound.id == Match.round_id)
        .where(MatchRound.status == "approved")
        .where(MatchRound.kind.in_(LEARNING_KINDS), Match.status == "active")
    )


def training_fingerprint() -> dict[str, Any]:
    """What the training set is made of, in a few aggregate queries (no answer is read)."""
    answers = db.session.execute(
        learned_scope(
            select(func.count(Feedback.id), func.max(Feedback.id)).join(
                Match, Match.id == Feedback.match_id
            )
        ).where(Feedback.user_id.is_not(None))
    ).one()
    again = db.session.execute(
        learned_scope(
            select(func.count())
            .select_from(FeedbackPerson)
            .join(Feedback, Feedback.id == FeedbackPerson.feedback_id)
            .join(Match, Match.id == Feedback.match_id)
        ).where(Feedback.user_id.is_not(None))
    ).scalar_one()
    seated = learned_scope(
        select(MatchMember.user_id).join(Match, Match.id == MatchMember.match_id)
    ).where(MatchMember.user_id.is_not(None))
    seat_rows = seated.subquery()
    seats = db.session.execute(
        select(func.count(), func.count(distinct(seat_rows.c.user_id))).select_from(seat_rows)
    ).one()
    history = seated.distinct().subquery()
    consenting = db.session.execute(
        select(func.count(Profile.user_id), func.max(Profile.updated_at))
        .join(history, history.c.user_id == Profile.user_id)
        .where(Profile.consent_at.is_not(None))
    ).one()
    excluded = sorted(
        db.session.execute(
            select(history.c.user_id)
            .outerjoin(Profile, Profile.user_id == history.c.user_id)
            .where(Profile.consent_at.is_(None))
        ).scalars()
    )
    latest_change = consenting[1].isoformat() if consenting[1] is not None else None
    return {
        "version": MODEL_VERSION,
        "answers": int(answers[0]),
        "latest_answer_id": answers[1],
        "again_answers": int(again),
        "seats": int(seats[0]),
        "members": int(seats[1]),
        "consenting_members": int(consenting[0]),
        "latest_profile_change": latest_change,
        "excluded_members": digest(excluded),
        "topics": digest(sorted(interest_topics().items())),
    }


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def current_model() -> TrainedModel | None:
    return db.session.execute(
        select(TrainedModel).order_by(TrainedModel.id.desc()).limit(1)
    ).scalar_one_or_none()


def is_fresh(model: TrainedModel | None, fingerprint: dict[str, Any]) -> bool:
    return model is not None and model.stale_at is None and model.fingerprint == digest(fingerprint)


def mark_stale(reason: str) -> None:
    """The stored model no longer matches its training set; the caller commits."""
    db.session.execute(
        update(TrainedModel)
        .where(TrainedModel.stale_at.is_(None))
        .values(stale_at=utcnow(), stale_reason=reason[:80])
        .execution_options(synchronize_session=False)
    )
    for model in db.session.identity_map.values():
        if isinstance(model, TrainedModel):
            db.session.expire(model, ["stale_at", "stale_reason"])


def train_model(say: Say | None = None, fingerprint: dict[str, Any] | None = None) -> TrainedModel:
    """Train on the history as it is now and store the model; older ones go. No commit."""
    # Taken before the answers are read: an answer saved meanwhile makes it stale.
    fingerprint = fingerprint or training_fingerprint()
    if say:
        say(f"Training matching on {fingerprint['answers']} answers from the community")
    start = time.perf_counter()
    learned = fit_history()
    record = learned.record
    model = TrainedModel(
        version=record["version"],
        trained_at=utcnow(),
        fingerprint=digest(fingerprint),
        training_set=fingerprint,
        n_meetings=record["n_meetings"],
        n_answers=record["n_answers"],
        n_again_answers=record["n_again_answers"],
        weights=record.get("weights") or {},
        effects=record["effects"],
        converged=bool(record.get("converged", True)),
        seconds=round(time.perf_counter() - start, 3),
    )
    db.session.add(model)
    db.session.flush()
    db.session.execute(delete(TrainedModel).where(TrainedModel.id < model.id))
    if say:
        say(
            f"Trained on {model.n_answers} answers from {model.n_meetings} meetings "
            f"in {model.seconds:.1f} s"
        )
    return model


def train_if_stale(say: Say | None = None, force: bool = False) -> TrainedModel | None:
    """Train when the stored model is stale or missing; None when it was fresh."""
    fingerprint = training_fingerprint()
    if not force and is_fresh(current_model(), fingerprint):
        return None
    return train_model(say, fingerprint)


def round_record(model: TrainedModel, reused: bool) -> dict[str, Any]:
    """What a round keeps about the model that scored it."""
    if not model.weights:
        record = plain_record()
    else:
        record = {
            "version": model.version,
            "n_meetings": model.n_meetings,
            "n_answers": model.n_answers,
            "n_again_answers": model.n_again_answers,
            "min_support": MIN_SUPPORT,
            "converged": model.converged,
            "weights": dict(model.weights),
            "effects": list(model.effects),
        }
    record["trained_at"] = model.trained_at.isoformat(timespec="seconds")
    return {**record, "model_id": model.id, "reused": reused}


def model_for_round(members: Iterable[matching.Member]) -> LearnedModel:
    """The stored model if it is fresh (no fit), else one trained and stored now."""
    fingerprint = training_fingerprint()
    stored = current_model()
    reused = is_fresh(stored, fingerprint)
    if not reused or stored is None:
        stored = train_model(fingerprint=fingerprint)
    return LearnedModel(vectors_for(stored.weights, list(members)), round_record(stored, reused))
