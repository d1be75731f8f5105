"""Friendly error pages: every failure a person can cause gets words, not a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("Something in that request wasn't right", "Please go back and try again."),
    403: ("This page isn't open to you", "If you think it should be, ask an organizer."),
    404: ("We couldn't find that page", "The link may be old, or the page has moved."),
    405: ("That didn't work", "Please use the buttons on the page."),
    413: ("That was too much to send at once", "Please shorten what you wrote and try again."),
    429: (
        "Let's take a short breather",
        "There have been many attempts in a short time. Please wait a minute and try again.",
    ),
    500: ("Something went wrong on our side", "It isn't your fault. Please try again shortly."),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[400])
    return render_template(
        "web/error.html", code=code, title=title, message=detail or message
    ), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400, "This form had expired. Please go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(500)
    def server_error(error):
        return render_error(500)
