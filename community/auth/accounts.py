"""Account rules: sign-up, email verification, log-in and password reset.

Views call these, then commit. Nothing here reveals whether an email is known.
"""

from __future__ import annotations

import secrets

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select

from community.auth.passwords import burn_equal_time, hash_password, verify_password
from community.auth.tokens import InvalidToken, make_token, read_token
from community.extensions import db
from community.mail.outbox import queue_mail
from community.models import Profile, User, utcnow


class EmailTaken(Exception):
    """Someone already signed up with this email."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).scalar_one_or_none()


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an email, built from PUBLIC_URL rather than the request.

    Works outside a request too (CLI commands, workers), where url_for cannot.
    """
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def register(display_name: str, email: str, password: str) -> User:
    """Create a member with an empty profile and queue the verification email.

    The password is hashed before the email is checked, so a taken address
    answers no faster than a new one.
    """
    password_hash = hash_password(password)
    if find_by_email(email):
        raise EmailTaken(email)
    user = User(
        display_name=display_name.strip(),
        email=normalise_email(email),
        password_hash=password_hash,
        role="member",
    )
    user.profile = Profile()
    db.session.add(user)
    db.session.flush()
    queue_verification(user)
    return user


def queue_link_mail(
    user: User,
    template: str,
    subject: str,
    purpose: str,
    claims: dict,
    endpoint: str,
    **context,
) -> None:
    """Mail ``user`` a link to ``endpoint`` carrying a signed ``purpose`` token with ``claims``."""
    queue_mail(
        user,
        template,
        subject,
        idempotency_key=f"{purpose}:{user.id}:{secrets.token_hex(8)}",
        link=external_url(endpoint, token=make_token(purpose, claims)),
        **context,
    )


def queue_verification(user: User) -> None:
    queue_link_mail(
        user,
        "verify_email",
        "Please confirm your email for Kindred",
        "verify",
        {"uid": user.id, "email": user.email},
        "auth.verify_email",
    )


def notify_existing_signup(email: str) -> None:
    """Someone tried to sign up with this email: tell its owner instead of the visitor."""
    user = find_by_email(email)
    if user is None:
        return
    queue_mail(
        user,
        "signup_existing",
        "Someone tried to join Kindred with your email",
        idempotency_key=f"signup-existing:{user.id}:{utcnow():%Y%m%d%H}",
        login_link=external_url("auth.login"),
        reset_link=external_url("auth.forgot_password"),
    )


def verify_email(token: str) -> User:
    payload = read_token("verify", token, current_app.config["VERIFY_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload.get("uid"))
    if user is None or user.email != payload.get("email"):
        raise InvalidToken()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose password matches, or None; costs the same time either way."""
    user = find_by_email(email)
    if user is None:
        burn_equal_time(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset link if the email is known; silently do nothing otherwise.

    Runs out of band (see quiet_delivery), so the two cases look the same from outside.
    """
    user = find_by_email(email)
    if user is None or not user.active:
        return
    queue_link_mail(
        user,
        "reset_password",
        "Reset your Kindred password",
        "reset",
        {"uid": user.id, "pw": user.password_hash[-16:]},
        "auth.reset_password",
        minutes=current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
    )


def user_for_reset(token: str) -> User:
    """The user a reset link belongs to; the link dies once the password changes."""
    payload = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    user = db.session.get(User, payload.get("uid"))
    if user is None or user.password_hash[-16:] != payload.get("pw"):
        raise InvalidToken()
    return user


def set_password(user: User, password: str) -> None:
    """Change the password; the caller ends the account's sessions."""
    user.password_hash = hash_password(password)
