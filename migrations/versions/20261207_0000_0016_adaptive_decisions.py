"""Adaptive decisions (issue 18): fitted knowledge-tracing parameters per concept, the
individualised model's offsets per student and per question, a confidence beside each mastery
probability, the student's target marks, and what a saved study plan
promises (expected marks, the weightage-only plan's marks at the same hours, the method, and
the exam date and weekly hours it was made for).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROBABILITIES = ("p_init", "p_learn", "guess_mcq", "guess_numeric", "slip")
# Offsets are in logits; the fit's ridge priors keep them within about ±3, so ±6 (a factor of
# ~400 in odds) only rejects garbage.
OFFSET_BOUND = 6


def _offset_range(name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{name} BETWEEN -{OFFSET_BOUND} AND {OFFSET_BOUND}", name=f"{name}_range"
    )


def _fitted_at() -> sa.Column:
    return sa.Column(
        "fitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "concept_mastery_params",
        sa.Column(
            "concept_id",
            sa.Uuid(),
            sa.ForeignKey("adaptive.concepts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("p_init", sa.Float(), nullable=False),
        sa.Column("p_learn", sa.Float(), nullable=False),
        sa.Column("forget_per_day", sa.Float(), nullable=False),
        sa.Column("guess_mcq", sa.Float(), nullable=False),
        sa.Column("guess_numeric", sa.Float(), nullable=False),
        sa.Column("slip", sa.Float(), nullable=False),
        sa.Column("attempts_used", sa.Integer(), nullable=False),
        sa.Column("students_used", sa.Integer(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=False),
        sa.Column(
            "fitted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        *(
            sa.CheckConstraint(f"{name} BETWEEN 0 AND 1", name=f"{name}_range")
            for name in PROBABILITIES
        ),
        sa.CheckConstraint("forget_per_day BETWEEN 0 AND 1", name="forget_per_day_range"),
        sa.CheckConstraint("attempts_used >= 0 AND students_used >= 0", name="counts_positive"),
        schema="adaptive",
    )
    op.create_table(
        "mastery_student_offsets",
        sa.Column(
            "student_id",
            sa.Uuid(),
            sa.ForeignKey("adaptive.users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("prior_offset", sa.Float(), nullable=False),
        sa.Column("attempts_used", sa.Integer(), nullable=False),
        _fitted_at(),
        _offset_range("prior_offset"),
        sa.CheckConstraint("attempts_used >= 0", name="attempts_used_positive"),
        schema="adaptive",
    )
    op.create_table(
        "mastery_question_offsets",
        sa.Column(
            "question_id",
            sa.Uuid(),
            sa.ForeignKey("adaptive.questions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("answer_offset", sa.Float(), nullable=False),
        sa.Column("attempts_used", sa.Integer(), nullable=False),
        _fitted_at(),
        _offset_range("answer_offset"),
        sa.CheckConstraint("attempts_used >= 0", name="attempts_used_positive"),
        schema="adaptive",
    )
    op.add_column(
        "concept_mastery",
        sa.Column("confidence", sa.Float(), nullable=False, server_default="0"),
        schema="adaptive",
    )
    op.create_check_constraint(
        "confidence_range", "concept_mastery", "confidence BETWEEN 0 AND 1", schema="adaptive"
    )
    op.add_column("student_profiles", sa.Column("target_marks", sa.Float()), schema="adaptive")
    op.create_check_constraint(
        "target_marks_range",
        "student_profiles",
        "target_marks BETWEEN 0 AND 100",
        schema="adaptive",
    )
    for column in (
        sa.Column("expected_marks", sa.Float()),
        sa.Column("baseline_marks", sa.Float()),
        sa.Column("method", sa.String(200)),
        sa.Column("exam_date", sa.Date()),
        sa.Column("hours_per_week", sa.Float()),
    ):
        op.add_column("study_plans", column, schema="adaptive")


def downgrade() -> None:
    for name in ("hours_per_week", "exam_date", "method", "baseline_marks", "expected_marks"):
        op.drop_column("study_plans", name, schema="adaptive")
    op.drop_constraint(
        op.f("ck_student_profiles_target_marks_range"), "student_profiles", schema="adaptive"
    )
    op.drop_column("student_profiles", "target_marks", schema="adaptive")
    op.drop_constraint(
        op.f("ck_concept_mastery_confidence_range"), "concept_mastery", schema="adaptive"
    )
    op.drop_column("concept_mastery", "confidence", schema="adaptive")
    op.drop_table("mastery_question_offsets", schema="adaptive")
    op.drop_table("mastery_student_offsets", schema="adaptive")
    op.drop_table("concept_mastery_params", schema="adaptive")
