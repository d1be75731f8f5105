"""The feedback model is trained when feedback arrives, and rounds reuse it while fresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from community.account import data_control
from community.after_meeting import feedback as after_meeting
from community.extensions import db
from community.models import Match, MatchMember, MatchRound, TrainedModel, User, utcnow
from community.rounds.trained_model import current_model, training_fingerprint
from matching import FeedbackVectorizer
from matching.feedback_model import MODEL_VERSION
from tests.factories import PASSWORD
from tests.round_helpers import make_round
from tests.test_round_learning import feedback_history, meetings_of, model_of


def train(app, runner, *args: str) -> str:
    with app.app_context():  # as `flask --app app train-matching` runs it
        result = runner.invoke(args=["train-matching", *args])
    assert result.exit_code == 0, result.output
    return result.output


def stored(app) -> TrainedModel:
    with app.app_context():
        model = current_model()
        assert model is not None
        db.session.expunge(model)
        return model


def new_meeting_feedback(app, history) -> None:
    """Two of the members meet again; one of them says how it felt."""
    a, b = history["camps"][0][:2]
    with app.app_context():
        round_ = db.session.execute(select(MatchRound).where(MatchRound.status == "approved"))
        match = Match(
            round=round_.scalars().first(),
            kind="groups",
            status="active",
            slot=1,
            format="in_person",
            meeting_at=utcnow() - timedelta(days=1),
        )
        match.members = [MatchMember(user_id=u, status="accepted") for u in (a, b)]
        db.session.add(match)
        db.session.commit()
        seat = match.members[0]
        after_meeting.record_feedback(seat, met=True, feeling="nurturing")
        db.session.commit()


def test_a_round_after_training_reuses_the_stored_model_without_fitting(
    app, members, runner, monkeypatch
):
    feedback_history(app, members)
    output = train(app, runner)
    assert "Training matching on 100 answers" in output
    assert "Trained on 100 answers from 50 meetings" in output
    model = stored(app)
    assert model.version == MODEL_VERSION and model.stale_at is None
    assert model.n_meetings == 50 and model.n_answers == 100 and model.weights

    def refuse(*args, **kwargs):
        raise AssertionError("the model was fitted, not reused")

    monkeypatch.setattr(FeedbackVectorizer, "_solve", refuse)
    record = model_of(app, make_round(app))
    assert record["reused"] is True and record["model_id"] == model.id
    assert record["weights"] == model.weights
    assert record["n_meetings"] == 50 and record["n_answers"] == 100
    assert record["trained_at"] == model.trained_at.isoformat(timespec="seconds")
    assert "up to date" in train(app, runner)  # nothing changed: nothing to train
    assert stored(app).id == model.id


def test_a_round_with_no_stored_model_trains_one_and_the_next_reuses_it(app, members):
    feedback_history(app, members)
    first = model_of(app, make_round(app))
    assert first["reused"] is False and first["n_answers"] == 100
    second = model_of(app, make_round(app))
    assert second["reused"] is True and second["model_id"] == first["model_id"]
    assert second["weights"] == first["weights"]
    with app.app_context():
        assert db.session.execute(select(func.count(TrainedModel.id))).scalar_one() == 1


def test_new_feedback_makes_the_model_stale_and_the_command_retrains(app, members, runner):
    history = feedback_history(app, members)
    train(app, runner)
    new_meeting_feedback(app, history)
    model = stored(app)
    assert model.stale_at is not None and model.stale_reason == "new feedback"

    output = train(app, runner)
    assert "Trained on 101 answers from 51 meetings" in output
    retrained = stored(app)
    assert retrained.id != model.id and retrained.stale_at is None
    assert model_of(app, make_round(app))["model_id"] == retrained.id


def test_a_stale_model_is_retrained_by_the_next_round(app, members, runner):
    history = feedback_history(app, members)
    train(app, runner)
    new_meeting_feedback(app, history)
    record = model_of(app, make_round(app))
    assert record["reused"] is False and record["n_answers"] == 101


def test_the_daily_feedback_requests_also_retrain_a_stale_model(app, members, runner):
    history = feedback_history(app, members)
    train(app, runner)
    new_meeting_feedback(app, history)
    with app.app_context():
        result = runner.invoke(args=["send-feedback-requests"])
    assert result.exit_code == 0, result.output
    assert "Trained on 101 answers from 51 meetings" in result.output
    assert stored(app).stale_at is None


def test_withdrawn_consent_and_a_deleted_account_stale_the_model_and_leave_training(
    app, members, runner
):
    history = feedback_history(app, members)
    leaver, deleter = history["camps"][0][0], history["camps"][1][0]
    train(app, runner)
    before = stored(app)

    with app.app_context():
        data_control.withdraw_consent(db.session.get(User, leaver))
        db.session.commit()
    assert stored(app).stale_reason == "consent withdrawn"
    after_withdrawal = model_of(app, make_round(app))  # the round trains: stale
    lost = meetings_of(history, leaver)
    assert after_withdrawal["reused"] is False
    assert after_withdrawal["n_meetings"] == before.n_meetings - lost
    assert after_withdrawal["n_answers"] == before.n_answers - 2 * lost

    with app.app_context():
        data_control.delete_account(db.session.get(User, deleter), PASSWORD)
        db.session.commit()
    assert stored(app).stale_reason == "account deleted"
    train(app, runner)
    after_deletion = stored(app)
    both = sum(1 for pair in history["pairs"] if leaver in pair and deleter in pair)
    lost_too = meetings_of(history, deleter) - both
    assert after_deletion.n_meetings == after_withdrawal["n_meetings"] - lost_too
    assert after_deletion.n_answers == after_withdrawal["n_answers"] - 2 * lost_too


def test_the_fingerprint_notices_changes_that_bypass_the_services(app, members, runner):
    history = feedback_history(app, members)
    train(app, runner)
    with app.app_context():
        before = training_fingerprint()
        match = (
            db.session.execute(
                select(Match).join(MatchMember).where(MatchMember.user_id == history["pairs"][0][0])
            )
            .scalars()
            .first()
        )
        match.status = "cancelled"  # an organizer calls a meeting off after the fact
        db.session.commit()
        assert training_fingerprint()["answers"] == before["answers"] - 2
    assert "Trained on 98 answers" in train(app, runner)


def test_with_no_feedback_the_command_stores_a_plain_model(app, members, runner):
    output = train(app, runner)
    assert "Trained on 0 answers from 0 meetings" in output
    model = stored(app)
    assert model.version is None and model.weights == {}
    record = model_of(app, make_round(app))
    assert record["reused"] is True and record["version"] is None
