"""venues, meeting places and rooms, meeting notes, access needs

Invitations named only a neighbourhood. Venues give every in-person meeting a real
place (address, how to find it, step-free, how quiet), online meetings get a room
link, and a calendar sequence lets a changed place or time update the .ics.
Members may say they need step-free access or quiet places (stored with consent),
and leave one short note for the others of a meeting, which can be reported.

Revision ID: f1b2c3d4e5a6
Revises: e6a3c1f09b27
Create Date: 2026-12-07 02:10:00

"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "f1b2c3d4e5a6"
down_revision = "e6a3c1f09b27"
branch_labels = None
depends_on = None


@contextmanager
def quiet_reflection():
    """On SQLite a new foreign key rebuilds the table, reflecting the tables it refers
    to; users' expression index (lower(display_name)) can't be reflected and is not
    touched, so SQLAlchemy's warning about skipping it is expected here."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning
        )
        yield


def upgrade():
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("slot_mask", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("step_free", sa.Boolean(), nullable=False),
        sa.Column("quietness", sa.String(length=20), nullable=False),
        sa.Column("walk_start", sa.Boolean(), nullable=False),
        sa.Column("directions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("slot_mask >= 0 AND slot_mask < 2097152", name="slot_mask"),
        sa.CheckConstraint(
            "kind IN ('cafe', 'library_room', 'community_centre', 'park_meeting_point', "
            "'volunteering_site')",
            name="kind",
        ),
        sa.CheckConstraint("quietness IN ('quiet', 'some_noise', 'lively')", name="quietness"),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_area_id"), ["area_id"], unique=False)

    op.create_table(
        "meeting_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=140), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_notes_match_id"), ["match_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_notes_user_id"), ["user_id"], unique=False)

    with quiet_reflection(), op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("venue_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("venue_problem", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("room_url", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("calendar_sequence", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(batch_op.f("ix_matches_venue_id"), ["venue_id"], unique=False)
        batch_op.create_foreign_key("fk_matches_venue_id_venues", "venues", ["venue_id"], ["id"])

    with quiet_reflection(), op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_step_free", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("prefers_quiet", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with quiet_reflection(), op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_reports_note_id_meeting_notes",
            "meeting_notes",
            ["note_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with quiet_reflection(), op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint("fk_reports_note_id_meeting_notes", type_="foreignkey")
        batch_op.drop_column("note_id")
    with quiet_reflection(), op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("prefers_quiet")
        batch_op.drop_column("needs_step_free")
    with quiet_reflection(), op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint("fk_matches_venue_id_venues", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_matches_venue_id"))
        batch_op.drop_column("calendar_sequence")
        batch_op.drop_column("room_url")
        batch_op.drop_column("venue_problem")
        batch_op.drop_column("venue_id")
    with op.batch_alter_table("meeting_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_notes_user_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_notes_match_id"))
    op.drop_table("meeting_notes")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_area_id"))
    op.drop_table("venues")
