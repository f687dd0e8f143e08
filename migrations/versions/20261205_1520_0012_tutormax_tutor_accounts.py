"""TutorMax tutor accounts: the app role `tutormax:tutor` on platform accounts, and the link
from such an account to the one tutor it speaks for (tutormax.tutor_accounts).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 15:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_CHECK = "roles_known"
ROLES_BEFORE = "roles <@ ARRAY['admin', 'operator', 'viewer']::text[] AND cardinality(roles) > 0"
ROLES_AFTER = (
    "roles <@ ARRAY['admin', 'operator', 'viewer', 'tutormax:tutor']::text[]"
    " AND cardinality(roles) > 0"
)

TUTOR_ROLE_HOLDERS = "SELECT count(*) FROM lyceum.operators WHERE 'tutormax:tutor' = ANY(roles)"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_operators_roles_known"), "operators", schema="lyceum")
    op.create_check_constraint(ROLES_CHECK, "operators", ROLES_AFTER, schema="lyceum")
    op.create_table(
        "tutor_accounts",
        sa.Column("operator_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["lyceum.operators.id"],
            name=op.f("fk_tutor_accounts_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_tutor_accounts_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_tutor_accounts")),
        schema="tutormax",
    )
    op.create_index(
        "uq_tutor_accounts_tutor_id", "tutor_accounts", ["tutor_id"], unique=True, schema="tutormax"
    )


def downgrade() -> None:
    op.drop_index("uq_tutor_accounts_tutor_id", table_name="tutor_accounts", schema="tutormax")
    op.drop_table("tutor_accounts", schema="tutormax")
    offline = op.get_context().as_sql
    holders = 0 if offline else op.get_bind().execute(sa.text(TUTOR_ROLE_HOLDERS)).scalar()
    if holders:
        raise RuntimeError(
            f"{holders} account(s) hold the role tutormax:tutor, which the older check "
            "refuses; remove the role from them (or delete the accounts) before downgrading"
        )
    op.drop_constraint(op.f("ck_operators_roles_known"), "operators", schema="lyceum")
    op.create_check_constraint(ROLES_CHECK, "operators", ROLES_BEFORE, schema="lyceum")
