"""Platform record of generated demo data (schema lyceum): parameters that reproduce it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:14:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "generation_runs",
        sa.Column("app", sa.String(length=50), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=20), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column(
            "summary",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "generated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint("months >= 1", name=op.f("ck_generation_runs_months_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_runs")),
        schema="lyceum",
    )
    op.create_index(
        "ix_generation_runs_app_generated_at",
        "generation_runs",
        ["app", "generated_at"],
        unique=False,
        schema="lyceum",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_generation_runs_app_generated_at", table_name="generation_runs", schema="lyceum"
    )
    op.drop_table("generation_runs", schema="lyceum")
