"""Milestones' Evidence column: a link to or reference for the evidence behind an update.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Snapshots stored before the column existed have no evidence: blank, as an empty cell reads.
    with op.batch_alter_table("milestone_rows") as batch:
        batch.add_column(sa.Column("evidence", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("milestone_rows") as batch:
        batch.drop_column("evidence")
