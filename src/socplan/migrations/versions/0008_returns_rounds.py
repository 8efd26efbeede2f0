"""Returns rounds: owners' contacts, rounds (a period open for returns, with a due date), one
update link per owner in a round (stored only as a hash), partners' submissions and evidence
files, upload attempts (for the rate limit) and the mail sent.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner_contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("escalation", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "owner_preferences",
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("owner", sa.String(255), primary_key=True),
        sa.Column("workbook_format", sa.String(8), nullable=False, server_default="xlsx"),
    )
    op.create_table(
        "return_rounds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("period_index", sa.Integer, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("opened_by", sa.String(150), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("plan_id", "period_index", name="uq_return_rounds_plan_period"),
    )
    op.create_table(
        "return_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("return_rounds.id"), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("workbook_format", sa.String(8), nullable=False),
        sa.Column("workbook", sa.LargeBinary, nullable=False),
        sa.Column("refs", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("round_id", "owner", name="uq_return_links_round_owner"),
    )
    op.create_table(
        "return_submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link_id", sa.Integer, sa.ForeignKey("return_links.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("milestones", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decided_by", sa.String(150), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=True),
    )
    op.create_index("ix_return_submissions_link", "return_submissions", ["link_id"])
    op.create_table(
        "return_evidence",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link_id", sa.Integer, sa.ForeignKey("return_links.id"), nullable=False),
        sa.Column("milestone", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence_files.id"), nullable=True),
    )
    op.create_index("ix_return_evidence_link", "return_evidence", ["link_id"])
    op.create_table(
        "return_uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link_id", sa.Integer, sa.ForeignKey("return_links.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_return_uploads_link_at", "return_uploads", ["link_id", "at"])
    op.create_table(
        "return_mail",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link_id", sa.Integer, sa.ForeignKey("return_links.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_return_mail_link", "return_mail", ["link_id"])


def downgrade() -> None:
    op.drop_index("ix_return_mail_link", "return_mail")
    op.drop_table("return_mail")
    op.drop_index("ix_return_uploads_link_at", "return_uploads")
    op.drop_table("return_uploads")
    op.drop_index("ix_return_evidence_link", "return_evidence")
    op.drop_table("return_evidence")
    op.drop_index("ix_return_submissions_link", "return_submissions")
    op.drop_table("return_submissions")
    op.drop_table("return_links")
    op.drop_table("return_rounds")
    op.drop_table("owner_preferences")
    op.drop_table("owner_contacts")
