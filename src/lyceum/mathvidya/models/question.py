"""`questions`: the question bank (seed 003).

A question is identified by a stable `question_code` plus a `version`; correcting a question
that exams have used means a new version, and exactly one version of a code is `active` (the
one exam generation may pick). Exams freeze the questions they use into their own snapshot.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.mathvidya.enums import (
    MARKS_BY_TYPE,
    MCQ_OPTIONS,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
)
from lyceum.mathvidya.models.base import (
    SCHEMA,
    SET_NULL,
    ClassLevel,
    MathvidyaBase,
    class_level_check,
    fk,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import QUESTION_DIFFICULTY, QUESTION_STATUS, QUESTION_TYPE


def marks_by_type_sql(type_column: str, marks_column: str) -> str:
    """SQL true when `marks_column` is a mark CBSE gives a question of `type_column`'s type."""
    return " OR ".join(
        f"({type_column} = '{kind.value}' AND {marks_column} IN ({', '.join(map(str, marks))}))"
        for kind, marks in MARKS_BY_TYPE.items()
    )


OPTIONS_SQL = ", ".join(f"'{option}'" for option in MCQ_OPTIONS)


class Question(TimestampMixin, MathvidyaBase):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("question_code", "version"),
        # The target of the answer and mark tables' (question_id, question_type, unit) keys:
        # their copies of the type and unit cannot disagree with the question's.
        UniqueConstraint("id", "question_type", "unit"),
        class_level_check("class_level"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("question_code ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'", name="question_code_format"),
        CheckConstraint(marks_by_type_sql("question_type", "marks"), name="marks_match_type"),
        not_blank("question_text"),
        not_blank("unit"),
        not_blank("chapter"),
        # MCQs, and only MCQs, have four choices and a correct option among them.
        CheckConstraint(
            "(question_type = 'MCQ') = (mcq_choices IS NOT NULL)", name="mcq_choices_iff_mcq"
        ),
        CheckConstraint(
            "(question_type = 'MCQ') = (correct_option IS NOT NULL)", name="correct_option_iff_mcq"
        ),
        # Exactly four choices keyed A, B, C and D (NULL mcq_choices passes: not an MCQ).
        CheckConstraint(
            "mcq_choices IS NULL OR CASE WHEN jsonb_typeof(mcq_choices) = 'array'"
            " THEN jsonb_array_length(mcq_choices) = 4"
            ' AND mcq_choices @> \'[{"key": "A"}, {"key": "B"}, {"key": "C"},'
            ' {"key": "D"}]\' ELSE false END',
            name="mcq_choices_four",
        ),
        CheckConstraint(f"correct_option IN ({OPTIONS_SQL})", name="correct_option_valid"),
        CheckConstraint(
            "mcq_choices @> jsonb_build_array(jsonb_build_object('key', correct_option))",
            name="correct_option_among_choices",
        ),
        CheckConstraint("jsonb_typeof(marking_scheme) = 'array'", name="marking_scheme_is_array"),
        CheckConstraint("array_position(tags, NULL) IS NULL", name="tags_no_nulls"),
        CheckConstraint("times_used >= 0", name="times_used_non_negative"),
        # A question reaches students only after a second teacher has reviewed it.
        CheckConstraint(
            "status NOT IN ('active', 'archived') OR reviewed_at IS NOT NULL",
            name="reviewed_before_active",
        ),
        # Exam generation: active questions of a class, unit, type and difficulty.
        Index(
            "ix_questions_pick",
            "class_level",
            "unit",
            "question_type",
            "difficulty",
            postgresql_where=text("status = 'active'"),
        ),
        # Question-bank browsing by chapter (teachers, admins), all statuses.
        Index("ix_questions_class_level_chapter", "class_level", "chapter", "status"),
        Index("ix_questions_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_questions_text_trgm",
            "question_text",
            postgresql_using="gin",
            postgresql_ops={"question_text": "gin_trgm_ops"},
        ),
        Index("ix_questions_created_by_user_id", "created_by_user_id"),
        Index("ix_questions_reviewed_by_user_id", "reviewed_by_user_id"),
        # At most one version of a question is live (none while all are drafts or retired).
        Index(
            "uq_questions_active_version",
            "question_code",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    question_code: Mapped[str] = mapped_column(String(32), nullable=False)
    version: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="1")
    class_level: Mapped[str] = mapped_column(ClassLevel, nullable=False)
    # The CBSE unit (system_config `curriculum.units_class_x|xii`), chapter and topic.
    unit: Mapped[str] = mapped_column(String(100), nullable=False)
    chapter: Mapped[str] = mapped_column(String(150), nullable=False)
    topic: Mapped[str | None] = mapped_column(String(150))
    question_type: Mapped[QuestionType] = mapped_column(QUESTION_TYPE, nullable=False)
    difficulty: Mapped[QuestionDifficulty] = mapped_column(QUESTION_DIFFICULTY, nullable=False)
    status: Mapped[QuestionStatus] = mapped_column(
        QUESTION_STATUS, nullable=False, server_default=QuestionStatus.DRAFT.value
    )
    marks: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    question_text: Mapped[str] = mapped_column(Text, nullable=False)
    # Object-storage key of a figure, if the question has one.
    question_image_key: Mapped[str | None] = mapped_column(String(500))
    # [{"key": "A", "text": "..."}, ... four entries] for MCQs.
    # none_as_null: Python None is SQL NULL (not JSON null), which the CHECKs rely on.
    mcq_choices: Mapped[list[dict[str, str]] | None] = mapped_column(JSONB(none_as_null=True))
    correct_option: Mapped[str | None] = mapped_column(String(1))
    # What a full answer contains, for teachers marking VSA/SA/LA answers.
    model_answer: Mapped[str | None] = mapped_column(Text)
    # Step marks: [{"step": "...", "marks": 1}, ...].
    marking_scheme: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    explanation: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), nullable=False, server_default=text("'{}'")
    )
    # Where the question comes from ("CBSE sample paper 2024-25", "Mathvidya original").
    source: Mapped[str | None] = mapped_column(String(200))
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", SET_NULL)
    )
    reviewed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", SET_NULL)
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # How many exams have included this question (keeps generation varied).
    times_used: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


__all__ = ["OPTIONS_SQL", "Question", "marks_by_type_sql"]
