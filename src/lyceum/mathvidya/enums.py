"""Mathvidya's ten enums (seed 003, `models/enums.py`), each a native PostgreSQL ENUM type.

Native types rather than strings with CHECKs (TutorMax's choice) because the seed names them as
types: `\\dT mathvidya.*` lists them, and a value outside the type is rejected by the type
itself. Adding a value later is `ALTER TYPE … ADD VALUE` in a migration; removing one is not
possible in place, so the sets below are deliberately the product's whole vocabulary.

Each Python name is the seed's; the PostgreSQL type name is its snake_case form (`PG_NAMES`).
"""

from __future__ import annotations

import enum


class UserRole(enum.StrEnum):
    STUDENT = "student"
    PARENT = "parent"
    TEACHER = "teacher"
    ADMIN = "admin"


class RelationshipType(enum.StrEnum):
    """How a parent account is related to the student it is linked to."""

    FATHER = "father"
    MOTHER = "mother"
    GUARDIAN = "guardian"
    OTHER = "other"


class PlanType(enum.StrEnum):
    BASIC = "basic"
    PREMIUM_MCQ = "premium_mcq"
    PREMIUM = "premium"
    CENTUM = "centum"


class SubscriptionStatus(enum.StrEnum):
    # Created, payment not yet confirmed: grants nothing and may overlap an active one
    # (a renewal bought before the current period ends).
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class QuestionType(enum.StrEnum):
    """CBSE's four answer formats: multiple choice (1 mark), very short answer (2),
    short answer (3) and long answer (4-5, including case-based questions)."""

    MCQ = "MCQ"
    VSA = "VSA"
    SA = "SA"
    LA = "LA"


class QuestionDifficulty(enum.StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class QuestionStatus(enum.StrEnum):
    # Written, not yet checked by a second teacher; never picked for an exam.
    DRAFT = "draft"
    UNDER_REVIEW = "under_review"
    # The one version of a question that exam generation may pick.
    ACTIVE = "active"
    # Retired or superseded by a newer version; kept because past exams refer to it.
    ARCHIVED = "archived"


class ExamType(enum.StrEnum):
    # The full CBSE board paper (80 marks, 3 hours, sections A-E).
    BOARD_EXAM = "board_exam"
    # One section of the board pattern (e.g. all MCQs of section A).
    SECTION_WISE = "section_wise"
    # Practice on one or more units.
    UNIT_WISE = "unit_wise"


class ExamStatus(enum.StrEnum):
    # Generated (questions frozen into the snapshot) but not opened by the student.
    CREATED = "created"
    IN_PROGRESS = "in_progress"
    # Answers and sheets handed in; MCQs are marked at once, the rest awaits a teacher.
    SUBMITTED = "submitted"
    UNDER_EVALUATION = "under_evaluation"
    EVALUATED = "evaluated"
    # Never submitted before its time ran out.
    EXPIRED = "expired"


class EvaluationStatus(enum.StrEnum):
    # Waiting for a teacher to be assigned.
    PENDING = "pending"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    # The exam was withdrawn (refund, duplicate submission); no marks will come.
    CANCELLED = "cancelled"


# Enum class → PostgreSQL type name (in schema `mathvidya`).
PG_NAMES: dict[type[enum.StrEnum], str] = {
    UserRole: "user_role",
    RelationshipType: "relationship_type",
    PlanType: "plan_type",
    SubscriptionStatus: "subscription_status",
    QuestionType: "question_type",
    QuestionDifficulty: "question_difficulty",
    QuestionStatus: "question_status",
    ExamType: "exam_type",
    ExamStatus: "exam_status",
    EvaluationStatus: "evaluation_status",
}

# Class levels are not one of the seed's ten enums: a two-value column with a CHECK.
STUDENT_CLASSES = ("X", "XII")

# CBSE marks per question type (sample question papers 2024-25 onwards): MCQ and
# assertion-reason 1, VSA 2, SA 3, LA 5, case-based (stored as LA) 4.
MARKS_BY_TYPE: dict[QuestionType, tuple[int, ...]] = {
    QuestionType.MCQ: (1,),
    QuestionType.VSA: (2,),
    QuestionType.SA: (3,),
    QuestionType.LA: (4, 5),
}

MCQ_OPTIONS = ("A", "B", "C", "D")

# The role a Mathvidya account's token and session carry: named after the app
# (`mathvidya:admin`, not `admin`), so no platform guard admits a Mathvidya account.
ROLE_PREFIX = "mathvidya:"


def account_role(role: UserRole) -> str:
    return f"{ROLE_PREFIX}{role.value}"


def role_of_account(role: str) -> UserRole | None:
    """The Mathvidya role a token's role string names, or None."""
    if not role.startswith(ROLE_PREFIX):
        return None
    try:
        return UserRole(role.removeprefix(ROLE_PREFIX))
    except ValueError:
        return None


STUDENT_ROLE = account_role(UserRole.STUDENT)
PARENT_ROLE = account_role(UserRole.PARENT)
TEACHER_ROLE = account_role(UserRole.TEACHER)
ADMIN_ROLE = account_role(UserRole.ADMIN)
ACCOUNT_ROLES = (STUDENT_ROLE, PARENT_ROLE, TEACHER_ROLE, ADMIN_ROLE)

__all__ = [
    "ACCOUNT_ROLES",
    "ADMIN_ROLE",
    "MARKS_BY_TYPE",
    "MCQ_OPTIONS",
    "PARENT_ROLE",
    "PG_NAMES",
    "ROLE_PREFIX",
    "STUDENT_CLASSES",
    "STUDENT_ROLE",
    "TEACHER_ROLE",
    "EvaluationStatus",
    "ExamStatus",
    "ExamType",
    "PlanType",
    "QuestionDifficulty",
    "QuestionStatus",
    "QuestionType",
    "RelationshipType",
    "SubscriptionStatus",
    "UserRole",
    "account_role",
    "role_of_account",
]
