"""Mail at scale: a real Celery worker and beat, with the real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from community.extensions import db
from community.mail.celery_app import celery_for
from community.models import MatchRound, OutboxMessage, User, utcnow
from tests.conftest import submit, wait_for
from tests.test_mail_outbox import invite

ROOT = Path(__file__).resolve().parent.parent
BROKER = "redis://127.0.0.1:6379/0"


def redis_is_up() -> bool:
    try:
        return bool(redis.Redis.from_url(BROKER, socket_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(not redis_is_up(), reason="Redis is not running on 6379")


def celery_env(database_uri: str, mail_port: int, queue: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KINDRED_", "FLASK_")) and key != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_uri,
        KINDRED_SECRET_KEY="test-secret-key-not-for-production",
        KINDRED_MAIL_PORT=str(mail_port),
        KINDRED_CELERY_BROKER_URL=BROKER,
        KINDRED_CELERY_RESULT_BACKEND=BROKER,
        KINDRED_CELERY_TASK_DEFAULT_QUEUE=queue,
        KINDRED_MAIL_SWEEP_SECONDS="1",
    )
    return env


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="module")
def worker(database_uri, schema, mail_sink, tmp_path_factory):
    """`celery -A community.mail.celery_app worker` on a queue of its own."""
    queue = f"kindred-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "community.mail.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={queue}@localhost",
            ],
            cwd=ROOT,
            env=celery_env(database_uri, mail_sink.port, queue),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "ready." in log.read_text(), 60, "the Celery worker to start")
        yield {"queue": queue, "env": celery_env(database_uri, mail_sink.port, queue), "log": log}
    finally:
        stop(process)
        redis.Redis.from_url(BROKER).delete(queue)


def test_a_request_hands_its_mail_to_the_celery_worker(make_app, worker, mail_sink):
    app = make_app(MAIL_DELIVERY="celery", CELERY_TASK_DEFAULT_QUEUE=worker["queue"])
    client = app.test_client()
    page = submit(
        client,
        "/join",
        {"display_name": "Rosa", "email": "rosa@example.org", "password": "sunflowers in july"},
    )
    assert page.status_code == 200
    wait_for(lambda: mail_sink.to("rosa@example.org"), 30, "the worker to deliver")
    [mail] = mail_sink.to("rosa@example.org")
    assert "confirm" in mail.subject.lower()
    assert "kindred.deliver_outbox" in worker["log"].read_text()
    celery_for(app).close()


def test_the_worker_runs_the_same_sender_as_a_task(make_app, members, worker, mail_sink):
    app = make_app(MAIL_DELIVERY="worker", CELERY_TASK_DEFAULT_QUEUE=worker["queue"])
    people = [members.create() for _ in range(5)]
    invite(app, people)
    celery = celery_for(app)
    result = celery.send_task("kindred.deliver_outbox").get(timeout=30)
    assert result["sent"] == 5
    assert [len(mail_sink.to(p.email)) for p in people] == [1] * 5
    celery.close()


def test_beat_sweeps_mail_left_pending_and_mail_left_sending(
    make_app, members, worker, mail_sink, tmp_path
):
    app = make_app(MAIL_DELIVERY="worker")
    waiting, stuck = members.create(), members.create()
    invite(app, [waiting, stuck])
    with app.app_context():
        # One row nobody asked a worker about; one whose sender died twenty minutes ago.
        row = db.session.execute(
            select(OutboxMessage)
            .join(User, User.id == OutboxMessage.user_id)
            .where(User.id == stuck.id)
        ).scalar_one()
        row.status, row.attempts = "sending", 1
        row.claimed_at, row.claimed_by = utcnow() - timedelta(minutes=20), "gone:1"
        db.session.commit()

    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "community.mail.celery_app",
            "beat",
            "--loglevel=info",
            f"--schedule={tmp_path / 'beat-schedule'}",
        ],
        cwd=ROOT,
        env=worker["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: mail_sink.to(waiting.email) and mail_sink.to(stuck.email),
            60,
            "the sweep to deliver both",
        )
    finally:
        stop(beat)
    assert "kindred.sweep_outbox" in worker["log"].read_text()
    assert len(mail_sink.to(waiting.email)) == len(mail_sink.to(stuck.email)) == 1


def test_a_large_round_runs_on_the_celery_worker(make_app, members, worker):
    from community.rounds import runner as round_runner
    from community.rounds.proposal import start_round
    from tests.round_helpers import community, future_monday

    app = make_app(
        ROUND_RUNNER="celery",
        ROUND_BACKGROUND_THRESHOLD=0,
        CELERY_TASK_DEFAULT_QUEUE=worker["queue"],
    )
    members.app = app
    community(members, 8)
    with app.app_context():
        round_ = start_round(
            kind="groups", area_ids=[], min_size=4, max_size=4, week_start=future_monday()
        )
        db.session.commit()
        assert round_runner.launch(round_) is True
        round_id = round_.id

    def ready():
        with app.app_context():
            db.session.expire_all()
            return db.session.get(MatchRound, round_id).status == "ready"

    wait_for(ready, 60, "the worker to compute the round")
    assert "kindred.run_round" in worker["log"].read_text()
    celery_for(app).close()
