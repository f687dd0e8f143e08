"""What every Mathvidya model file shares: the class registry, the schema, column helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase

from lyceum.core.db.base import Base
from lyceum.core.db.columns import between, created_at, not_blank, uuid_pk
from lyceum.mathvidya.enums import STUDENT_CLASSES

SCHEMA = "mathvidya"
CASCADE = "CASCADE"
RESTRICT = "RESTRICT"
SET_NULL = "SET NULL"

# "X" or "XII": the class a student is in, a question or template is for, an exam was sat in.
ClassLevel = String(3)
CLASS_LEVELS_SQL = ", ".join(f"'{level}'" for level in STUDENT_CLASSES)


class MathvidyaBase(DeclarativeBase):
    """Mathvidya's own class registry over the platform's one MetaData: relationship targets
    are looked up by class name, and `User` and `Question` also exist in other apps."""

    metadata = Base.metadata
    type_annotation_map = Base.type_annotation_map


def fk(target: str, ondelete: str) -> Any:
    return ForeignKey(f"{SCHEMA}.{target}", ondelete=ondelete)


def class_level_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({CLASS_LEVELS_SQL})", name=f"{column}_valid")


__all__ = [
    "CASCADE",
    "CLASS_LEVELS_SQL",
    "RESTRICT",
    "SCHEMA",
    "SET_NULL",
    "ClassLevel",
    "MathvidyaBase",
    "between",
    "class_level_check",
    "created_at",
    "fk",
    "not_blank",
    "uuid_pk",
]
