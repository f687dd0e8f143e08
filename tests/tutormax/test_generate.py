"""`lyceum generate tutormax` into the real database: what lands (every CHECK and foreign key
accepted it), that it is recorded and repeatable, and that a failed load changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.bulk import copy_table
from lyceum.core.errors import InvalidInput
from lyceum.tutormax.generate import generate
from lyceum.tutormax.synthetic import HISTORY_END, simulate_history

SMALL = GenerateOptions(seed=11, scale="small", months=3)
FINGERPRINT = """
SELECT md5(string_agg(session_id || tutor_id || student_id || scheduled_start::text || status,
                      ',' ORDER BY session_id))
FROM tutormax.sessions
"""
CATALOG = """
SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'tutormax'),
       (SELECT count(*) FROM pg_constraint WHERE connamespace = 'tutormax'::regnamespace
          AND contype IN ('f', 'p', 'u'))
"""


async def _run(options: GenerateOptions) -> str:
    with Progress(disable=True) as progress:
        return await generate(options, progress)


async def _scalar(db: AsyncSession, sql: str) -> Any:
    return (await db.execute(text(sql))).scalar_one()


async def _counts(db: AsyncSession) -> dict[str, int]:
    tables = ("tutors", "students", "sessions", "student_feedback", "tutor_events")
    return {t: await _scalar(db, f"SELECT count(*) FROM tutormax.{t}") for t in tables}  # noqa: S608


async def test_small_history_loads_whole(db_session: AsyncSession) -> None:
    catalog_before = (await db_session.execute(text(CATALOG))).one()
    summary = await _run(SMALL)
    history = simulate_history("small", SMALL.seed, SMALL.months, HISTORY_END)
    expected = history.row_counts()
    counts = await _counts(db_session)
    assert counts == {name: expected[name] for name in counts}
    assert f"{counts['sessions']:,} sessions" in summary
    assert "model" in summary and "copy" in summary and "indexes" in summary
    for empty in ("tutor_performance_metrics", "churn_predictions", "interventions"):
        assert await _scalar(db_session, f"SELECT count(*) FROM tutormax.{empty}") == 0  # noqa: S608

    # Every rating joins its session on all three parties (the composite foreign key).
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM tutormax.student_feedback f JOIN tutormax.sessions s"
            " USING (session_id, tutor_id, student_id) WHERE s.status = 'completed'",
        )
        == counts["student_feedback"]
    )
    # Sessions are in one of the tutor's subjects, and never after the tutor churned.
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM tutormax.sessions s JOIN tutormax.tutors t USING (tutor_id)"
            " WHERE s.subject = ANY (t.subjects)"
            " AND (t.churned_at IS NULL OR s.scheduled_start < t.churned_at)",
        )
        == counts["sessions"]
    )
    # Events carry JSON objects, keys are time-ordered UUIDs (version 7).
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM tutormax.tutor_events"
            " WHERE jsonb_typeof(metadata) = 'object' AND substr(event_id::text, 15, 1) = '7'",
        )
        == counts["tutor_events"]
    )
    assert (
        await _scalar(
            db_session,
            "SELECT count(*) FROM tutormax.tutor_events WHERE event_type = 'message_response'"
            " AND (metadata ->> 'response_minutes')::int >= 1",
        )
        > 0
    )
    # What the model says is what the table holds.
    churned = int((history.tutors["status"] == "churned").sum())
    assert (
        await _scalar(db_session, "SELECT count(*) FROM tutormax.tutors WHERE status = 'churned'")
        == churned
    )
    assert await _scalar(
        db_session,
        "SELECT max(scheduled_start) < '2026-11-02'::timestamptz FROM tutormax.sessions"
        " WHERE status <> 'scheduled'",
    )
    # The indexes, keys and foreign keys dropped for the load are all back.
    assert (await db_session.execute(text(CATALOG))).one() == catalog_before

    run = (
        await db_session.execute(
            text(
                "SELECT seed, scale, months, summary FROM lyceum.generation_runs"
                " WHERE app = 'tutormax'"
            )
        )
    ).one()
    assert (run.seed, run.scale, run.months) == (SMALL.seed, SMALL.scale, SMALL.months)
    assert run.summary["rows"] == counts
    assert run.summary["end"] == HISTORY_END.isoformat()


async def test_same_seed_same_rows_and_skip_if_present(db_session: AsyncSession) -> None:
    await _run(SMALL)
    first = await _scalar(db_session, FINGERPRINT)
    summary = await _run(
        GenerateOptions(seed=SMALL.seed, scale="small", months=3, skip_if_present=True)
    )
    assert summary.startswith("data already generated")
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 1
    # A different seed is not skipped, and replaces the data.
    await _run(GenerateOptions(seed=12, scale="small", months=3, skip_if_present=True))
    assert await _scalar(db_session, FINGERPRINT) != first
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 2
    await _run(SMALL)
    assert await _scalar(db_session, FINGERPRINT) == first


async def test_bad_options_are_refused_before_touching_data(db_session: AsyncSession) -> None:
    with pytest.raises(InvalidInput, match="unknown scale 'huge'"):
        await _run(GenerateOptions(scale="huge"))
    with pytest.raises(InvalidInput, match="months"):
        await _run(GenerateOptions(scale="small", months=0))
    assert await _scalar(db_session, "SELECT count(*) FROM tutormax.tutors") == 0


async def test_a_failed_load_leaves_the_previous_data(
    db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _run(SMALL)
    before = await _counts(db_session)
    fingerprint = await _scalar(db_session, FINGERPRINT)
    catalog = (await db_session.execute(text(CATALOG))).one()

    async def failing_copy(connection: Any, table: Any, rows: Any) -> int:
        if table.name == "tutor_events":
            raise RuntimeError("disk full")
        return await copy_table(connection, table, rows)

    monkeypatch.setattr("lyceum.tutormax.generate.copy_table", failing_copy)
    with pytest.raises(RuntimeError, match="disk full"):
        await _run(GenerateOptions(seed=99, scale="small", months=2))
    # Tutors, students, sessions and ratings of the new history had gone in; all undone.
    assert await _counts(db_session) == before
    assert await _scalar(db_session, FINGERPRINT) == fingerprint
    assert (await db_session.execute(text(CATALOG))).one() == catalog
    assert await _scalar(db_session, "SELECT count(*) FROM lyceum.generation_runs") == 1
