"""How Flask-Login finds the member behind a session cookie."""

from __future__ import annotations

from sqlalchemy import select

from community.extensions import db, login_manager
from community.models import User


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """Sessions store a rotating login id, so a password change ends old sessions."""
    return db.session.execute(select(User).where(User.login_id == login_id)).scalar_one_or_none()
