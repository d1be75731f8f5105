"""Login sessions: one row per logged-in browser, ended on logout, expiry or password change.

A session cookie alone cannot be revoked; a row the server checks on every request can.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from community.extensions import db
from community.models import LoginSession, User, utcnow


def start_session(user: User, *, remember: bool) -> str:
    """Record a new session and make it the one Flask-Login stores for this user."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token=token, user_id=user.id, remember=remember))
    user.session_token = token
    return token


def expired(row: LoginSession, now: datetime) -> bool:
    config = current_app.config
    created, seen = row.created_at, row.last_seen_at
    if row.remember:
        return now - created > timedelta(seconds=config["REMEMBER_COOKIE_DURATION"])
    return now - seen > timedelta(seconds=config["SESSION_IDLE_TIMEOUT"]) or (
        now - created > timedelta(seconds=config["SESSION_ABSOLUTE_TIMEOUT"])
    )


# One query for the session, its member and their profile: every page needs all three.
# Built once, since every request with a session cookie runs it.
SESSION_WITH_MEMBER = (
    select(LoginSession, User)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.token == bindparam("token"))
    .options(joinedload(User.profile))
)


def resume_session(token: str) -> User | None:
    """The user behind a live session token; touches it so idle time restarts."""
    found = db.session.execute(SESSION_WITH_MEMBER, {"token": token}).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or not user.active:
        return None
    now = utcnow()
    if expired(row, now):
        row.revoked_at = now
        db.session.commit()
        return None
    # Writing on every request would cost more than idle accuracy to the minute is worth.
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now
        db.session.commit()
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token == token, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def end_all_sessions(user: User) -> None:
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def live_sessions(user: User) -> list[LoginSession]:
    return list(
        db.session.execute(
            select(LoginSession).where(
                LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
            )
        ).scalars()
    )
