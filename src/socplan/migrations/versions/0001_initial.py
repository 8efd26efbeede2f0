"""Initial schema: imports (revisions), original files, recommendation and milestone snapshots.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("period_index", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("imported_by", sa.String(255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restored_from", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("period_index", "revision", name="uq_imports_period_revision"),
    )
    op.create_table(
        "import_files",
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "recommendation_rows",
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True),
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("theme", sa.String(64), nullable=False),
        sa.Column("lead", sa.String(255), nullable=False),
        sa.Column("partners", sa.Text, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
    )
    op.create_table(
        "milestone_rows",
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True),
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("recommendation", sa.String(64), nullable=False),
        sa.Column("milestone", sa.Text, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("start", sa.Date, nullable=True),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("baseline_due", sa.Date, nullable=True),
        sa.Column("forecast", sa.Date, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("progress", sa.Float, nullable=True),
        sa.Column("update", sa.Text, nullable=False),
        sa.Column("completed", sa.Date, nullable=True),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("updated", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("milestone_rows")
    op.drop_table("recommendation_rows")
    op.drop_table("import_files")
    op.drop_table("imports")
