"""Fixtures: the app on a real database (SQLite, or PostgreSQL via DATABASE_URL),
a real SMTP server receiving mail, and helpers that post forms with their CSRF token."""

from __future__ import annotations

import os
import re
import time
from html import unescape
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from community import create_app
from community.auth.quiet_delivery import finish_out_of_band
from community.catalogue.setup import seed_areas, seed_vocabulary
from community.extensions import db, limiter
from community.mail.sink import MailSink
from tests.factories import MemberFactory

ARTIFACTS = Path(__file__).parent / "artifacts"


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory) -> str:
    url = postgres_url()
    if url is None:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kindred-test.db'}"
    if "test" not in url.rsplit("/", 1)[-1]:
        pytest.exit(f"Refusing to wipe a database whose name lacks 'test': {url}", 2)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def mail_sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def base_config(database_uri, mail_sink, tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mail_sink.port,
        "MAIL_SUPPRESS_SEND": False,
        "PUBLIC_URL": "http://localhost",
        # Online meetings get rooms under a local address: no test reaches a video service.
        "VIDEO_ROOM_URL": "http://127.0.0.1:8443/",
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def schema(base_config):
    """Build the schema through the migrations, once per run."""
    app = create_app(base_config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


@pytest.fixture
def make_app(base_config, schema, mail_sink):
    """Build an app with extra settings; the database is emptied after the test."""
    apps = []

    def build(**overrides):
        app = create_app({**base_config, **overrides})
        with app.app_context():
            seed_vocabulary()
            seed_areas()
            db.session.commit()
        apps.append(app)
        return app

    yield build
    for app in apps:
        finish_out_of_band(app)
    mail_sink.clear()
    for app in apps[:1]:
        with app.app_context():
            db.session.remove()
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
    for app in apps:
        with app.app_context():
            if app.config["RATELIMIT_ENABLED"]:
                limiter.reset()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def members(app):
    return MemberFactory(app)


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def submit(client, page: str, data: dict, action: str | None = None, **kwargs):
    """Open a page as a browser would, then post its form with the page's CSRF token."""
    page_response = client.get(page)
    token = csrf_token(page_response.get_data(as_text=True))
    return client.post(action or page, data={**data, "csrf_token": token}, **kwargs)


def login(client, email: str, password: str, remember: bool = False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return submit(client, "/login", data)


def links_in(text_body: str) -> list[str]:
    return [unescape(link) for link in re.findall(r"https?://\S+", text_body)]


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def wait_for(check, timeout: float = 30, what: str = "it"):
    """Poll `check` until it returns something truthy; that value, or a clear failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_mail(sink, address: str, count: int = 1, timeout: float = 10.0):
    """Mail for `address`, waiting for out-of-band delivery (sign-up, password reset)."""
    return wait_for(
        lambda: (received := sink.to(address)) and len(received) >= count and received,
        timeout,
        f"{count} mail(s) for {address}",
    )
