"""A device database made before issue 18's columns (mastery confidence, target marks, what a
plan promises) is brought up to the models when it is opened: the columns are added, the
rows kept, and opening it again changes nothing."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from lyceum.adaptive.enums import UserRole
from lyceum.adaptive.local import (
    create_local_engine,
    create_local_schema,
    local_sessionmaker,
    missing_columns,
)
from lyceum.adaptive.models import ConceptMastery, StudyPlan, User
from tests.adaptive.rows import ARGON2ID, suffix

# The columns migration 0016 added to tables devices hold.
NEW_COLUMNS = {
    "concept_mastery": ("confidence",),
    "student_profiles": ("target_marks",),
    "study_plans": ("expected_marks", "baseline_marks", "method", "exam_date", "hours_per_week"),
}


def columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]


def make_old_database(path: Path) -> None:
    """Today's schema with the new columns taken out again, as an older release left it:
    SQLite's documented way to change a table (create the new shape, copy, drop, rename),
    with the table's own DDL minus the lines naming those columns."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        for table, dropped in NEW_COLUMNS.items():
            [ddl] = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            named = re.compile(r"\b(" + "|".join(dropped) + r")\b")
            lines = [line for line in ddl.splitlines() if not named.search(line)]
            shape = re.sub(r",\s*\)\s*$", "\n)", "\n".join(lines))
            connection.execute(shape.replace(f"TABLE {table}", f"TABLE new_{table}", 1))
            kept = ", ".join(c for c in columns(path, table) if c not in dropped)
            connection.execute(f"INSERT INTO new_{table} SELECT {kept} FROM {table}")  # noqa: S608
            connection.execute(f"DROP TABLE {table}")
            connection.execute(f"ALTER TABLE new_{table} RENAME TO {table}")
        # A row written by the older release.
        connection.execute(
            "INSERT INTO concept_mastery (id, student_id, concept_id, mastery, attempts_count,"
            " correct_count, updated_at) VALUES (?, ?, ?, 0.4, 2, 1, '2026-11-01 00:00:00')",
            (uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex),
        )
        connection.commit()
    finally:
        connection.close()


async def test_an_older_device_database_gains_the_new_columns_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "device.db"
    engine = create_local_engine(f"sqlite:///{path}")
    await create_local_schema(engine)
    await engine.dispose()
    make_old_database(path)
    for table, added in NEW_COLUMNS.items():
        assert not set(added) & set(columns(path, table))

    engine = create_local_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as connection:
            lacking = await connection.run_sync(missing_columns)
        assert {f"{t.name}.{c.name}" for t, c in lacking} == {
            f"{table}.{name}" for table, names in NEW_COLUMNS.items() for name in names
        }
        await create_local_schema(engine)
        for table, added in NEW_COLUMNS.items():
            assert set(added) <= set(columns(path, table)), table
        async with engine.connect() as connection:
            assert await connection.run_sync(missing_columns) == []
        # Opening it again is a no-op.
        await create_local_schema(engine)

        async with local_sessionmaker(engine)() as db:
            [old] = (await db.scalars(select(ConceptMastery))).all()
            # The NOT NULL column came with its default; the row is otherwise as it was.
            assert (old.mastery, old.confidence, old.attempts_count) == (0.4, 0.0, 2)
            # What a pull now brings fits.
            student = User(username=f"student-{suffix()}", role=UserRole.STUDENT,
                           password_hash=ARGON2ID)  # fmt: skip
            db.add(student)
            await db.flush()
            db.add(
                StudyPlan(
                    student_id=student.id, starts_on=date(2026, 12, 1), ends_on=date(2027, 3, 1),
                    schedule=[], expected_marks=61.5, baseline_marks=52.0, method="MILP",
                    exam_date=date(2027, 3, 1), hours_per_week=6.0,
                    generated_at=datetime(2026, 12, 1, tzinfo=UTC),
                )
            )  # fmt: skip
            old.confidence = 0.25
            await db.commit()
            plan = (await db.scalars(select(StudyPlan))).one()
            assert (plan.expected_marks, plan.method, plan.hours_per_week) == (61.5, "MILP", 6.0)
    finally:
        await engine.dispose()
