"""The adaptive app's enums (pure: no SQLAlchemy), stored as strings with a CHECK so the same
models work on PostgreSQL and SQLite."""

from __future__ import annotations

import enum


class UserRole(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    ADMIN = "admin"


# A token's role strings for adaptive accounts: named after the app, so an adaptive admin
# passes no platform guard that names `admin` (core.access).
ROLE_PREFIX = "adaptive:"


def account_role(role: UserRole) -> str:
    return f"{ROLE_PREFIX}{role.value}"


STUDENT_ROLE = account_role(UserRole.STUDENT)
TEACHER_ROLE = account_role(UserRole.TEACHER)
ADMIN_ROLE = account_role(UserRole.ADMIN)
ACCOUNT_ROLES = (STUDENT_ROLE, TEACHER_ROLE, ADMIN_ROLE)


class QuestionKind(enum.StrEnum):
    MCQ = "mcq"
    NUMERIC = "numeric"


class StudyPlanStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class PlanEventKind(enum.StrEnum):
    """What a student did with a study-plan item (append-only progress)."""

    STARTED = "started"
    COMPLETED = "completed"
    SKIPPED = "skipped"


class SyncOperationKind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class SyncStatus(enum.StrEnum):
    """The offline queue's states. Steps 1-2 of seed 004's dual-database pattern write
    `pending`; the device moves a row to `in_progress` when it sends it (an answer not yet
    received: it is sent again), to `completed` once the server applied it or had already
    applied it, or to `failed` when the server rejected it: the dead letter, with the
    server's reason in `last_error`, from which `lyceum adaptive sync retry` (or a teacher's
    retry request) moves it back to `pending`. A network failure never makes an operation
    `failed`. On the server the same table is the ledger of received operations:
    `completed` (applied) or `failed` (rejected)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


__all__ = [
    "ACCOUNT_ROLES",
    "ADMIN_ROLE",
    "ROLE_PREFIX",
    "STUDENT_ROLE",
    "TEACHER_ROLE",
    "PlanEventKind",
    "QuestionKind",
    "StudyPlanStatus",
    "SyncOperationKind",
    "SyncStatus",
    "UserRole",
    "account_role",
]
