"""Intervention engine (schema tutormax) and the platform's outbox (schema lyceum).

TutorMax: at most one open (pending or in progress) intervention per tutor and type, a
partial unique index the engine's INSERT ... ON CONFLICT names; `intervention_rule_matches`
(every tutor the rules picked on a day, treated or held out: what makes a rerun a no-op and
the holdout measurable); `intervention_routing` (owner queue and escalation, one row per
intervention, as the seed fixes the interventions table's 13 columns); `intervention_audit`
(who changed what). Platform: `lyceum.outbox`, messages written in the transaction of the
change they announce and delivered by `core.outbox`.

Written against 0009; the job-queue's successor 0010 is another branch's, and this revision
is re-chained after it when the branches meet.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:32:55.773311+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


DUPLICATE_OPEN = """
    SELECT count(*) FROM (
        SELECT 1 FROM tutormax.interventions
        WHERE status IN ('pending', 'in_progress')
        GROUP BY tutor_id, intervention_type HAVING count(*) > 1
    ) AS duplicated
"""


def upgrade() -> None:
    # Offline (--sql) there is no data to look at; the index creation itself will refuse.
    offline = op.get_context().as_sql
    duplicated = 0 if offline else op.get_bind().execute(sa.text(DUPLICATE_OPEN)).scalar()
    if duplicated:
        raise RuntimeError(
            f"{duplicated} tutor(s) have more than one open intervention of the same type; "
            "close the extra ones (status cancelled) before upgrading: the new unique index "
            "allows one open intervention per tutor and type"
        )
    op.create_table(
        "outbox",
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "(status = 'sent') = (sent_at IS NOT NULL)", name=op.f("ck_outbox_sent_at_iff_sent")
        ),
        sa.CheckConstraint(
            "btrim(channel) <> '' AND btrim(recipient) <> ''", name=op.f("ck_outbox_addressed")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_outbox_status_known")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_attempts_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        schema="lyceum",
    )
    op.create_index(
        "ix_outbox_pending_next_attempt_at",
        "outbox",
        ["next_attempt_at"],
        unique=False,
        schema="lyceum",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("uq_outbox_dedupe_key", "outbox", ["dedupe_key"], unique=True, schema="lyceum")
    op.create_table(
        "intervention_audit",
        sa.Column(
            "audit_id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("intervention_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column(
            "old_values",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "new_values",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action IN ('created', 'assigned', 'status_changed', 'completed', 'escalated')",
            name=op.f("ck_intervention_audit_action_known"),
        ),
        sa.CheckConstraint(
            "btrim(actor) <> ''", name=op.f("ck_intervention_audit_actor_not_blank")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(old_values) = 'object' AND jsonb_typeof(new_values) = 'object'",
            name=op.f("ck_intervention_audit_values_objects"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["tutormax.interventions.intervention_id"],
            name=op.f("fk_intervention_audit_intervention_id_interventions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("audit_id", name=op.f("pk_intervention_audit")),
        schema="tutormax",
    )
    op.create_index(
        "ix_intervention_audit_intervention_id_changed_at",
        "intervention_audit",
        ["intervention_id", "changed_at"],
        unique=False,
        schema="tutormax",
    )
    op.create_table(
        "intervention_routing",
        sa.Column("intervention_id", sa.UUID(), nullable=False),
        sa.Column("owner_queue", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("escalation_level", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "btrim(owner_queue) <> ''", name=op.f("ck_intervention_routing_owner_queue_not_blank")
        ),
        sa.CheckConstraint(
            "(escalation_level = 0) = (escalated_at IS NULL)",
            name=op.f("ck_intervention_routing_escalated_at_iff_escalated"),
        ),
        sa.CheckConstraint(
            "escalation_level >= 0",
            name=op.f("ck_intervention_routing_escalation_level_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["tutormax.interventions.intervention_id"],
            name=op.f("fk_intervention_routing_intervention_id_interventions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("intervention_id", name=op.f("pk_intervention_routing")),
        schema="tutormax",
    )
    op.create_table(
        "intervention_rule_matches",
        sa.Column("tutor_id", sa.String(length=50, collation="C"), nullable=False),
        sa.Column(
            "intervention_type",
            sa.Enum(
                "automated_coaching",
                "training_module",
                "first_session_checkin",
                "rescheduling_alert",
                "manager_coaching",
                "peer_mentoring",
                "performance_improvement_plan",
                "retention_interview",
                "recognition",
                name="intervention_type",
                native_enum=False,
                create_constraint=True,
                length=50,
            ),
            nullable=False,
        ),
        sa.Column("match_date", sa.Date(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("arm", sa.String(length=20), nullable=False),
        sa.Column("intervention_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "arm = 'treatment' OR intervention_id IS NULL",
            name=op.f("ck_intervention_rule_matches_holdout_untreated"),
        ),
        sa.CheckConstraint(
            "arm IN ('treatment', 'holdout')", name=op.f("ck_intervention_rule_matches_arm_known")
        ),
        sa.ForeignKeyConstraint(
            ["intervention_id"],
            ["tutormax.interventions.intervention_id"],
            name=op.f("fk_intervention_rule_matches_intervention_id_interventions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tutor_id"],
            ["tutormax.tutors.tutor_id"],
            name=op.f("fk_intervention_rule_matches_tutor_id_tutors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tutor_id", "intervention_type", "match_date", name=op.f("pk_intervention_rule_matches")
        ),
        schema="tutormax",
    )
    op.create_index(
        "ix_intervention_rule_matches_intervention_id",
        "intervention_rule_matches",
        ["intervention_id"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "ix_intervention_rule_matches_match_date",
        "intervention_rule_matches",
        ["match_date"],
        unique=False,
        schema="tutormax",
    )
    op.create_index(
        "uq_interventions_open_per_type",
        "interventions",
        ["tutor_id", "intervention_type"],
        unique=True,
        schema="tutormax",
        postgresql_where=sa.text("status IN ('pending', 'in_progress')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_interventions_open_per_type",
        table_name="interventions",
        schema="tutormax",
        postgresql_where=sa.text("status IN ('pending', 'in_progress')"),
    )
    op.drop_index(
        "ix_intervention_rule_matches_match_date",
        table_name="intervention_rule_matches",
        schema="tutormax",
    )
    op.drop_index(
        "ix_intervention_rule_matches_intervention_id",
        table_name="intervention_rule_matches",
        schema="tutormax",
    )
    op.drop_table("intervention_rule_matches", schema="tutormax")
    op.drop_table("intervention_routing", schema="tutormax")
    op.drop_index(
        "ix_intervention_audit_intervention_id_changed_at",
        table_name="intervention_audit",
        schema="tutormax",
    )
    op.drop_table("intervention_audit", schema="tutormax")
    op.drop_index("uq_outbox_dedupe_key", table_name="outbox", schema="lyceum")
    op.drop_index(
        "ix_outbox_pending_next_attempt_at",
        table_name="outbox",
        schema="lyceum",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("outbox", schema="lyceum")
