"""Embedded defaults: a single machine with SQLite and a local mail sink.

Every value can be overridden from the environment with the ``KINDRED_`` prefix
(``KINDRED_MAIL_SERVER=smtp.example.org``); ``DATABASE_URL`` selects the database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def database_url(instance_path: str) -> str:
    """Prefer ``DATABASE_URL``; psycopg 3 needs the ``postgresql+psycopg`` scheme."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'kindred.db'}"
    for old in ("postgres://", "postgresql://"):
        if url.startswith(old):
            return "postgresql+psycopg://" + url[len(old) :]
    return url


class Defaults:
    SECRET_KEY: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 512 * 1024
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    SESSION_IDLE_TIMEOUT = 60 * 60 * 2
    SESSION_ABSOLUTE_TIMEOUT = 60 * 60 * 12

    # Mail: the local sink started by `flask demo` listens here.
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = ("Kindred", "hello@kindred.local")
    # "inline": pending mail is sent right after the request that queued it.
    # "worker": left for `flask send-mail` (or a Celery worker) to deliver.
    # "celery": the request asks a Celery worker to deliver (see community/celery_app.py).
    MAIL_DELIVERY = "inline"
    MAIL_MAX_ATTEMPTS = 8
    MAIL_MESSAGE_ID_DOMAIN = "kindred.local"
    # Rows claimed and sent over one SMTP connection at a time.
    MAIL_BATCH_SIZE = 100
    # First retry after a temporary failure; the wait doubles with each attempt.
    MAIL_RETRY_SECONDS = 60
    MAIL_RETRY_MAX_SECONDS = 6 * 60 * 60
    # A row left "sending" this long (its sender died) goes back to pending.
    MAIL_LEASE_SECONDS = 10 * 60
    MAIL_TIMEOUT_SECONDS = 30
    # Celery with Redis as the broker: `celery -A community.mail.celery_app worker --beat`.
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    CELERY_RESULT_BACKEND = "redis://127.0.0.1:6379/0"
    CELERY_TASK_DEFAULT_QUEUE = "kindred"
    # The periodic sweep: stale claims back to pending, then deliver what is due.
    MAIL_SWEEP_SECONDS = 60
    # Where the development mail sink keeps what it received (read at /dev/mail).
    DEV_MAIL_DIR: str | None = None

    # Absolute links in emails are built from this base URL.
    PUBLIC_URL = "http://127.0.0.1:5000"
    # Online meetings get a room under this address (KINDRED_VIDEO_ROOM_URL, e.g. a
    # Jitsi server "https://meet.example.org"): base + "/kindred-" + 128 random bits.
    # Empty: rounds with online meetings can't be approved until it is set.
    VIDEO_ROOM_URL = ""

    VERIFY_TOKEN_MAX_AGE = 60 * 60 * 24 * 3
    RESET_TOKEN_MAX_AGE = 60 * 60

    # "thread": large rounds compute in a background thread of the web process;
    # "celery": on a Celery worker (production, several hosts).
    ROUND_RUNNER = "thread"
    # A running round that reports no progress for this long has lost its worker
    # (a deploy, a killed process): it is marked failed so it can be run again.
    ROUND_STALL_SECONDS = 15 * 60

    # The organizer member list keeps a count of this many members or more for this
    # long (per process), instead of counting them again on every page.
    MEMBER_COUNT_CACHE_FROM = 10_000
    MEMBER_COUNT_CACHE_SECONDS = 60

    # Set to 1 behind one reverse proxy (nginx, a load balancer) that sets X-Forwarded-*.
    PROXY_FIX_HOPS = 0

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    RESET_RATE_LIMIT = "5 per minute;20 per hour"
    SIGNUP_RATE_LIMIT = "10 per minute;50 per hour"

    # Argon2id cost; tests lower it, production keeps the library's defaults.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536


def development_secret(instance_path: str) -> str:
    """A per-checkout secret so a developer's sessions survive restarts."""
    path = Path(instance_path) / "dev-secret-key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
