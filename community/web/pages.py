"""Public pages: the welcome page and how Kindred works."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("members.home"))
    return render_template("web/index.html")


@bp.get("/healthz")
def health():
    """For load balancers and the load benchmark's ceiling: no database, no session."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/privacy")
def privacy():
    return render_template("web/privacy.html")
