"""Matching rounds and the matches they propose: groups, walks and placements."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.extensions import Model
from community.models.types import UTCDateTime
from community.models.users import utcnow

if TYPE_CHECKING:
    from community.models.places import Area, Opportunity
    from community.models.users import User
    from community.models.venues import Venue

KINDS = ("groups", "walks", "volunteering")
# draft: being prepared or computed; ready: preview available; approved: matches are
# real and invitations queued; failed: the computation stopped with an error.
ROUND_STATUSES = ("draft", "running", "ready", "approved", "failed")
MEMBER_STATUSES = ("proposed", "invited", "accepted", "declined", "released")


class MatchRound(Model):
    __tablename__ = "match_rounds"
    __table_args__ = (
        CheckConstraint("kind IN ('groups', 'walks', 'volunteering')", name="kind"),
        CheckConstraint(
            "status IN ('draft', 'running', 'ready', 'approved', 'failed')", name="status"
        ),
        CheckConstraint("min_size >= 2 AND max_size >= min_size AND max_size <= 12", name="sizes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    area_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    min_size: Mapped[int] = mapped_column(default=4)
    max_size: Mapped[int] = mapped_column(default=6)
    week_start: Mapped[date] = mapped_column(Date)
    random_state: Mapped[int] = mapped_column(default=0)
    # 0-100 while running, so the page can show progress.
    progress: Mapped[int] = mapped_column(default=0)
    progress_message: Mapped[str] = mapped_column(String(200), default="")
    # When a running round last reported progress: one silent for too long has lost
    # its worker (see ``rounds.fail_stalled``).
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Figures from the matching library: mean score, bound, ratio, placed, eligible.
    quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Members left out, each with a reason: [{"user_id": 3, "reason": "..."}].
    unplaced: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    matches: Mapped[list[Match]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Match.id"
    )


class Match(Model):
    """One group, walking pair or volunteer placement, proposed by a round."""

    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("slot BETWEEN 0 AND 20", name="slot"),
        CheckConstraint("format IN ('in_person', 'online')", name="format"),
        CheckConstraint("status IN ('proposed', 'active', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("match_rounds.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    slot: Mapped[int] = mapped_column()
    format: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"), index=True)
    # Where an in-person meeting happens (or why no venue could take it); an online
    # meeting's room instead. A change of place or time raises calendar_sequence.
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    venue_problem: Mapped[str] = mapped_column(Text, default="")
    room_url: Mapped[str] = mapped_column(String(300), default="")
    calendar_sequence: Mapped[int] = mapped_column(default=0)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # A group or pair that keeps meeting weekly at the same slot.
    recurring: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[MatchRound] = relationship(back_populates="matches")
    area: Mapped[Area | None] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    members: Mapped[list[MatchMember]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="MatchMember.id"
    )


class MatchMember(Model):
    __tablename__ = "match_members"
    __table_args__ = (
        UniqueConstraint("match_id", "user_id", name="uq_match_members_match_user"),
        CheckConstraint(
            "status IN ('proposed', 'invited', 'accepted', 'declined', 'released')",
            name="status",
        ),
        Index("ix_match_members_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    # Part of every response link; rotated once the link is used (single use).
    token_nonce: Mapped[str] = mapped_column(String(32), default="")
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    match: Mapped[Match] = relationship(back_populates="members")
    user: Mapped[User | None] = relationship()
