"""The member's "My connections" page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from community.invitations.connections import member_connections

bp = Blueprint("connections", __name__, url_prefix="/connections")


@bp.get("/")
@login_required
def index():
    current, past = member_connections(current_user)
    # The after-meeting pages (feedback, block, report) live in their own blueprint.
    feedback = "after_meeting.feedback_page" in current_app.view_functions
    return render_template(
        "invitations/connections.html", current=current, past=past, feedback=feedback
    )
