"""Running a round: at once when small, in a background thread when large.

``launch`` is the one entry point views call. With ``ROUND_RUNNER = "celery"`` a
large round goes to a Celery worker (task ``kindred.run_round``) instead of a thread.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from sqlalchemy import update

from community.extensions import db
from community.models import MatchRound
from community.models.users import utcnow
from community.rounds.eligibility import count_eligible
from community.rounds.proposal import compute_round
from community.web.app_object import real_app

log = logging.getLogger(__name__)
BACKGROUND_THRESHOLD = 300


def launch(round_: MatchRound) -> bool:
    """Compute the round now, or start it in the background; True if it runs in the background.

    The round must be committed first: the background thread reads it with its
    own session.
    """
    threshold = current_app.config.get("ROUND_BACKGROUND_THRESHOLD", BACKGROUND_THRESHOLD)
    eligible = count_eligible(round_.kind, round_.area_ids or [], round_.week_start)
    round_.status = "running"
    round_.progress = 1
    round_.progress_at = utcnow()
    round_.progress_message = f"Starting: {eligible} eligible members"
    db.session.commit()
    if eligible <= threshold:
        run_round(round_.id)
        return False
    app = real_app()
    if app.config.get("ROUND_RUNNER") == "celery":
        from community.mail.celery_app import celery_for

        celery_for(app).send_task("kindred.run_round", args=[round_.id])
        return True
    thread = threading.Thread(
        target=run_in_app, args=(app, round_.id), name=f"round-{round_.id}", daemon=True
    )
    thread.start()
    return True


def run_in_app(app: Flask, round_id: int) -> None:
    with app.app_context():
        run_round(round_id)
        db.session.remove()


def run_round(round_id: int) -> None:
    """Compute one round and commit, recording progress and any failure on the round."""
    round_ = db.session.get(MatchRound, round_id)
    if round_ is None:
        return

    def progress(percent: int, message: str) -> None:
        # Written in its own statement and committed so the status page sees it at once.
        db.session.execute(
            update(MatchRound)
            .where(MatchRound.id == round_id)
            .values(progress=percent, progress_message=message[:200], progress_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    try:
        compute_round(round_, progress=progress)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - the organizer must see that it failed
        log.exception("round %s failed", round_id)
        db.session.rollback()
        db.session.execute(
            update(MatchRound)
            .where(MatchRound.id == round_id)
            .values(
                status="failed",
                progress_message="The matching stopped with an error",
                error=f"{type(error).__name__}: {error}"[:2000],
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
