"""Teacher evaluation (seed 003): `evaluations` (one per exam, SLA tracked) and
`question_marks` (marks per written question, for feedback and analytics).

The SLA clock starts when the exam is submitted; `sla_deadline` is that instant plus the
subscription's SLA in working hours (09:00-18:00 IST, holidays excluded), computed by the
SLA service and stored so queues can sort and index on it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.core.db.columns import relationship
from lyceum.mathvidya.enums import EvaluationStatus, ExamType, QuestionType, UserRole
from lyceum.mathvidya.models.base import (
    CASCADE,
    RESTRICT,
    SCHEMA,
    ClassLevel,
    MathvidyaBase,
    between,
    class_level_check,
    fk,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import EVALUATION_STATUS, EXAM_TYPE, QUESTION_TYPE, USER_ROLE
from lyceum.mathvidya.models.exam_instance import MAX_QUESTIONS, QUESTION_KEY
from lyceum.mathvidya.models.mapping import USERS_ID_ROLE
from lyceum.mathvidya.models.question import marks_by_type_sql
from lyceum.mathvidya.models.subscription import MAX_SLA_HOURS

EVALUATION_STAMPS = ("tick", "cross", "half", "circle", "star")
OPEN_STATUSES_SQL = "status IN ('pending', 'assigned', 'in_progress')"


class Evaluation(TimestampMixin, MathvidyaBase):
    __tablename__ = "evaluations"
    __table_args__ = (
        # One evaluation per exam.
        UniqueConstraint("exam_instance_id"),
        CheckConstraint("teacher_role = 'teacher'", name="evaluator_is_teacher"),
        class_level_check("student_class"),
        between("sla_hours", 1, MAX_SLA_HOURS),
        CheckConstraint("sla_deadline > submitted_at", name="deadline_after_submission"),
        CheckConstraint(
            "status <> 'pending' OR (teacher_user_id IS NULL AND assigned_at IS NULL)",
            name="pending_unassigned",
        ),
        CheckConstraint(
            "status NOT IN ('assigned', 'in_progress', 'completed')"
            " OR (teacher_user_id IS NOT NULL AND assigned_at IS NOT NULL)",
            name="assigned_has_teacher",
        ),
        CheckConstraint(
            "status NOT IN ('in_progress', 'completed') OR started_at IS NOT NULL",
            name="started_at_when_started",
        ),
        CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL)", name="completed_at_iff_completed"
        ),
        CheckConstraint(
            "status <> 'completed' OR marks_awarded IS NOT NULL", name="completed_has_marks"
        ),
        CheckConstraint("assigned_at >= submitted_at", name="assigned_after_submission"),
        CheckConstraint("started_at >= assigned_at", name="started_after_assigned"),
        CheckConstraint("completed_at >= started_at", name="completed_after_started"),
        CheckConstraint("max_marks >= 0", name="max_marks_non_negative"),
        CheckConstraint("marks_awarded BETWEEN 0 AND max_marks", name="marks_awarded_range"),
        CheckConstraint("reassignment_count >= 0", name="reassignment_count_non_negative"),
        CheckConstraint("jsonb_typeof(annotations) = 'array'", name="annotations_is_array"),
        # The teacher holding an open evaluation holds it until the claim expires (issue 16):
        # assigned and in-progress evaluations have one, pending and completed ones none.
        CheckConstraint(
            "(status IN ('assigned', 'in_progress')) = (claim_expires_at IS NOT NULL)",
            name="claim_iff_held",
        ),
        CheckConstraint("claim_expires_at > assigned_at", name="claim_after_assignment"),
        # The exam's class and type, copied for teacher queues; equal by construction.
        ForeignKeyConstraint(
            ["exam_instance_id", "student_class", "exam_type"],
            [
                f"{SCHEMA}.exam_instances.id",
                f"{SCHEMA}.exam_instances.student_class",
                f"{SCHEMA}.exam_instances.exam_type",
            ],
            ondelete=CASCADE,
            name="fk_evaluations_exam_instance_id_exam_instances",
        ),
        # Whoever marked an exam stays on record: teachers are deactivated, not deleted.
        ForeignKeyConstraint(
            ["teacher_user_id", "teacher_role"],
            USERS_ID_ROLE,
            ondelete=RESTRICT,
            name="fk_evaluations_teacher_user_id_users",
        ),
        # A teacher's open work, most urgent first.
        Index(
            "ix_evaluations_teacher_queue",
            "teacher_user_id",
            "sla_deadline",
            postgresql_where=text("status IN ('assigned', 'in_progress')"),
        ),
        # Unassigned evaluations, most urgent first (the assignment job).
        Index(
            "ix_evaluations_unassigned",
            "sla_deadline",
            postgresql_where=text("status = 'pending'"),
        ),
        # The SLA monitor: everything still open, by deadline.
        Index(
            "ix_evaluations_open_sla_deadline",
            "sla_deadline",
            postgresql_where=text(OPEN_STATUSES_SQL),
        ),
        # A teacher's finished work (workload, turnaround, SLA record).
        Index(
            "ix_evaluations_teacher_completed",
            "teacher_user_id",
            text("completed_at DESC"),
            postgresql_where=text("status = 'completed'"),
        ),
        # Admin dashboards by class and exam type.
        Index(
            "ix_evaluations_student_class_exam_type_status", "student_class", "exam_type", "status"
        ),
        # Breaches for the SLA report.
        Index(
            "ix_evaluations_sla_breached",
            "completed_at",
            postgresql_where=text("sla_breached"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    exam_instance_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    student_class: Mapped[str] = mapped_column(ClassLevel, nullable=False)
    exam_type: Mapped[ExamType] = mapped_column(EXAM_TYPE, nullable=False)
    teacher_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    teacher_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.TEACHER, server_default=UserRole.TEACHER.value
    )
    status: Mapped[EvaluationStatus] = mapped_column(
        EVALUATION_STATUS, nullable=False, server_default=EvaluationStatus.PENDING.value
    )
    # The subscription's SLA in working hours, and the clock: from submission to deadline.
    sla_hours: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    sla_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by the SLA monitor when the deadline passes with the evaluation still open.
    sla_breached: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    # Marks of the written (non-MCQ) questions: the sum of question_marks, out of max_marks.
    marks_awarded: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    max_marks: Mapped[Decimal] = mapped_column(Numeric(5, 1), nullable=False)
    teacher_comments: Mapped[str | None] = mapped_column(Text)
    # Stamps placed on the scanned pages: [{"page": 1, "x": 0.4, "y": 0.2, "stamp": "tick"}].
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    reassignment_count: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default="0"
    )
    # Issue 16. The holder's claim: past it, the assignment job gives the evaluation to
    # someone else. Marking extends it.
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The SLA monitor's forecast of completion (from the holder's queue and marking rate),
    # and when it was made.
    predicted_completion_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    predicted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    question_marks: Mapped[list[QuestionMark]] = relationship(
        back_populates="evaluation", passive_deletes=True
    )


class QuestionMark(TimestampMixin, MathvidyaBase):
    __tablename__ = "question_marks"
    __table_args__ = (
        # One mark per question per evaluation.
        UniqueConstraint("evaluation_id", "question_id"),
        UniqueConstraint("evaluation_id", "question_number"),
        # MCQs are marked automatically (student_mcq_answers), never by a teacher.
        CheckConstraint("question_type <> 'MCQ'", name="written_questions_only"),
        CheckConstraint(
            marks_by_type_sql("question_type", "max_marks"), name="max_marks_match_type"
        ),
        CheckConstraint("marks_awarded BETWEEN 0 AND max_marks", name="marks_awarded_range"),
        # Teachers give whole or half marks (the "half" stamp).
        CheckConstraint("marks_awarded * 2 = trunc(marks_awarded * 2)", name="half_mark_steps"),
        between("question_number", 1, MAX_QUESTIONS, name="question_number_range"),
        CheckConstraint(
            "stamp IN (" + ", ".join(f"'{stamp}'" for stamp in EVALUATION_STAMPS) + ")",
            name="stamp_known",
        ),
        not_blank("unit"),
        ForeignKeyConstraint(
            ["question_id", "question_type", "unit"],
            QUESTION_KEY,
            ondelete=RESTRICT,
            onupdate=CASCADE,
            name="fk_question_marks_question_id_questions",
        ),
        Index("ix_question_marks_question_id", "question_id"),
        # Analytics: marks by unit and question type.
        Index("ix_question_marks_unit_question_type", "unit", "question_type"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("evaluations.id", CASCADE), nullable=False
    )
    question_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    question_type: Mapped[QuestionType] = mapped_column(QUESTION_TYPE, nullable=False)
    unit: Mapped[str] = mapped_column(String(100), nullable=False)
    question_number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    marks_awarded: Mapped[Decimal] = mapped_column(Numeric(3, 1), nullable=False)
    max_marks: Mapped[Decimal] = mapped_column(Numeric(3, 1), nullable=False)
    # The overall stamp the teacher gave the answer, if any.
    stamp: Mapped[str | None] = mapped_column(String(10))
    teacher_comment: Mapped[str | None] = mapped_column(Text)

    evaluation: Mapped[Evaluation] = relationship(back_populates="question_marks")


REEVALUATION_STATUSES = ("requested", "completed")


class ReevaluationRequest(TimestampMixin, MathvidyaBase):
    """A student's request to have one written question marked again (issue 16): once per
    question, by a teacher other than the one who marked it, under the plan's SLA."""

    __tablename__ = "reevaluation_requests"
    __table_args__ = (
        # Once per question of an evaluation.
        UniqueConstraint("evaluation_id", "question_number"),
        between("question_number", 1, MAX_QUESTIONS, name="question_number_range"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in REEVALUATION_STATUSES) + ")",
            name="status_known",
        ),
        CheckConstraint("char_length(reason) BETWEEN 1 AND 1000", name="reason_length"),
        not_blank("reason"),
        CheckConstraint("student_role = 'student'", name="requester_is_student"),
        CheckConstraint("teacher_role = 'teacher'", name="marker_is_teacher"),
        # A different pair of eyes: never the teacher who gave the first mark.
        CheckConstraint(
            "teacher_user_id IS DISTINCT FROM original_teacher_user_id", name="different_teacher"
        ),
        CheckConstraint("sla_deadline > requested_at", name="deadline_after_request"),
        CheckConstraint(
            "(status = 'completed') = (completed_at IS NOT NULL AND marks_after IS NOT NULL)",
            name="completed_with_marks",
        ),
        CheckConstraint(
            "status <> 'completed' OR teacher_user_id IS NOT NULL", name="completed_by_a_teacher"
        ),
        CheckConstraint("completed_at >= requested_at", name="completed_after_request"),
        CheckConstraint("marks_before BETWEEN 0 AND max_marks", name="marks_before_range"),
        CheckConstraint("marks_after BETWEEN 0 AND max_marks", name="marks_after_range"),
        CheckConstraint("marks_after * 2 = trunc(marks_after * 2)", name="half_mark_steps"),
        ForeignKeyConstraint(
            ["student_user_id", "student_role"],
            USERS_ID_ROLE,
            ondelete=RESTRICT,
            name="fk_reevaluation_requests_student_user_id_users",
        ),
        ForeignKeyConstraint(
            ["teacher_user_id", "teacher_role"],
            USERS_ID_ROLE,
            ondelete=RESTRICT,
            name="fk_reevaluation_requests_teacher_user_id_users",
        ),
        # A teacher's open re-marking work, most urgent first.
        Index(
            "ix_reevaluation_requests_teacher_open",
            "teacher_user_id",
            "sla_deadline",
            postgresql_where=text("status = 'requested'"),
        ),
        Index("ix_reevaluation_requests_student_user_id", "student_user_id"),
        Index("ix_reevaluation_requests_question_mark_id", "question_mark_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    evaluation_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("evaluations.id", CASCADE), nullable=False
    )
    question_mark_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("question_marks.id", CASCADE), nullable=False
    )
    question_number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    student_user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    student_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.STUDENT, server_default=UserRole.STUDENT.value
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, server_default="requested")
    original_teacher_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", RESTRICT)
    )
    # Null while no other teacher is free; the assignment job retries.
    teacher_user_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    teacher_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.TEACHER, server_default=UserRole.TEACHER.value
    )
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    sla_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_marks: Mapped[Decimal] = mapped_column(Numeric(3, 1), nullable=False)
    marks_before: Mapped[Decimal] = mapped_column(Numeric(3, 1), nullable=False)
    marks_after: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    teacher_comment: Mapped[str | None] = mapped_column(Text)


__all__ = [
    "EVALUATION_STAMPS",
    "REEVALUATION_STATUSES",
    "Evaluation",
    "QuestionMark",
    "ReevaluationRequest",
]
