"""Who may open the organizers' and admins' pages: checked on the server, per blueprint.

Every blueprint under /organize and /admin is built here, so none can be added
without the role check; tests walk the whole URL map to make sure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, flash
from flask_login import current_user

from community.admin.moderation import open_count
from community.extensions import db, login_manager
from community.organize.errors import ChangeRefused
from community.organize.forms import ConfirmForm

T = TypeVar("T")


def require_role(admin: bool):
    """A before_request hook: log in first, then 403 for anyone without the role."""

    def check():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        allowed = current_user.is_admin if admin else current_user.is_organizer
        if not allowed:
            abort(403)
        return None

    check.__doc__ = "Admins only." if admin else "Organizers and admins only."
    return check


def navigation_counts() -> dict[str, object]:
    """The open-report count beside "Reports", and whether matching rounds are installed."""
    return {
        "open_report_count": open_count(),
        "rounds_endpoint": "rounds.index" if "rounds.index" in current_app.view_functions else None,
    }


def staff_blueprint(name: str, import_name: str, url_prefix: str, *, admin: bool) -> Blueprint:
    """A blueprint whose every page checks the role first and shows the staff navigation."""
    home, who = ("/admin", "admin") if admin else ("/organize", "organizer")
    if not url_prefix.startswith(home):
        raise ValueError(f"{who} pages live under {home}")
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(require_role(admin=admin))
    bp.context_processor(navigation_counts)
    return bp


def organizer_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    return staff_blueprint(name, import_name, url_prefix, admin=False)


def admin_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    return staff_blueprint(name, import_name, url_prefix, admin=True)


def refused(error: ChangeRefused) -> None:
    """Tell the organizer why nothing changed."""
    flash(str(error), "error")


# What confirmed_change returns when nothing changed (refused, or no valid confirmation).
UNCHANGED = object()


def confirmed_change(change: Callable[[], T], done: str | Callable[[T], str]) -> T | object:
    """One confirm button's change: commit and say what happened, or roll back and say why not.

    Returns the change's result, or UNCHANGED.
    """

    if not ConfirmForm().validate_on_submit():
        return UNCHANGED
    try:
        result = change()
    except ChangeRefused as error:
        db.session.rollback()
        refused(error)
        return UNCHANGED
    db.session.commit()
    flash(done(result) if callable(done) else done, "success")
    return result
