"""Where people meet: neighbourhoods and volunteer opportunities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import Model, db
from community.models.types import UTCDateTime
from community.models.users import utcnow
from community.models.vocabulary import Interest

opportunity_interests = Table(
    "opportunity_interests",
    db.metadata,
    Column("opportunity_id", ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True),
    Column("interest_id", ForeignKey("interests.id", ondelete="CASCADE"), primary_key=True),
)


class Area(Model):
    """A named neighbourhood. Members pick one; their exact address is never stored."""

    __tablename__ = "areas"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("default_radius_km > 0", name="radius"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    default_radius_km: Mapped[float] = mapped_column(Float, default=3.0)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Area {self.name}>"


class Opportunity(Model):
    """A volunteer placement with a fixed number of places."""

    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("min_comfort BETWEEN 1 AND 5", name="min_comfort"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    host: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    slot_mask: Mapped[int] = mapped_column(default=0)
    capacity: Mapped[int] = mapped_column(default=1)
    min_comfort: Mapped[int] = mapped_column(default=1)
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    area: Mapped[Area | None] = relationship()
    interests: Mapped[list[Interest]] = relationship(secondary=opportunity_interests)
