"""`lyceum generate adaptive` into the real database: what lands (every CHECK, foreign key and
the prerequisite trigger accepted it), that it is recorded, replaces rather than adds, is
skipped when already there, and refuses bad options before touching anything."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import app_spec
from lyceum.adaptive.generate import ALL_TABLES, LOADED, generate
from lyceum.adaptive.synthetic import DEFAULT_END, simulate
from lyceum.core import generation
from lyceum.core.appspec import GenerateOptions
from lyceum.core.auth import verify_password
from lyceum.core.errors import Forbidden, InvalidInput
from lyceum.core.operators import demo_password

SMALL = GenerateOptions(seed=11, scale="small", months=2)
FINGERPRINT = """
SELECT md5(string_agg(a.id::text || u.username || q.code || a.answer || a.attempted_at::text,
                      ',' ORDER BY a.id))
FROM adaptive.question_attempts a
JOIN adaptive.users u ON u.id = a.student_id
JOIN adaptive.questions q ON q.id = a.question_id
"""
# A prerequisite path that comes back to where it started.
CYCLES = """
WITH RECURSIVE walk(start, id, depth) AS (
    SELECT topic_id, prerequisite_id, 1 FROM adaptive.topic_prerequisites
    UNION ALL
    SELECT w.start, p.prerequisite_id, w.depth + 1
    FROM walk w JOIN adaptive.topic_prerequisites p ON p.topic_id = w.id
    WHERE w.depth < 100 AND w.id <> w.start
)
SELECT count(*) FROM walk WHERE id = start
"""


async def _run(options: GenerateOptions) -> str:
    with Progress(disable=True) as progress:
        return await generate(options, progress)


async def _scalar(db: AsyncSession, sql: str) -> Any:
    return (await db.execute(text(sql))).scalar_one()


async def _counts(db: AsyncSession) -> dict[str, int]:
    return {t: await _scalar(db, f"SELECT count(*) FROM adaptive.{t}") for t in ALL_TABLES}  # noqa: S608


async def test_small_history_loads_whole(db_session: AsyncSession) -> None:
    summary = await _run(SMALL)
    history = simulate("small", SMALL.seed, SMALL.months, DEFAULT_END)
    counts = await _counts(db_session)
    expected = {
        "users": len(history.users),
        "classes": len(history.classes),
        "student_profiles": len(history.student_profiles),
        "topics": len(history.topics),
        "topic_prerequisites": len(history.topic_prerequisites),
        "concepts": len(history.concepts),
        "questions": len(history.questions),
        "question_attempts": len(history.attempts),
    }
    nothing_yet = (
        "concept_mastery", "concept_mastery_params", "mastery_student_offsets",
        "mastery_question_offsets", "study_plans", "study_plan_events", "sync_operations",
    )  # fmt: skip
    assert counts == {
        **expected,
        **dict.fromkeys(nothing_yet, 0),
        "sync_devices": 0,
        "change_log": counts["change_log"],
    }
    # The change log (what devices pull) names every loaded row once, by its entity type.
    logged = dict(
        (
            await db_session.execute(
                text("SELECT entity_type, count(*) FROM adaptive.change_log GROUP BY entity_type")
            )
        ).all()
    )
    assert logged == {
        "topic": len(history.topics),
        "topic_prerequisites": len(history.topic_prerequisites),
        "concept": len(history.concepts),
        "question": len(history.questions),
        "user": sum(1 for u in history.users if u["role"] == "student"),
        "student_profile": len(history.student_profiles),
        "question_attempt": len(history.attempts),
    }
    assert counts["question_attempts"] > 1_000
    assert f"{counts['question_attempts']:,} attempts" in summary and "seed 11" in summary

    # Every attempt is by a student with a profile, made online, within the window.
    by_students = await db_session.execute(
        text(
            "SELECT count(*) FROM adaptive.question_attempts a"
            " JOIN adaptive.users u ON u.id = a.student_id AND u.role = 'student'"
            " JOIN adaptive.student_profiles p ON p.user_id = u.id"
            " WHERE a.sync_operation_id IS NULL"
            " AND a.attempted_at >= :start AND a.attempted_at < :end"
        ),
        {"start": history.start, "end": history.end},
    )
    assert by_students.scalar_one() == counts["question_attempts"]
    # Every profile is in a class of its grade taught by a teacher.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM adaptive.student_profiles p"
            " JOIN adaptive.classes c ON c.id = p.class_id AND c.grade = p.grade"
            " JOIN adaptive.users t ON t.id = c.teacher_id AND t.role = 'teacher'",
        )
        == counts["student_profiles"]
    )
    # What the model says is what the table holds: attempt by attempt, in its order.
    a = history.attempts
    stored = (
        await db_session.execute(
            text(
                "SELECT u.username, q.code, a.is_correct, a.confidence, a.attempted_at"
                " FROM adaptive.question_attempts a"
                " JOIN adaptive.users u ON u.id = a.student_id"
                " JOIN adaptive.questions q ON q.id = a.question_id"
                " ORDER BY u.username, a.attempted_at"
            )
        )
    ).all()
    assert [tuple(row) for row in stored[:50]] == [
        (str(a.username[i]), str(a.question_code[i]), bool(a.is_correct[i]),
         int(a.confidence[i]), a.attempted_at[i])
        for i in range(50)
    ]  # fmt: skip
    assert sum(row.is_correct for row in stored) == int(a.is_correct.sum())
    # The graph: concepts and questions hang off leaf topics' codes, no prerequisite cycle.
    assert await _scalar(db_session, CYCLES) == 0
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM adaptive.questions q"
            " JOIN adaptive.concepts c ON c.id = q.concept_id AND q.code LIKE c.code || '.%'",
        )
        == counts["questions"]
    )
    assert await _scalar(
        db_session,
        "SELECT count(*) FROM adaptive.topics WHERE parent_id IS NULL",
    ) == sum(1 for t in history.topics if t["parent_code"] is None)
    # One shared hash of the published demo password.
    hashes = await db_session.execute(text("SELECT DISTINCT password_hash FROM adaptive.users"))
    (only,) = hashes.scalars().all()
    assert verify_password(only, demo_password())

    run = (
        await db_session.execute(
            text(
                "SELECT seed, scale, months, summary FROM lyceum.generation_runs"
                " WHERE app = 'adaptive'"
            )
        )
    ).one()
    assert (run.seed, run.scale, run.months) == (SMALL.seed, SMALL.scale, SMALL.months)
    assert run.summary["rows"] == {name: counts[name] for name in LOADED}
    assert run.summary["end"] == DEFAULT_END.isoformat()


async def test_rerun_replaces_and_skip_if_present(db_session: AsyncSession) -> None:
    await _run(SMALL)
    first_counts = await _counts(db_session)
    first = await _scalar(db_session, FINGERPRINT)
    summary = await _run(
        GenerateOptions(seed=SMALL.seed, scale="small", months=SMALL.months, skip_if_present=True)
    )
    assert summary.startswith("data already generated")
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 1
    # A different seed is not skipped, and replaces the data.
    await _run(GenerateOptions(seed=12, scale="small", months=SMALL.months, skip_if_present=True))
    assert await _scalar(db_session, FINGERPRINT) != first
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 2
    # The same parameters again: the same rows and keys, not twice as many.
    await _run(SMALL)
    assert await _counts(db_session) == first_counts
    assert await _scalar(db_session, FINGERPRINT) == first


async def test_bad_options_are_refused_before_touching_data(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _run(SMALL)
    before = await _counts(db_session)
    with pytest.raises(InvalidInput, match="unknown scale 'huge'"):
        await _run(GenerateOptions(scale="huge"))
    with pytest.raises(InvalidInput, match="months"):
        await _run(GenerateOptions(scale="small", months=0))
    with pytest.raises(InvalidInput, match="months"):
        await _run(GenerateOptions(scale="small", months=25))
    monkeypatch.setattr(generation, "get_settings", lambda: SimpleNamespace(env="production"))
    with pytest.raises(Forbidden, match="production"):
        await _run(SMALL)
    assert await _counts(db_session) == before


def test_the_app_registers_its_generator() -> None:
    assert app_spec.generate is not None
