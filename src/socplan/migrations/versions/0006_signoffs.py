"""Sign-off: a `signoffs` table recording each sign-off (the import the panel sees for a period)
and each withdrawal (with its reason); a period is published while its latest row is a sign-off.

A database from before sign-off existed had no drafts: the panel saw every period as imported.
So that upgrading hides nothing from the panel, each period's current revision is recorded as
signed off, by "socplan upgrade" at the time of the upgrade. Going down drops the table: every
period's newest revision is then what everyone sees again, as before.

Revision ID: 0006
Revises: 0005
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADED_BY = "socplan upgrade"


def upgrade() -> None:
    signoffs = op.create_table(
        "signoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("period_index", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_signoffs_plan_period", "signoffs", ["plan_id", "period_index"])
    imports = sa.table(
        "imports",
        sa.column("id", sa.Integer),
        sa.column("plan_id", sa.Integer),
        sa.column("period_index", sa.Integer),
        sa.column("revision", sa.Integer),
    )
    newer = imports.alias("newer")
    current = sa.select(
        imports.c.plan_id,
        imports.c.period_index,
        sa.literal("sign-off"),
        imports.c.id,
        sa.literal(UPGRADED_BY),
        sa.literal(datetime.now(UTC), sa.DateTime(timezone=True)),
        sa.literal("published when sign-off was introduced"),
    ).where(
        ~sa.exists().where(
            (newer.c.plan_id == imports.c.plan_id)
            & (newer.c.period_index == imports.c.period_index)
            & (newer.c.revision > imports.c.revision)
        )
    )
    op.get_bind().execute(
        signoffs.insert().from_select(
            ["plan_id", "period_index", "action", "import_id", "username", "at", "reason"],
            current.order_by(imports.c.plan_id, imports.c.period_index),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_signoffs_plan_period", "signoffs")
    op.drop_table("signoffs")
