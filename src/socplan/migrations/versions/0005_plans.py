"""Many plans in one installation: a `plans` table, and every import, staged upload and audit
entry belonging to one; roles per plan beside each person's role on every plan.

A database from the single-plan version becomes one plan, `main`, holding all its data (rename it
with `socplan plans rename`). Going down is refused while the database holds more than one plan:
their refs and periods would collide.

Revision ID: 0005
Revises: 0004
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FIRST_SLUG = "main"
FIRST_TITLE = "Delivery plan"


def upgrade() -> None:
    plans = op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
    )
    conn = op.get_bind()
    first = None
    if conn.execute(sa.text("SELECT count(*) FROM imports")).scalar():
        conn.execute(
            plans.insert().values(
                slug=FIRST_SLUG, title=FIRST_TITLE, settings="{}", created_at=datetime.now(UTC)
            )
        )
        first = conn.execute(sa.text("SELECT id FROM plans")).scalar()
    for table in ("imports", "staged_uploads"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("plan_id", sa.Integer, nullable=True))
        if first is not None:
            conn.execute(sa.text(f"UPDATE {table} SET plan_id = :id"), {"id": first})
    # Staged uploads from before have a plan when the database had one; else they are moot.
    conn.execute(sa.text("DELETE FROM staged_uploads WHERE plan_id IS NULL"))
    with op.batch_alter_table("imports") as batch:
        batch.alter_column("plan_id", existing_type=sa.Integer, nullable=False)
        batch.create_foreign_key("fk_imports_plan", "plans", ["plan_id"], ["id"])
        batch.drop_constraint("uq_imports_period_revision", type_="unique")
        batch.create_unique_constraint(
            "uq_imports_plan_period_revision", ["plan_id", "period_index", "revision"]
        )
    op.create_index("ix_imports_plan_id", "imports", ["plan_id"])
    with op.batch_alter_table("staged_uploads") as batch:
        batch.create_foreign_key("fk_staged_uploads_plan", "plans", ["plan_id"], ["id"])
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("plan_id", sa.Integer, nullable=True))
    # Entries about the plan's data (not accounts or sign-in) were about the one plan.
    if first is not None:
        conn.execute(
            sa.text(
                "UPDATE audit_log SET plan_id = :id WHERE action NOT LIKE 'user-%' "
                "AND action NOT LIKE 'sign-%'"
            ),
            {"id": first},
        )
    op.create_index("ix_audit_log_plan_id", "audit_log", ["plan_id"])
    op.create_table(
        "plan_roles",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    conn = op.get_bind()
    count = conn.execute(sa.text("SELECT count(*) FROM plans")).scalar()
    if count and count > 1:
        raise RuntimeError(
            f"this database holds {count} plans; the version before plans can hold only one"
        )
    # Someone with a role on the one plan only keeps it as their role.
    conn.execute(
        sa.text(
            "UPDATE users SET role = (SELECT max(plan_roles.role) FROM plan_roles "
            "WHERE plan_roles.user_id = users.id) WHERE role = '' AND EXISTS "
            "(SELECT 1 FROM plan_roles WHERE plan_roles.user_id = users.id)"
        )
    )
    conn.execute(sa.text("UPDATE users SET role = 'viewer' WHERE role = ''"))
    op.drop_table("plan_roles")
    op.drop_index("ix_audit_log_plan_id", "audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("plan_id")
    with op.batch_alter_table("staged_uploads") as batch:
        batch.drop_constraint("fk_staged_uploads_plan", type_="foreignkey")
        batch.drop_column("plan_id")
    op.drop_index("ix_imports_plan_id", "imports")
    with op.batch_alter_table("imports") as batch:
        batch.drop_constraint("uq_imports_plan_period_revision", type_="unique")
        batch.create_unique_constraint("uq_imports_period_revision", ["period_index", "revision"])
        batch.drop_constraint("fk_imports_plan", type_="foreignkey")
        batch.drop_column("plan_id")
    op.drop_table("plans")
