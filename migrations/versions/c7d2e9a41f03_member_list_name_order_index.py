"""member list: index members by lower(display_name), id

Revision ID: c7d2e9a41f03
Revises: bc15bed56339
Create Date: 2026-11-22 02:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c7d2e9a41f03"
down_revision = "bc15bed56339"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_name_order", "users", [sa.text("lower(display_name)"), "id"])


def downgrade():
    op.drop_index("ix_users_name_order", table_name="users")
