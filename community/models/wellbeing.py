"""A member's own wellbeing tools: the gentle start plan and the loneliness check."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from community.extensions import Model
from community.models.types import UTCDateTime
from community.models.users import utcnow


class GentleStart(Model):
    """Seven small daily steps for a new member's first week (opt-in)."""

    __tablename__ = "gentle_start"
    __table_args__ = (CheckConstraint("days_sent BETWEEN 0 AND 7", name="days_sent"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    days_sent: Mapped[int] = mapped_column(default=0)
    # Comma-separated day numbers the member marked done, e.g. "1,2,4".
    days_done: Mapped[str] = mapped_column(String(20), default="")
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def done(self) -> set[int]:
        return {int(day) for day in self.days_done.split(",") if day}


class LonelinessCheck(Model):
    """The three-item UCLA loneliness scale: 1 hardly ever, 2 some of the time, 3 often."""

    __tablename__ = "loneliness_checks"
    __table_args__ = (
        CheckConstraint("companionship BETWEEN 1 AND 3", name="companionship"),
        CheckConstraint("left_out BETWEEN 1 AND 3", name="left_out"),
        CheckConstraint("isolated BETWEEN 1 AND 3", name="isolated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    companionship: Mapped[int] = mapped_column()
    left_out: Mapped[int] = mapped_column()
    isolated: Mapped[int] = mapped_column()
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    @property
    def score(self) -> int:
        return self.companionship + self.left_out + self.isolated
