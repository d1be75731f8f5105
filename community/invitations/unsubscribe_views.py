"""Unsubscribe pages: a confirmation page with a button, and the one-click endpoint."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from community.auth.tokens import InvalidToken
from community.extensions import csrf, db
from community.invitations import unsubscribe as service

bp = Blueprint("unsubscribe", __name__, url_prefix="/unsubscribe")


def link_problem(expired: bool = False):
    return render_template("invitations/link_problem.html", expired=expired, used=False), 400


@bp.get("/<token>")
def confirm(token: str):
    try:
        user = service.user_for_token(token)
    except InvalidToken as error:
        return link_problem(error.expired)
    return render_template("invitations/unsubscribe.html", user=user, token=token, done=False)


@bp.post("/<token>")
def unsubscribe(token: str):
    try:
        user = service.user_for_token(token)
    except InvalidToken as error:
        return link_problem(error.expired)
    if request.form.get("action") == "resubscribe":
        service.resubscribe(user)
        db.session.commit()
        return render_template(
            "invitations/unsubscribe.html", user=user, token=token, done=False, back=True
        )
    service.unsubscribe(user)
    db.session.commit()
    return render_template("invitations/unsubscribe.html", user=user, token=token, done=True)


# Exempt from CSRF on purpose: RFC 8058 mail clients POST here with no session and no
# form token, only "List-Unsubscribe=One-Click". The signed token in the URL is what
# authorises the change, and it grants nothing but unsubscribing its own user.
@bp.post("/<token>/one-click")
@csrf.exempt
def one_click(token: str):
    try:
        user = service.user_for_token(token)
    except InvalidToken:
        return "This unsubscribe link is not valid.\n", 400, {"Content-Type": "text/plain"}
    service.unsubscribe(user)
    db.session.commit()
    return "You are unsubscribed.\n", 200, {"Content-Type": "text/plain"}


@bp.get("/<token>/one-click")
def one_click_page(token: str):
    """A client that opens the header URL in a browser gets the ordinary page."""
    return redirect(url_for("unsubscribe.confirm", token=token))
