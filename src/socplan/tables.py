"""The database tables (SQLAlchemy Core); Alembic migrations in `migrations/` create them."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

imports = sa.Table(
    "imports",
    metadata,
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

import_files = sa.Table(
    "import_files",
    metadata,
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

recommendation_rows = sa.Table(
    "recommendation_rows",
    metadata,
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True),
    sa.Column("ref", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("theme", sa.String(64), nullable=False),
    sa.Column("lead", sa.String(255), nullable=False),
    sa.Column("partners", sa.Text, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False),
)

milestone_rows = sa.Table(
    "milestone_rows",
    metadata,
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

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(150), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Changed on sign-out, password or role change: every session holding the old key ends.
    sa.Column("session_key", sa.String(64), nullable=True),
)

# Failed sign-ins per (user name, address), for growing delays; never a lock-out.
sign_in_throttle = sa.Table(
    "sign_in_throttle",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("next_allowed_at", sa.DateTime(timezone=True), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
)

staged_uploads = sa.Table(
    "staged_uploads",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("partial", sa.Boolean, nullable=False),
    sa.Column("base_import_id", sa.Integer, nullable=True),
    sa.Column("files", sa.LargeBinary, nullable=False),
)
