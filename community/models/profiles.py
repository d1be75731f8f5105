"""A member's profile: what they enjoy, how they like to meet, and when."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import Model, db
from community.models.types import UTCDateTime
from community.models.users import utcnow
from community.models.vocabulary import Interest

if TYPE_CHECKING:
    from community.models.places import Area
    from community.models.users import User

member_interests = Table(
    "member_interests",
    db.metadata,
    Column("user_id", ForeignKey("profiles.user_id", ondelete="CASCADE"), primary_key=True),
    Column("interest_id", ForeignKey("interests.id", ondelete="CASCADE"), primary_key=True),
)


class Profile(Model):
    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("comfort IS NULL OR comfort BETWEEN 1 AND 5", name="comfort"),
        CheckConstraint("setting IN ('one_on_one', 'small', 'group', 'any')", name="setting"),
        CheckConstraint("format IN ('in_person', 'online', 'either')", name="format"),
        CheckConstraint("pace IS NULL OR pace IN ('gentle', 'steady', 'brisk')", name="pace"),
        CheckConstraint("max_km IS NULL OR (max_km > 0 AND max_km <= 50)", name="max_km"),
        CheckConstraint(
            "availability_mask IS NULL OR (availability_mask >= 0 AND availability_mask < 2097152)",
            name="availability_mask",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Comfort and availability are stored only while consent_at is set.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    comfort: Mapped[int | None] = mapped_column()
    availability_mask: Mapped[int | None] = mapped_column()
    setting: Mapped[str] = mapped_column(String(20), default="any")
    format: Mapped[str] = mapped_column(String(20), default="either")
    wants_groups: Mapped[bool] = mapped_column(default=False)
    wants_walks: Mapped[bool] = mapped_column(default=False)
    wants_volunteering: Mapped[bool] = mapped_column(default=False)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    max_km: Mapped[float | None] = mapped_column(Float)
    pace: Mapped[str | None] = mapped_column(String(10))
    # Access needs, stored (like comfort) only while consent_at is set.
    needs_step_free: Mapped[bool] = mapped_column(default=False)
    prefers_quiet: Mapped[bool] = mapped_column(default=False)
    languages: Mapped[str] = mapped_column(String(200), default="")
    about_me: Mapped[str] = mapped_column(Text, default="")
    paused_until: Mapped[date | None] = mapped_column(Date)
    # Comma-separated wizard steps the member has saved, e.g. "interests,meeting".
    steps_done: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile")
    area: Mapped[Area | None] = relationship()
    interests: Mapped[list[Interest]] = relationship(
        secondary=member_interests, order_by=Interest.name
    )

    @property
    def language_list(self) -> list[str]:
        return [lang for lang in (self.languages or "").split(",") if lang]

    @property
    def completed_steps(self) -> set[str]:
        return {step for step in (self.steps_done or "").split(",") if step}

    @property
    def availability_slots(self) -> set[int]:
        mask = self.availability_mask or 0
        return {slot for slot in range(21) if mask >> slot & 1}
