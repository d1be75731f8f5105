"""Accounts: who can log in, and with which role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import Model
from community.models.types import UTCDateTime

if TYPE_CHECKING:
    from community.models.profiles import Profile

ROLES = ("member", "organizer", "admin")


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('member', 'organizer', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="member")
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    # Unsubscribed members keep their account but get no more invitations.
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The mail server refused this address permanently (5xx); no more mail is queued.
    email_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    profile: Mapped[Profile | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    # Set for the request by login_sessions: the session this user is logged in with.
    # Declared for type checkers only: an annotation here would ask the ORM for a column.
    if TYPE_CHECKING:
        session_token: str | None
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_organizer(self) -> bool:
        return self.role in ("organizer", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


# The organizer member list pages through members by name; this keeps each page cheap.
# display_name is included so PostgreSQL can read a page's ids from the index alone.
Index(
    "ix_users_name_order",
    func.lower(User.display_name),
    User.id,
    postgresql_include=["display_name"],
)
