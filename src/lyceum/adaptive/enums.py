"""The adaptive app's enums (pure: no SQLAlchemy), stored as strings with a CHECK so the same
models work on PostgreSQL and SQLite."""

from __future__ import annotations

import enum


class UserRole(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    ADMIN = "admin"


class QuestionKind(enum.StrEnum):
    MCQ = "mcq"
    NUMERIC = "numeric"


class StudyPlanStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    COMPLETED = "completed"
    ARCHIVED = "archived"


class SyncOperationKind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class SyncStatus(enum.StrEnum):
    """The offline queue's states. Steps 1-2 of seed 004's dual-database pattern write
    `pending`; the sync engine moves a row to `in_progress` while uploading, to `completed`
    once the server applied it (idempotently, by operation id), or to `failed` after its
    last attempt (`attempts`, `last_error`), from which it may be retried."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


__all__ = ["QuestionKind", "StudyPlanStatus", "SyncOperationKind", "SyncStatus", "UserRole"]
