"""Answering an invitation from the links in the mail.

Opening a link (GET) only shows a confirmation page: mail scanners prefetch
links, so the choice itself is always a POST.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from community.auth.tokens import InvalidToken
from community.extensions import db
from community.invitations import responses
from community.invitations.errors import AlreadyResponded, LinkUsed, MatchFull, NotAccepted
from community.invitations.links import resolve, response_token
from community.invitations.seat_details import seat_details

bp = Blueprint("invitations", __name__, url_prefix="/invitations")

ACTIONS = {
    "accept": "Yes, I'll be there",
    "decline": "No, not this time",
    "release": "Release my seat",
}


def link_problem(*, expired: bool = False, used: bool = False):
    return render_template("invitations/link_problem.html", expired=expired, used=used), 400


def seat_or_problem(token: str):
    try:
        return resolve(token), None
    except InvalidToken as error:
        return None, link_problem(expired=error.expired)
    except LinkUsed:
        return None, link_problem(used=True)


def confirm_page(token: str, action: str):
    seat, problem = seat_or_problem(token)
    if problem:
        return problem
    if action == "release" and seat.status != "accepted":
        return link_problem(used=True)
    if action in ("accept", "decline") and seat.status != "invited":
        return link_problem(used=True)
    return render_template(
        "invitations/confirm.html",
        seat=seat,
        match=seat.match,
        action=action,
        button=ACTIONS[action],
        details=seat_details(seat),
        token=token,
    )


@bp.get("/<token>/accept")
def accept(token: str):
    return confirm_page(token, "accept")


@bp.get("/<token>/decline")
def decline(token: str):
    return confirm_page(token, "decline")


@bp.get("/<token>/release")
def release(token: str):
    return confirm_page(token, "release")


@bp.post("/<token>/accept")
def accept_post(token: str):
    seat, problem = seat_or_problem(token)
    if problem:
        return problem
    try:
        nonce = responses.accept(seat)
    except MatchFull:
        db.session.rollback()
        return render_template("invitations/full.html", details=seat_details(seat)), 409
    except AlreadyResponded:
        db.session.rollback()
        return link_problem(used=True)
    db.session.commit()
    release_token = response_token(seat.id, nonce)
    return render_template(
        "invitations/answered.html",
        action="accept",
        details=seat_details(seat),
        release_url=url_for("invitations.release", token=release_token),
    )


@bp.post("/<token>/decline")
def decline_post(token: str):
    return give_up_seat(token, "decline", responses.decline)


@bp.post("/<token>/release")
def release_post(token: str):
    return give_up_seat(token, "release", responses.release)


def give_up_seat(token: str, action: str, change):
    """Decline or release by a mailed link: silent to the others, once per link."""
    seat, problem = seat_or_problem(token)
    if problem:
        return problem
    try:
        change(seat)
    except (AlreadyResponded, NotAccepted):
        db.session.rollback()
        return link_problem(used=True)
    db.session.commit()
    return render_template("invitations/answered.html", action=action, details=None)
