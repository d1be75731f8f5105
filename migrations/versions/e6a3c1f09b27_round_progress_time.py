"""rounds: when a running round last reported progress

A round whose worker was stopped (a deploy, a killed process) stayed "running" for
good, and a running round cannot be rerun. With the time of its last progress
report, a round silent for too long is marked failed and can be run again.

Revision ID: e6a3c1f09b27
Revises: d4f1a7b20c5e
Create Date: 2026-11-22 08:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e6a3c1f09b27"
down_revision = "d4f1a7b20c5e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("match_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("match_rounds", schema=None) as batch_op:
        batch_op.drop_column("progress_at")
