"""Where a meeting happens: venues organizers manage, and the notes members leave each other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import Model
from community.models.places import Area
from community.models.types import UTCDateTime
from community.models.users import utcnow

VENUE_KINDS = {
    "cafe": "Cafe",
    "library_room": "Library room",
    "community_centre": "Community centre",
    "park_meeting_point": "Park meeting point",
    "volunteering_site": "Volunteering site",
}
QUIETNESS = {"quiet": "Quiet", "some_noise": "Some noise", "lively": "Lively"}


class Venue(Model):
    """A real place with an address, open at some weekly slots, seating a few groups at once."""

    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("slot_mask >= 0 AND slot_mask < 2097152", name="slot_mask"),
        CheckConstraint(
            "kind IN ('cafe', 'library_room', 'community_centre', 'park_meeting_point', "
            "'volunteering_site')",
            name="kind",
        ),
        CheckConstraint("quietness IN ('quiet', 'some_noise', 'lively')", name="quietness"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="community_centre")
    slot_mask: Mapped[int] = mapped_column(default=0)
    capacity: Mapped[int] = mapped_column(default=1)
    step_free: Mapped[bool] = mapped_column(default=False)
    quietness: Mapped[str] = mapped_column(String(20), default="some_noise")
    walk_start: Mapped[bool] = mapped_column(default=False)
    directions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    area: Mapped[Area | None] = relationship()

    @property
    def kind_label(self) -> str:
        return VENUE_KINDS.get(self.kind, self.kind)

    @property
    def quietness_label(self) -> str:
        return QUIETNESS.get(self.quietness, self.quietness)

    @property
    def slots(self) -> set[int]:
        return {slot for slot in range(21) if self.slot_mask >> slot & 1}

    def __repr__(self) -> str:
        return f"<Venue {self.name}>"


class MeetingNote(Model):
    """One short note a member leaves for the others of a meeting ("I'll wear a green scarf")."""

    __tablename__ = "meeting_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(140))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by an organizer acting on a report: the note is no longer shown.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
