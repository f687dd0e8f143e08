"""An exam a student sits, and what they hand in (seed 003, four tables).

- `exam_instances`: the exam, with the template and questions frozen as JSONB snapshots when it
  is generated; once the exam has started a trigger refuses to change them (migration 0006).
- `student_mcq_answers`: the option picked per MCQ, marked automatically on submission.
- `answer_sheet_uploads`: scanned pages of the written answers, kept in object storage.
- `unanswered_questions`: questions the student declares unattempted (0 marks, no penalty),
  so a teacher need not hunt for an answer that is not there.

Class, exam type, question type and unit are copied into the child tables (the seed's
"strategic denormalization") for analytics without joins; composite foreign keys make each
copy equal to its source.
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
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.core.db.columns import relationship
from lyceum.mathvidya.enums import ExamStatus, ExamType, QuestionType, UserRole
from lyceum.mathvidya.models.base import (
    CASCADE,
    RESTRICT,
    SCHEMA,
    ClassLevel,
    MathvidyaBase,
    between,
    class_level_check,
    created_at,
    fk,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import EXAM_STATUS, EXAM_TYPE, QUESTION_TYPE, USER_ROLE
from lyceum.mathvidya.models.mapping import USERS_ID_ROLE

# A paper has at most this many questions (the board paper has 38).
MAX_QUESTIONS = 100
# Seed 003's upload limits (system_config `upload.*`); the database holds the hard ceiling.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ALLOWED_MIME_TYPES = ("image/jpeg", "image/png", "application/pdf")
MAX_PAGES = 50

QUESTION_KEY = (
    f"{SCHEMA}.questions.id",
    f"{SCHEMA}.questions.question_type",
    f"{SCHEMA}.questions.unit",
)


def _question_key(table: str) -> ForeignKeyConstraint:
    # Questions used by an exam are never deleted (they are archived); a correction to a
    # question's unit name flows into the copies.
    return ForeignKeyConstraint(
        ["question_id", "question_type", "unit"],
        QUESTION_KEY,
        ondelete=RESTRICT,
        onupdate=CASCADE,
        name=f"fk_{table}_question_id_questions",
    )


def _question_number() -> CheckConstraint:
    return between("question_number", 1, MAX_QUESTIONS, name="question_number_range")


class ExamInstance(TimestampMixin, MathvidyaBase):
    __tablename__ = "exam_instances"
    __table_args__ = (
        # The target of evaluations' (exam_instance_id, student_class, exam_type) key.
        UniqueConstraint("id", "student_class", "exam_type"),
        CheckConstraint("student_role = 'student'", name="taker_is_student"),
        class_level_check("student_class"),
        between("total_marks", 1, 100),
        between("duration_minutes", 5, 240),
        CheckConstraint("mcq_score BETWEEN 0 AND total_marks", name="mcq_score_range"),
        CheckConstraint("total_score BETWEEN 0 AND total_marks", name="total_score_range"),
        CheckConstraint("total_score >= mcq_score", name="total_includes_mcq"),
        between("percentage", 0, 100),
        CheckConstraint(
            "percentage = round(total_score * 100 / total_marks, 2)", name="percentage_of_total"
        ),
        CheckConstraint(
            "(percentage IS NULL) = (total_score IS NULL)", name="percentage_with_total"
        ),
        CheckConstraint("started_at >= created_at", name="started_after_created"),
        CheckConstraint("submitted_at >= started_at", name="submitted_after_started"),
        CheckConstraint("evaluated_at >= submitted_at", name="evaluated_after_submitted"),
        CheckConstraint("status <> 'created' OR started_at IS NULL", name="created_not_started"),
        CheckConstraint(
            "status NOT IN ('in_progress', 'submitted', 'under_evaluation', 'evaluated')"
            " OR started_at IS NOT NULL",
            name="started_at_when_started",
        ),
        CheckConstraint(
            "(status IN ('submitted', 'under_evaluation', 'evaluated'))"
            " = (submitted_at IS NOT NULL)",
            name="submitted_at_iff_submitted",
        ),
        CheckConstraint(
            "(status = 'evaluated') = (evaluated_at IS NOT NULL)", name="evaluated_at_iff_evaluated"
        ),
        CheckConstraint(
            "status <> 'evaluated' OR (total_score IS NOT NULL AND percentage IS NOT NULL)",
            name="evaluated_has_score",
        ),
        CheckConstraint(
            "jsonb_typeof(template_snapshot) = 'object'", name="template_snapshot_is_object"
        ),
        CheckConstraint(
            "CASE WHEN jsonb_typeof(questions_snapshot) = 'array'"
            " THEN jsonb_array_length(questions_snapshot) >= 1 ELSE false END",
            name="questions_snapshot_not_empty",
        ),
        # Students with history are deactivated, not deleted.
        ForeignKeyConstraint(
            ["student_user_id", "student_role"],
            USERS_ID_ROLE,
            ondelete=RESTRICT,
            name="fk_exam_instances_student_user_id_users",
        ),
        # A template with exams cannot be deleted, nor its class or type changed.
        ForeignKeyConstraint(
            ["template_id", "student_class", "exam_type"],
            [
                f"{SCHEMA}.exam_templates.id",
                f"{SCHEMA}.exam_templates.class_level",
                f"{SCHEMA}.exam_templates.exam_type",
            ],
            ondelete=RESTRICT,
            name="fk_exam_instances_template_id_exam_templates",
        ),
        # Counted against the student's own subscription, which then cannot be deleted.
        ForeignKeyConstraint(
            ["subscription_id", "student_user_id"],
            [f"{SCHEMA}.subscriptions.id", f"{SCHEMA}.subscriptions.user_id"],
            ondelete=RESTRICT,
            name="fk_exam_instances_subscription_id_subscriptions",
        ),
        # The seed's example query: a student's exams in a status.
        Index("ix_exam_instances_student_user_id_status", "student_user_id", "status"),
        # A student's history, newest first.
        Index(
            "ix_exam_instances_student_user_id_created_at",
            "student_user_id",
            text("created_at DESC"),
        ),
        Index("ix_exam_instances_template_id", "template_id"),
        # Exams counted against a subscription in a month (quota checks, usage reports).
        Index("ix_exam_instances_subscription_id_created_at", "subscription_id", "created_at"),
        # Leaderboards: best evaluated results per class and exam type.
        Index(
            "ix_exam_instances_leaderboard",
            "student_class",
            "exam_type",
            text("percentage DESC"),
            postgresql_where=text("status = 'evaluated'"),
        ),
        # Submitted exams waiting for a teacher, oldest first.
        Index(
            "ix_exam_instances_awaiting_evaluation",
            "submitted_at",
            postgresql_where=text("status IN ('submitted', 'under_evaluation')"),
        ),
        # Running exams, for the job that closes those past their time.
        Index(
            "ix_exam_instances_in_progress",
            "started_at",
            postgresql_where=text("status = 'in_progress'"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    student_user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    student_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.STUDENT, server_default=UserRole.STUDENT.value
    )
    template_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    # Null only for exams an admin grants outside any subscription.
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # The student's class when the exam was generated (they move from X to XII).
    student_class: Mapped[str] = mapped_column(ClassLevel, nullable=False)
    exam_type: Mapped[ExamType] = mapped_column(EXAM_TYPE, nullable=False)
    status: Mapped[ExamStatus] = mapped_column(
        EXAM_STATUS, nullable=False, server_default=ExamStatus.CREATED.value
    )
    # Frozen at generation: the template's config and the questions as shown (text, choices,
    # marks, number), so later edits to the bank never change an exam already set.
    template_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    questions_snapshot: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    total_marks: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    mcq_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    total_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    percentage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    mcq_answers: Mapped[list[StudentMCQAnswer]] = relationship(
        back_populates="exam_instance", passive_deletes=True
    )


class StudentMCQAnswer(TimestampMixin, MathvidyaBase):
    __tablename__ = "student_mcq_answers"
    __table_args__ = (
        UniqueConstraint("exam_instance_id", "question_id"),
        UniqueConstraint("exam_instance_id", "question_number"),
        CheckConstraint("question_type = 'MCQ'", name="question_is_mcq"),
        CheckConstraint("selected_option IN ('A', 'B', 'C', 'D')", name="selected_option_valid"),
        _question_number(),
        # An MCQ is worth 1 mark: 1 when correct, 0 when not, both unknown until marked.
        CheckConstraint("(is_correct IS NULL) = (marks_awarded IS NULL)", name="marked_together"),
        CheckConstraint(
            "marks_awarded = CASE WHEN is_correct THEN 1 ELSE 0 END", name="marks_match_correctness"
        ),
        not_blank("unit"),
        _question_key("student_mcq_answers"),
        # Item analysis: how often each MCQ is answered correctly.
        Index("ix_student_mcq_answers_question_id_is_correct", "question_id", "is_correct"),
        # Accuracy by unit.
        Index("ix_student_mcq_answers_unit_is_correct", "unit", "is_correct"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Answers are part of the exam: they go with it.
    exam_instance_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("exam_instances.id", CASCADE), nullable=False
    )
    question_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    question_type: Mapped[QuestionType] = mapped_column(
        QUESTION_TYPE,
        nullable=False,
        default=QuestionType.MCQ,
        server_default=QuestionType.MCQ.value,
    )
    unit: Mapped[str] = mapped_column(String(100), nullable=False)
    # The question's position in this exam's paper (1-based).
    question_number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    selected_option: Mapped[str] = mapped_column(String(1), nullable=False)
    is_correct: Mapped[bool | None] = mapped_column(Boolean)
    marks_awarded: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    answered_at: Mapped[datetime] = created_at()

    exam_instance: Mapped[ExamInstance] = relationship(back_populates="mcq_answers")


class AnswerSheetUpload(MathvidyaBase):
    __tablename__ = "answer_sheet_uploads"
    __table_args__ = (
        UniqueConstraint("exam_instance_id", "page_number"),
        UniqueConstraint("storage_bucket", "storage_key"),
        # The same scan handed in twice for one exam is a mistake, not a second page.
        UniqueConstraint("exam_instance_id", "sha256"),
        between("page_number", 1, MAX_PAGES),
        CheckConstraint(
            "mime_type IN (" + ", ".join(f"'{mime}'" for mime in ALLOWED_MIME_TYPES) + ")",
            name="mime_type_allowed",
        ),
        between("file_size_bytes", 1, MAX_UPLOAD_BYTES),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        not_blank("storage_key"),
        not_blank("storage_bucket"),
        # Retention: the job that deletes old scans walks uploads by age.
        Index("ix_answer_sheet_uploads_uploaded_at", "uploaded_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    exam_instance_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("exam_instances.id", CASCADE), nullable=False
    )
    page_number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    storage_bucket: Mapped[str] = mapped_column(String(63), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(1024), nullable=False)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100), nullable=False)
    file_size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_at: Mapped[datetime] = created_at()


class UnansweredQuestion(MathvidyaBase):
    __tablename__ = "unanswered_questions"
    __table_args__ = (
        UniqueConstraint("exam_instance_id", "question_id"),
        UniqueConstraint("exam_instance_id", "question_number"),
        _question_number(),
        not_blank("unit"),
        _question_key("unanswered_questions"),
        Index("ix_unanswered_questions_question_id", "question_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    exam_instance_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), fk("exam_instances.id", CASCADE), nullable=False
    )
    question_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    question_type: Mapped[QuestionType] = mapped_column(QUESTION_TYPE, nullable=False)
    unit: Mapped[str] = mapped_column(String(100), nullable=False)
    question_number: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    declared_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


__all__ = [
    "ALLOWED_MIME_TYPES",
    "MAX_PAGES",
    "MAX_QUESTIONS",
    "MAX_UPLOAD_BYTES",
    "AnswerSheetUpload",
    "ExamInstance",
    "StudentMCQAnswer",
    "UnansweredQuestion",
]
