"""`exam_templates`: exam patterns (seed 003) — the board paper, a section, units for practice.

`config` holds the sections a paper is built from:
`{"sections": [{"name": "A", "question_type": "MCQ", "count": 20, "marks_each": 1}, ...],
"unit_weightage": {"Algebra": 20, ...}}`; exam generation reads it and freezes it, with the
questions it picked, into the exam instance.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.mathvidya.enums import ExamType
from lyceum.mathvidya.models.base import (
    SCHEMA,
    SET_NULL,
    ClassLevel,
    MathvidyaBase,
    between,
    class_level_check,
    fk,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import EXAM_TYPE

# CBSE's theory paper for class X and XII mathematics.
BOARD_MARKS = 80
BOARD_MINUTES = 180


class ExamTemplate(TimestampMixin, MathvidyaBase):
    __tablename__ = "exam_templates"
    __table_args__ = (
        UniqueConstraint("class_level", "name"),
        # The target of exam_instances' (template_id, student_class, exam_type) key: an exam's
        # class and type are its template's.
        UniqueConstraint("id", "class_level", "exam_type"),
        class_level_check("class_level"),
        not_blank("name"),
        between("total_marks", 1, 100),
        between("duration_minutes", 5, 240),
        # CASE, not AND: jsonb_array_length raises on a non-array, and AND promises no order;
        # ELSE false also catches a missing key, whose NULL would otherwise pass.
        CheckConstraint(
            "jsonb_typeof(config) = 'object' AND CASE WHEN jsonb_typeof(config -> 'sections')"
            " = 'array' THEN jsonb_array_length(config -> 'sections') >= 1 ELSE false END",
            name="config_has_sections",
        ),
        CheckConstraint("array_position(units, NULL) IS NULL", name="units_no_nulls"),
        CheckConstraint(
            "exam_type <> 'unit_wise' OR cardinality(units) >= 1", name="unit_wise_names_units"
        ),
        # The board paper is the whole syllabus, 80 marks in 3 hours.
        CheckConstraint(
            f"exam_type <> 'board_exam' OR (cardinality(units) = 0"
            f" AND total_marks = {BOARD_MARKS} AND duration_minutes = {BOARD_MINUTES})",
            name="board_exam_pattern",
        ),
        # What a student can choose from: active templates of their class, by type.
        Index(
            "ix_exam_templates_class_level_exam_type_active",
            "class_level",
            "exam_type",
            postgresql_where=text("is_active"),
        ),
        Index("ix_exam_templates_units", "units", postgresql_using="gin"),
        # "Templates with a section of LA questions", "templates weighting unit X".
        Index(
            "ix_exam_templates_config",
            "config",
            postgresql_using="gin",
            postgresql_ops={"config": "jsonb_path_ops"},
        ),
        Index("ix_exam_templates_created_by_user_id", "created_by_user_id"),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(150), nullable=False)
    class_level: Mapped[str] = mapped_column(ClassLevel, nullable=False)
    exam_type: Mapped[ExamType] = mapped_column(EXAM_TYPE, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    total_marks: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    # The units a unit-wise template covers; empty means the whole syllabus.
    units: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), nullable=False, server_default=text("'{}'")
    )
    # Retired templates stay (exams refer to them) but are not offered.
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), fk("users.id", SET_NULL)
    )


__all__ = ["BOARD_MARKS", "BOARD_MINUTES", "ExamTemplate"]
