"""The ten PostgreSQL ENUM types (seed 003, `models/enums.py`), built from the pure Python
enums in `lyceum.mathvidya.enums` so logic modules can use those without SQLAlchemy."""

from __future__ import annotations

import enum

from sqlalchemy.dialects.postgresql import ENUM

from lyceum.mathvidya.enums import (
    PG_NAMES,
    EvaluationStatus,
    ExamStatus,
    ExamType,
    PlanType,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
    RelationshipType,
    SubscriptionStatus,
    UserRole,
)
from lyceum.mathvidya.models.base import SCHEMA


def _pg_enum(enum_class: type[enum.StrEnum]) -> ENUM:
    # Stored by value ("premium_mcq"), not by member name ("PREMIUM_MCQ").
    return ENUM(
        enum_class,
        name=PG_NAMES[enum_class],
        schema=SCHEMA,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


USER_ROLE = _pg_enum(UserRole)
RELATIONSHIP_TYPE = _pg_enum(RelationshipType)
PLAN_TYPE = _pg_enum(PlanType)
SUBSCRIPTION_STATUS = _pg_enum(SubscriptionStatus)
QUESTION_TYPE = _pg_enum(QuestionType)
QUESTION_DIFFICULTY = _pg_enum(QuestionDifficulty)
QUESTION_STATUS = _pg_enum(QuestionStatus)
EXAM_TYPE = _pg_enum(ExamType)
EXAM_STATUS = _pg_enum(ExamStatus)
EVALUATION_STATUS = _pg_enum(EvaluationStatus)

ALL_ENUM_TYPES: tuple[ENUM, ...] = (
    USER_ROLE,
    RELATIONSHIP_TYPE,
    PLAN_TYPE,
    SUBSCRIPTION_STATUS,
    QUESTION_TYPE,
    QUESTION_DIFFICULTY,
    QUESTION_STATUS,
    EXAM_TYPE,
    EXAM_STATUS,
    EVALUATION_STATUS,
)

__all__ = [
    "ALL_ENUM_TYPES",
    "EVALUATION_STATUS",
    "EXAM_STATUS",
    "EXAM_TYPE",
    "PLAN_TYPE",
    "QUESTION_DIFFICULTY",
    "QUESTION_STATUS",
    "QUESTION_TYPE",
    "RELATIONSHIP_TYPE",
    "SUBSCRIPTION_STATUS",
    "USER_ROLE",
]
