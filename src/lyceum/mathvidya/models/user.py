"""`users`: every person on Mathvidya — students, parents, teachers, admins (seed 003).

Accounts are deactivated (`is_active`, `deleted_at`), not deleted, once they have history:
subscriptions, exams and evaluations refer to users with `ON DELETE RESTRICT`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models.base import (
    CLASS_LEVELS_SQL,
    SCHEMA,
    ClassLevel,
    MathvidyaBase,
    not_blank,
    uuid_pk,
)
from lyceum.mathvidya.models.enums import USER_ROLE


class User(TimestampMixin, MathvidyaBase):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email"),
        # The target of role-typed foreign keys: a mapping's parent must be a parent, an
        # exam's student a student, an evaluation's teacher a teacher. Because `role` is part
        # of this key, a referenced user's role cannot be changed out from under them.
        UniqueConstraint("id", "role"),
        # Seed 003: students are in class X or XII; no other role has a class.
        CheckConstraint(
            # IS NOT NULL: a NULL class would make the CHECK unknown, which passes.
            f"(role = 'student' AND student_class IS NOT NULL"
            f" AND student_class IN ({CLASS_LEVELS_SQL}))"
            " OR (role <> 'student' AND student_class IS NULL)",
            name="student_class_by_role",
        ),
        # Logins compare e-mails exactly, so they are stored in lower case.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(
            "email ~ '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$'", name="email_format"
        ),
        # Only Argon2id hashes are stored: a plain or weakly hashed password cannot be saved.
        CheckConstraint("password_hash LIKE '$argon2id$%'", name="password_hash_argon2id"),
        not_blank("first_name"),
        not_blank("last_name"),
        CheckConstraint("phone ~ '^\\+?[0-9]{10,15}$'", name="phone_format"),
        CheckConstraint("deleted_at IS NULL OR NOT is_active", name="deleted_is_inactive"),
        # Staff lists and per-class student lists (leaderboards, teacher assignment).
        Index(
            "ix_users_role_student_class_active",
            "role",
            "student_class",
            postgresql_where=text("is_active"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[UserRole] = mapped_column(USER_ROLE, nullable=False)
    first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    student_class: Mapped[str | None] = mapped_column(ClassLevel, nullable=True)
    school_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# Admin search by name, tolerant of typos and partial names (pg_trgm).
Index(
    "ix_users_full_name_trgm",
    (User.first_name + " " + User.last_name).label("full_name"),
    postgresql_using="gin",
    postgresql_ops={"full_name": "gin_trgm_ops"},
)

__all__ = ["User"]
