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

# Returns rounds (see rounds.py). Owners' contacts are personal data: editors and admins only.
owner_contacts = sa.Table(
    "owner_contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False, index=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False, server_default=""),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("escalation", sa.Boolean, nullable=False, server_default=sa.false()),
)

owner_preferences = sa.Table(
    "owner_preferences",
    metadata,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), primary_key=True),
    sa.Column("owner", sa.String(255), primary_key=True),
    sa.Column("workbook_format", sa.String(8), nullable=False, server_default="xlsx"),
)

# A period open for returns, with its due date; one per plan and period.
return_rounds = sa.Table(
    "return_rounds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("period_index", sa.Integer, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("opened_by", sa.String(150), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("plan_id", "period_index", name="uq_return_rounds_plan_period"),
)

# One owner's place in a round: the workbook sent, the milestones it may update (`refs`, JSON)
# and the update link, kept only as the SHA-256 of its token (the token is derived from the
# installation's secret key and `nonce`; a new nonce re-issues the link).
return_links = sa.Table(
    "return_links",
    metadata,
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

# What partners sent through their link: "checked" (passed, not yet submitted), "submitted"
# (awaiting review), "committed", "rejected" (with a message) or "superseded" (sent again).
return_submissions = sa.Table(
    "return_submissions",
    metadata,
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
    sa.Index("ix_return_submissions_link", "link_id"),
)

# Evidence files a partner attached to their milestones through their link: "waiting" until
# their return is committed (then copied into `evidence_files`, editors' only, and "committed")
# or "removed" by the partner. Checked by content as editors' evidence is.
return_evidence = sa.Table(
    "return_evidence",
    metadata,
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
    sa.Index("ix_return_evidence_link", "link_id"),
)

# Every upload through a link, accepted or not: the per-link rate limit counts these.
return_uploads = sa.Table(
    "return_uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("return_links.id"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_return_uploads_link_at", "link_id", "at"),
)

# Each message about a link (invitation, reminder, due, escalation) and what became of it:
# "sent", "outbox" (written as .eml) or "failed" (retried next run). No addresses: a count.
return_mail = sa.Table(
    "return_mail",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("link_id", sa.Integer, sa.ForeignKey("return_links.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_return_mail_link", "link_id"),
)
