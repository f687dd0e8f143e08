"""The leaderboard and analytics as the API answers them.

A board entry carries no student id: the board is read by other students, who see a first
name and an initial, a score and a rank, and `is_you` on the caller's own row (a parent's:
their child's). Analytics payloads are the nightly snapshot's JSON as computed by
`lyceum.mathvidya.analytics` (its keys are described there and in docs/mathvidya.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class BoardEntry(BaseModel):
    rank: int = Field(description='Competition rank: equal scores share it ("1224").')
    display_name: str = Field(description='First name and surname initial, e.g. "Aarav S.".')
    score: float = Field(description="Mean percentage of the month's evaluated exams.")
    exams_counted: int
    is_you: bool = Field(description="The caller's row (for a parent: their child's).")


class Leaderboard(BaseModel):
    month: str = Field(description="The India-time month, YYYY-MM.")
    student_class: str
    top_n: int
    min_exams: int
    refreshed_at: datetime | None
    entries: list[BoardEntry]
    you: BoardEntry | None = Field(
        description="The caller's (or their child's) row when it is on the board."
    )
    note: str


class RefreshSummary(BaseModel):
    month: str
    entries: dict[str, int] = Field(description="Rows written per class.")


class StudentAnalytics(BaseModel):
    student_id: uuid.UUID
    name: str
    student_class: str
    computed_for: date | None = Field(description="The India-time day of the snapshot.")
    computed_at: datetime | None
    live: bool = Field(description="Computed now because no nightly snapshot exists yet.")
    analytics: dict[str, Any]


class TeacherAnalytics(BaseModel):
    teacher_id: uuid.UUID
    name: str
    computed_for: date | None
    computed_at: datetime | None
    live: bool
    analytics: dict[str, Any]


__all__ = ["BoardEntry", "Leaderboard", "RefreshSummary", "StudentAnalytics", "TeacherAnalytics"]
