"""The production shape on this machine: gunicorn (2 workers) on PostgreSQL, a Celery
worker on Redis delivering mail, a member signing up over HTTP and a walking round
whose invitations reach a real SMTP server."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from community.extensions import db
from community.mail.sink import free_port
from community.models import Area, Interest
from tests.conftest import links_in, wait_for
from tests.factories import PASSWORD
from tests.http_session import HttpSession
from tests.round_helpers import roomy_venues

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("DATABASE_URL", ""),
        reason="the production shape runs on PostgreSQL (CI's second pass)",
    ),
]


def http_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def production(app, base_config, mail_sink, tmp_path):
    """gunicorn and a Celery worker, configured only through the environment."""
    port = free_port()
    queue = f"kindred-smoke-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "KINDRED_SECRET_KEY": secrets.token_hex(32),
        "KINDRED_BIND": f"127.0.0.1:{port}",
        "KINDRED_WORKERS": "2",
        "KINDRED_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "KINDRED_MAIL_SERVER": "127.0.0.1",
        "KINDRED_MAIL_PORT": str(mail_sink.port),
        "KINDRED_MAIL_DELIVERY": "celery",
        "KINDRED_CELERY_BROKER_URL": "redis://127.0.0.1:6379/5",
        "KINDRED_CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/5",
        "KINDRED_CELERY_TASK_DEFAULT_QUEUE": queue,
        "KINDRED_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/5",
        "KINDRED_ARGON2_TIME_COST": "1",
        "KINDRED_ARGON2_MEMORY_COST": "1024",
        "KINDRED_ACCESS_LOG": str(tmp_path / "access.log"),
    }
    env.pop("FLASK_DEBUG", None)
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("gunicorn", "celery")}
    web = subprocess.Popen(
        [BIN / "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=logs["gunicorn"],
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            BIN / "celery",
            "-A",
            "community.mail.celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=logs["celery"],
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_ready(base + "/"), 40, "gunicorn")
        yield base
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in logs.values():
            handle.close()


def test_member_signs_up_and_a_round_invites_them_on_the_production_shape(
    app, members, mail_sink, production
):
    roomy_venues(app)  # every invitation names a place, so the community has venues
    with app.app_context():
        area = db.session.execute(select(Area).order_by(Area.id)).scalars().first()
        interests = db.session.execute(select(Interest).limit(3)).scalars().all()
        area_id, interest_ids = area.id, [i.id for i in interests]
    organizer = members.create(role="organizer")
    walker = members.create(complete=True, wants_walks=True, wants_groups=False)

    member = HttpSession(production)
    page = member.submit(
        "/join",
        {"display_name": "Nia", "email": "nia@example.org", "password": "evening walks by the sea"},
    )
    assert "Check your email" in page.text
    mail = wait_for(lambda: mail_sink.to("nia@example.org"), 30, "the verification mail")[0]
    verify = next(link for link in links_in(mail.text) if "/verify/" in link)
    assert "confirmed" in member.get(verify).text

    answers = [
        ("interests", {"interests": interest_ids}),
        (
            "meeting",
            {
                "consent": "y",
                "comfort": "2",
                "setting": "one_on_one",
                "format": "in_person",
                "looking_for": ["walks"],
            },
        ),
        ("availability", {"consent": "y", "slots": ["0", "1", "2"]}),
        (
            "place",
            {"area": str(area_id), "max_km": "5", "pace": "steady", "languages": ["English"]},
        ),
        ("about", {"about_me": "I like the sea."}),
    ]
    for step, data in answers:
        assert member.submit(f"/profile/{step}", data).status == 200
    assert "100% complete" in member.get("/home").text

    staff = HttpSession(production)
    staff.submit("/login", {"email": organizer.email, "password": PASSWORD})
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    page = staff.submit(
        "/organize/rounds/new",
        {
            "kind": "walks",
            "areas": [str(area_id)],
            "min_size": "2",
            "max_size": "3",
            "week_start": monday.isoformat(),
            "random_state": "0",
        },
    )
    round_path = re.search(r"/organize/rounds/(\d+)", page.url).group(0)
    wait_for(lambda: "Approve" in staff.get(round_path).text, 60, "the round's proposal")
    page = staff.submit(round_path, {}, action=round_path + "/approve")
    assert page.status == 200

    for address in ("nia@example.org", walker.email):
        invitation = wait_for(
            lambda a=address: [m for m in mail_sink.to(a) if "/invitations/" in m.text],
            60,
            f"the invitation to {address}",
        )[0]
        assert invitation.message["List-Unsubscribe"]
