"""TutorMax churn models: each trained model's artifact, training metadata and figures.

Not a seed table. `lyceum tutormax train` writes one row per model version (the fitted
model as text, the feature spec with its reference medians, what it was trained on);
`evaluate` also writes the held-out figures the API's model card shows. `as_of` is midnight
UTC: the model saw nothing from that instant on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "tutormax"


def upgrade() -> None:
    op.create_table(
        "churn_models",
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "trained_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("artifact", sa.Text(), nullable=False),
        sa.Column("features", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("training", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("evaluation", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "as_of = date_trunc('day', as_of, 'UTC')",
            name=op.f("ck_churn_models_as_of_midnight_utc"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(features) = 'array'", name=op.f("ck_churn_models_features_array")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(training) = 'object'", name=op.f("ck_churn_models_training_object")
        ),
        sa.CheckConstraint(
            "evaluation IS NULL OR jsonb_typeof(evaluation) = 'object'",
            name=op.f("ck_churn_models_evaluation_object"),
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_churn_models")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_churn_models_trained_at", "churn_models", ["trained_at"], unique=False, schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("ix_churn_models_trained_at", table_name="churn_models", schema=SCHEMA)
    op.drop_table("churn_models", schema=SCHEMA)
