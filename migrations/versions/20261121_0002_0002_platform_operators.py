"""Platform operator accounts (schema lyceum).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 00:02:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from lyceum.core.db.ddl import create_updated_at_trigger, drop_updated_at_trigger

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column(
            "roles",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("ARRAY['operator']::text[]"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_operators_email_lowercase")),
        sa.CheckConstraint("email LIKE '%_@_%'", name=op.f("ck_operators_email_shape")),
        sa.CheckConstraint(
            "roles <@ ARRAY['admin', 'operator', 'viewer']::text[] AND cardinality(roles) > 0",
            name=op.f("ck_operators_roles_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        schema="lyceum",
    )
    op.create_index("uq_operators_email", "operators", ["email"], unique=True, schema="lyceum")
    create_updated_at_trigger("lyceum", "operators")


def downgrade() -> None:
    drop_updated_at_trigger("lyceum", "operators")
    op.drop_index("uq_operators_email", table_name="operators", schema="lyceum")
    op.drop_table("operators", schema="lyceum")
