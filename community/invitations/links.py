"""Signed, single-use accept, decline and release links.

A link carries the seat and a nonce; answering rotates the nonce, so a link works once.
"""

from __future__ import annotations

from flask import current_app, has_request_context

from community.auth.accounts import external_url
from community.auth.tokens import InvalidToken, make_token, read_token, serializer
from community.extensions import db
from community.invitations.errors import LinkUsed
from community.invitations.unsubscribe import PURPOSE as UNSUBSCRIBE_PURPOSE
from community.invitations.unsubscribe import one_click_headers
from community.models import (
    MatchMember,
)

# The signing salt of accept, decline and release links (changing it voids sent links).
RESPONSE_LINK_PURPOSE = "invitation"


TOKEN_MAX_AGE = 60 * 60 * 24 * 30


# --- links ---------------------------------------------------------------------------


def response_token(seat_id: int, nonce: str) -> str:
    return make_token(RESPONSE_LINK_PURPOSE, {"mm": seat_id, "n": nonce})


def resolve(token: str) -> MatchMember:
    """The seat a response link belongs to; raises InvalidToken or LinkUsed."""
    max_age = current_app.config.get("INVITATION_TOKEN_MAX_AGE", TOKEN_MAX_AGE)
    payload = read_token(RESPONSE_LINK_PURPOSE, token, max_age)
    seat = db.session.get(MatchMember, payload.get("mm"))
    if seat is None or seat.match.status != "active":
        raise InvalidToken()
    if seat.token_nonce != payload.get("n"):
        raise LinkUsed("This link has been used already.")
    return seat


class LinkMaker:
    """Absolute links for mail, with ``url_for`` run once per endpoint, not once per link.

    Approving a round of 10,000 members writes 40,000 links; building each with
    ``url_for`` took seconds, so each endpoint's URL is built once around a
    placeholder and the signed token is dropped in.
    """

    PLACEHOLDER = "TOKEN-PLACEHOLDER"
    ENDPOINTS = (
        "invitations.accept",
        "invitations.decline",
        "invitations.release",
        "unsubscribe.confirm",
        "unsubscribe.one_click",
    )

    def __init__(self) -> None:
        with _LinkContext():
            self.templates = {
                endpoint: external_url(endpoint, token=self.PLACEHOLDER)
                for endpoint in self.ENDPOINTS
            }
            self.connections = external_url("connections.index")
        # One signer per purpose for the whole batch (building one per token costs).
        self.response_signer = serializer(RESPONSE_LINK_PURPOSE)
        self.unsubscribe_signer = serializer(UNSUBSCRIBE_PURPOSE)

    def url(self, endpoint: str, token: str) -> str:
        return self.templates[endpoint].replace(self.PLACEHOLDER, token)

    def responses(self, seat_id: int, nonce: str) -> dict[str, str]:
        token = self.response_signer.dumps({"mm": seat_id, "n": nonce})
        return {
            "accept_link": self.url("invitations.accept", token),
            "decline_link": self.url("invitations.decline", token),
            "release_link": self.url("invitations.release", token),
        }

    def unsubscribe(self, user_id: int) -> tuple[str, dict[str, str]]:
        """The body link and the RFC 8058 headers, sharing one signed token."""
        token = self.unsubscribe_signer.dumps({"uid": user_id})
        return (
            self.url("unsubscribe.confirm", token),
            one_click_headers(self.url("unsubscribe.one_click", token)),
        )


def links_for(seat_id: int, nonce: str) -> dict[str, str]:
    return LinkMaker().responses(seat_id, nonce)


class _LinkContext:
    """``url_for`` needs a request; the CLI and background jobs borrow one."""

    def __enter__(self):
        self.ctx = None
        if not has_request_context():
            self.ctx = current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"])
            self.ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
