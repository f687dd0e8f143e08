"""`parent_student_mappings`: which parent accounts may see which student (seed 003).

Every student must be linked to a parent (child protection); the link carries how they are
related and whether this parent is the primary contact (billing, SLA notices).
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from lyceum.core.db.base import TimestampMixin
from lyceum.core.db.columns import relationship
from lyceum.mathvidya.enums import RelationshipType, UserRole
from lyceum.mathvidya.models.base import CASCADE, SCHEMA, MathvidyaBase, uuid_pk
from lyceum.mathvidya.models.enums import RELATIONSHIP_TYPE, USER_ROLE
from lyceum.mathvidya.models.user import User

USERS_ID_ROLE = (f"{SCHEMA}.users.id", f"{SCHEMA}.users.role")


class ParentStudentMapping(TimestampMixin, MathvidyaBase):
    __tablename__ = "parent_student_mappings"
    __table_args__ = (
        UniqueConstraint("parent_user_id", "student_user_id"),
        CheckConstraint("parent_user_id <> student_user_id", name="no_self_mapping"),
        CheckConstraint("parent_role = 'parent'", name="parent_is_parent"),
        CheckConstraint("student_role = 'student'", name="student_is_student"),
        # The link means nothing without both people: it goes when either account goes.
        ForeignKeyConstraint(
            ["parent_user_id", "parent_role"],
            USERS_ID_ROLE,
            ondelete=CASCADE,
            name="fk_parent_student_mappings_parent_users",
        ),
        ForeignKeyConstraint(
            ["student_user_id", "student_role"],
            USERS_ID_ROLE,
            ondelete=CASCADE,
            name="fk_parent_student_mappings_student_users",
        ),
        # A student's parents (the parent's students use the unique key above).
        Index("ix_parent_student_mappings_student_user_id", "student_user_id"),
        # At most one primary contact per student.
        Index(
            "uq_parent_student_mappings_primary_contact",
            "student_user_id",
            unique=True,
            postgresql_where=text("is_primary_contact"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    parent_user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    parent_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.PARENT, server_default=UserRole.PARENT.value
    )
    student_user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    student_role: Mapped[UserRole] = mapped_column(
        USER_ROLE, nullable=False, default=UserRole.STUDENT, server_default=UserRole.STUDENT.value
    )
    relationship_type: Mapped[RelationshipType] = mapped_column(RELATIONSHIP_TYPE, nullable=False)
    is_primary_contact: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )

    parent: Mapped[User] = relationship(foreign_keys=[parent_user_id, parent_role], viewonly=True)
    student: Mapped[User] = relationship(
        foreign_keys=[student_user_id, student_role], viewonly=True
    )


__all__ = ["USERS_ID_ROLE", "ParentStudentMapping"]
