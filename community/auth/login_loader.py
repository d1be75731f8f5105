"""How Flask-Login finds the member behind a session or remember-me cookie."""

from __future__ import annotations

from community.auth.login_sessions import resume_session
from community.extensions import login_manager
from community.models import User


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Cookies carry a server-side session token, so a logout really ends the session."""
    return resume_session(session_token)
