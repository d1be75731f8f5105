"""Unsubscribing: a signed link in every invitation-type mail, and RFC 8058 one-click.

An unsubscribed member keeps their account; rounds simply stop including them.
"""

from __future__ import annotations

from flask import current_app, has_request_context

from community.auth.accounts import external_url
from community.auth.tokens import InvalidToken, make_token, read_token
from community.extensions import db
from community.models import User, utcnow

PURPOSE = "unsubscribe"
# Unsubscribe links must keep working for as long as old mail sits in an inbox.
MAX_AGE = 60 * 60 * 24 * 365 * 5


def unsubscribe_token(user_id: int) -> str:
    return make_token(PURPOSE, {"uid": user_id})


def user_for_token(token: str) -> User:
    payload = read_token(PURPOSE, token, MAX_AGE)
    user = db.session.get(User, payload.get("uid"))
    if user is None:
        raise InvalidToken()
    return user


def _absolute(endpoint: str, **values) -> str:

    if has_request_context():
        return external_url(endpoint, **values)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return external_url(endpoint, **values)


def unsubscribe_link(user_id: int) -> str:
    """The page with an "Unsubscribe" button (a person clicking in the mail body)."""
    return _absolute("unsubscribe.confirm", token=unsubscribe_token(user_id))


def unsubscribe_headers(user_id: int) -> dict[str, str]:
    return one_click_headers(_absolute("unsubscribe.one_click", token=unsubscribe_token(user_id)))


def one_click_headers(url: str) -> dict[str, str]:
    """RFC 8058 headers: mail clients POST "List-Unsubscribe=One-Click" to the URL."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe(user: User) -> None:
    if user.unsubscribed_at is None:
        user.unsubscribed_at = utcnow()


def resubscribe(user: User) -> None:
    user.unsubscribed_at = None
