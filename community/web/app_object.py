"""The application object behind ``current_app``, for work that outlives the request."""

from typing import cast

from flask import Flask, current_app
from werkzeug.local import LocalProxy


def real_app() -> Flask:
    """The Flask app itself, not the context-bound proxy: safe to hand to a thread or task.

    Flask annotates ``current_app`` as ``Flask`` although it is a werkzeug ``LocalProxy``;
    the cast says what it is, so its documented ``_get_current_object`` type-checks.
    """
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
