"""learned_models: the feedback model trained when feedback arrives, reused by rounds

A round used to fit the feedback model from scratch, which grew with the
community's history. The model is now trained when feedback arrives and stored
here with a fingerprint of its training set; a round reuses it while it is fresh.

Revision ID: a7c2e5d91b34
Revises: f1b2c3d4e5a6
Create Date: 2026-12-08 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a7c2e5d91b34"
down_revision = "f1b2c3d4e5a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "learned_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=True),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("training_set", sa.JSON(), nullable=False),
        sa.Column("n_meetings", sa.Integer(), nullable=False),
        sa.Column("n_answers", sa.Integer(), nullable=False),
        sa.Column("n_again_answers", sa.Integer(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("effects", sa.JSON(), nullable=False),
        sa.Column("converged", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("stale_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_reason", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("learned_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learned_models_fingerprint"), ["fingerprint"], unique=False
        )


def downgrade():
    with op.batch_alter_table("learned_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learned_models_fingerprint"))
    op.drop_table("learned_models")
