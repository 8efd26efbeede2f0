"""The database tables (SQLAlchemy Core); Alembic migrations in `migrations/` create them.

The snapshot tables take their columns from the workbook contract (`schema`): a new contract
column needs a migration, not an edit here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .schema import MS_COLUMNS, REC_COLUMNS, Column, Kind

metadata = sa.MetaData()

# One delivery plan each: the SOC strategy's, the Police and Crime Plan's, an inspection tracker.
# `settings` holds, as JSON, the settings where the plan differs from the installation's.
plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
)

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
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
    sa.UniqueConstraint(
        "plan_id", "period_index", "revision", name="uq_imports_plan_period_revision"
    ),
)

import_files = sa.Table(
    "import_files",
    metadata,
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)


def _stored(column: Column) -> sa.Column[Any]:
    """A contract column as the store keeps it: refs are part of the key; dates and
    percentages may be missing; text, statuses and flags always have a value."""
    if column.kind is Kind.DATE:
        return sa.Column(column.key, sa.Date, nullable=True)
    if column.kind is Kind.PERCENT:
        return sa.Column(column.key, sa.Float, nullable=True)
    if column.kind is Kind.FLAG:
        return sa.Column(column.key, sa.Boolean, nullable=False)
    kind = sa.String(column.size) if column.size else sa.Text
    return sa.Column(column.key, kind, primary_key=column.key == "ref", nullable=False)


def _snapshot_columns(
    columns: tuple[Column, ...],
    *last: sa.Column[Any],
    after: dict[str, sa.Column[Any]] | None = None,
) -> list[sa.Column[Any]]:
    """A snapshot table's columns: its import, the contract's columns in order with the store's
    own columns `after` the contract column each names, then the `last` ones."""
    out: list[sa.Column[Any]] = [
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), primary_key=True)
    ]
    for column in columns:
        out.append(_stored(column))
        if after and column.key in after:
            out.append(after[column.key])
    return [*out, *last]


recommendation_rows = sa.Table("recommendation_rows", metadata, *_snapshot_columns(REC_COLUMNS))

milestone_rows = sa.Table(
    "milestone_rows",
    metadata,
    *_snapshot_columns(
        MS_COLUMNS,
        # False when the milestone was carried forward with no update this period.
        sa.Column("updated", sa.Boolean, nullable=False),
        # The due date agreed when the milestone first appeared, kept by the store.
        after={"due": sa.Column("baseline_due", sa.Date, nullable=True)},
    ),
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

# A person's role on one plan, beside `users.role`, their role on every plan ("" for none).
plan_roles = sa.Table(
    "plan_roles",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
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
    # The plan the action was about; none for accounts and sign-in.
    sa.Column("plan_id", sa.Integer, nullable=True, index=True),
)

staged_uploads = sa.Table(
    "staged_uploads",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("partial", sa.Boolean, nullable=False),
    sa.Column("base_import_id", sa.Integer, nullable=True),
    sa.Column("files", sa.LargeBinary, nullable=False),
)

# Sign-offs and withdrawals, oldest first: a period's latest row says whether it is published
# ("sign-off": the panel sees the import it names) or not ("withdraw", with a reason).
signoffs = sa.Table(
    "signoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("period_index", sa.Integer, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_signoffs_plan_period", "plan_id", "period_index"),
)

# Evidence files attached to a milestone's update (see evidence_store.py): checked by content
# before they are stored, never deleted (`removed_at` hides one), editors' only unless `public`.
evidence_files = sa.Table(
    "evidence_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("milestone", sa.String(64), nullable=False),
    sa.Column("recommendation", sa.String(64), nullable=False),
    sa.Column("period_index", sa.Integer, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("media_type", sa.String(128), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("added_by", sa.String(150), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
)
