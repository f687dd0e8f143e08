"""`lyceum adaptive fit` against real PostgreSQL: the parameters land in
`concept_mastery_params` within the bounds, the individualised model's offsets in
`mastery_student_offsets` and `mastery_question_offsets` (one row per student and question
with attempts), and every (student, concept) state is recomputed under them exactly as
`bkt.replay` with the offsets computes it, confidence included; and the command as a person
runs it, on a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rich.progress import Progress
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.generate import generate
from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import Observation
from lyceum.adaptive.mastery.fit import BOUNDS
from lyceum.adaptive.repository import mastery as mastery_repository
from lyceum.adaptive.repository.mastery_params import NO_OFFSETS, OFFSET_BOUND, offsets_for
from lyceum.adaptive.service.mastery_fit import FitSummary, fit_if_never_fitted, fit_mastery
from lyceum.adaptive.tasks import REFIT_CRON
from lyceum.apps import APPS
from lyceum.core.appspec import GenerateOptions
from lyceum.core.jobs import build_job_app, next_run
from lyceum.core.settings import load_settings, sync_url
from tests.cli.test_cli import lyceum
from tests.fixtures.services import scratch_database

SMALL = GenerateOptions(seed=11, scale="small", months=2)
NOW = datetime(2026, 1, 20, tzinfo=UTC)
PAIRS = """
SELECT count(*) FROM (SELECT DISTINCT a.student_id, q.concept_id
                      FROM adaptive.question_attempts a
                      JOIN adaptive.questions q ON q.id = a.question_id) p
"""

COUNTS = """
SELECT (SELECT count(*) FROM adaptive.concept_mastery_params),
       (SELECT count(*) FROM adaptive.mastery_student_offsets),
       (SELECT count(DISTINCT student_id) FROM adaptive.question_attempts),
       (SELECT count(*) FROM adaptive.mastery_question_offsets),
       (SELECT count(DISTINCT question_id) FROM adaptive.question_attempts),
       (SELECT count(*) FROM adaptive.concepts),
       (SELECT count(*) FROM adaptive.concept_mastery WHERE confidence > 0),
       (SELECT count(*) FROM (SELECT DISTINCT a.student_id, q.concept_id
                              FROM adaptive.question_attempts a
                              JOIN adaptive.questions q ON q.id = a.question_id) p)
"""


async def _scalar(db: AsyncSession, sql: str) -> int:
    return int((await db.execute(text(sql))).scalar_one())


@pytest.mark.slow
async def test_fit_saves_parameters_and_recomputes_every_state(db_session: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(SMALL, progress)
    # A stale row from before the fit (the old estimator's kind of value, no confidence).
    stale = (
        await db_session.execute(
            text(
                "SELECT a.student_id, q.concept_id FROM adaptive.question_attempts a"
                " JOIN adaptive.questions q ON q.id = a.question_id ORDER BY a.id LIMIT 1"
            )
        )
    ).one()
    await db_session.execute(
        text(
            "INSERT INTO adaptive.concept_mastery (id, student_id, concept_id, mastery,"
            " attempts_count, correct_count) VALUES (gen_random_uuid(), :s, :c, 0.5, 0, 0)"
        ),
        {"s": stale[0], "c": stale[1]},
    )

    summary = await fit_mastery(db_session, NOW)

    concepts = await _scalar(db_session, "SELECT count(*) FROM adaptive.concepts")
    attempts = await _scalar(db_session, "SELECT count(*) FROM adaptive.question_attempts")
    assert summary.concepts == concepts and summary.attempts == attempts
    await _offset_tables(db_session, attempts, summary)
    # What the server's update reads: zero for a student or question the fit never saw.
    nobody = uuid.uuid4()
    assert await offsets_for(db_session, nobody, [nobody]) == (NO_OFFSETS, {nobody: 0.0})
    assert 0 < summary.concepts_fitted < concepts  # small scale: some concepts are sparse
    rows = (
        await db_session.execute(text("SELECT * FROM adaptive.concept_mastery_params"))
    ).mappings()
    params = {row["concept_id"]: row for row in rows}
    assert len(params) == concepts
    assert sum(row["attempts_used"] for row in params.values()) == attempts
    for row in params.values():
        for name, (low, high) in BOUNDS.items():
            assert low <= row[name] <= high, name
        assert row["fitted_at"] == NOW and row["log_likelihood"] <= 0

    # One row per practised pair, each the replay of its history under the stored parameters.
    pairs = await _scalar(db_session, PAIRS)
    assert await _scalar(db_session, "SELECT count(*) FROM adaptive.concept_mastery") == pairs
    assert summary.mastery_rows == pairs
    stored = (
        await db_session.execute(
            text(
                "SELECT student_id, concept_id, mastery, confidence, attempts_count,"
                " correct_count, last_practiced_at FROM adaptive.concept_mastery"
                " ORDER BY student_id, concept_id LIMIT 40"
            )
        )
    ).all()
    fitted = await mastery_repository.params_for(db_session, {row[1] for row in stored})
    histories = await _histories(db_session, [(r[0], r[1]) for r in stored])
    changed = 0
    for row in stored:
        seen = histories[(row[0], row[1])]
        student, questions = await offsets_for(db_session, row[0], {q for q, _ in seen})
        observations = [replace(o, effect=questions[q]) for q, o in seen]
        expected = bkt.replay(fitted[row[1]], observations, prior_offset=student.prior_offset)
        assert row[2] == expected.p_mastered
        # The student's prior offset and the questions' offsets are what moved it from plain BKT.
        plain = bkt.replay(fitted[row[1]], [o for _, o in seen])
        changed += abs(plain.p_mastered - expected.p_mastered) > 1e-3
        assert row[3] == pytest.approx(bkt.confidence(expected.p_mastered))
        assert (row[4], row[5], row[6]) == (
            expected.attempts_count,
            expected.correct_count,
            expected.last_practiced_at,
        )
    assert changed >= len(stored) // 2
    updated = (
        await db_session.execute(
            text(
                "SELECT mastery, confidence, attempts_count FROM adaptive.concept_mastery"
                " WHERE student_id = :s AND concept_id = :c"
            ),
            {"s": stale[0], "c": stale[1]},
        )
    ).one()
    assert updated[0] != 0.5 and updated[1] > 0 and updated[2] >= 1
    # Confidence is filled in everywhere, and says something (not all equal).
    spread = (
        await db_session.execute(
            text("SELECT min(confidence), max(confidence) FROM adaptive.concept_mastery")
        )
    ).one()
    assert 0 <= spread[0] < spread[1] <= 1

    # Fitting again on the same attempts changes nothing.
    before = await _digest(db_session)
    again = await fit_mastery(db_session, NOW)
    assert again.log_likelihood == summary.log_likelihood
    assert await _digest(db_session) == before


@pytest.mark.slow
async def test_the_first_fit_comes_after_generation_and_the_refit_runs_each_night(
    db_session: AsyncSession,
) -> None:
    app = build_job_app(load_settings(), APPS.values())
    task = app.tasks["adaptive:refit_mastery"]
    [schedule] = [p for p in app.periodic_registry.periodic_tasks.values() if p.task is task]
    assert REFIT_CRON == "0 4 * * *"
    assert next_run(schedule.cron, datetime(2026, 12, 4, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 5, 4, 0, tzinfo=UTC
    )
    assert "no attempts" in await fit_if_never_fitted(db_session, NOW)
    with Progress(disable=True) as progress:
        await generate(SMALL, progress)
    said = await fit_if_never_fitted(db_session, NOW)
    assert "fitted by EM" in said
    pairs = await _scalar(db_session, PAIRS)
    assert await _scalar(db_session, "SELECT count(*) FROM adaptive.concept_mastery") == pairs
    before = await _digest(db_session)
    # A catch-up on a fitted database leaves the fit alone.
    assert "already fitted" in await fit_if_never_fitted(db_session, NOW)
    # The nightly job, run as the worker runs it, refits: same attempts, same model.
    done = await task.func(timestamp=int(datetime(2026, 12, 5, 4, tzinfo=UTC).timestamp()))
    assert f"{pairs:,} mastery rows recomputed" in done
    assert await _digest(db_session) == before


async def _offset_tables(db: AsyncSession, attempts: int, summary: FitSummary) -> None:
    """One row per student and per question with attempts, attempts_used adding up to every
    attempt, every offset within the CHECK range and not all alike."""
    students = await _scalar(
        db, "SELECT count(DISTINCT student_id) FROM adaptive.question_attempts"
    )
    questions = await _scalar(
        db, "SELECT count(DISTINCT question_id) FROM adaptive.question_attempts"
    )
    assert (summary.student_offsets, summary.question_offsets) == (students, questions)
    for table, columns, rows in (
        ("mastery_student_offsets", ("prior_offset",), students),
        ("mastery_question_offsets", ("answer_offset",), questions),
    ):
        stats = ", ".join(f"min({c}), max({c}), stddev({c})" for c in columns)
        sql = f"SELECT count(*), sum(attempts_used), min(fitted_at), max(fitted_at), {stats}"
        sql += f" FROM adaptive.{table}"
        found = (await db.execute(text(sql))).one()
        assert found[:4] == (rows, attempts, NOW, NOW), table
        for low, high, spread in zip(found[4::3], found[5::3], found[6::3], strict=True):
            assert -OFFSET_BOUND < low < 0 < high < OFFSET_BOUND, table
            assert spread > 0.05, table


async def _histories(
    db: AsyncSession, pairs: list[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], list[tuple[uuid.UUID, Observation]]]:
    """Each pair's attempts with their questions (whose offsets the replay needs)."""
    found: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[uuid.UUID, Observation]]] = {
        pair: [] for pair in pairs
    }
    rows = await db.execute(
        text(
            "SELECT a.student_id, q.concept_id, a.question_id, a.id, a.attempted_at,"
            " a.is_correct, q.kind::text FROM adaptive.question_attempts a"
            " JOIN adaptive.questions q ON q.id = a.question_id"
            " WHERE a.student_id = ANY(CAST(:students AS uuid[]))"
        ),
        {"students": list({s for s, _ in pairs})},
    )
    for student, concept, question, *attempt in rows:
        if (student, concept) in found:
            found[(student, concept)].append((question, Observation(*attempt)))
    return found


async def _digest(db: AsyncSession) -> tuple[str, ...]:
    """What a fit writes, less the fit's time."""
    out = []
    for sql in (
        "SELECT md5(string_agg(mastery::text, ',' ORDER BY id)) FROM adaptive.concept_mastery",
        "SELECT md5(string_agg(concat_ws(',', student_id, prior_offset), ';'"
        " ORDER BY student_id)) FROM adaptive.mastery_student_offsets",
        "SELECT md5(string_agg(concat_ws(',', question_id, answer_offset), ';'"
        " ORDER BY question_id)) FROM adaptive.mastery_question_offsets",
    ):
        out.append(str((await db.execute(text(sql))).scalar_one()))
    return tuple(out)


@pytest.fixture
def scratch(database_url: URL) -> Iterator[URL]:
    with scratch_database(database_url, "masteryfit") as url:
        yield url


@pytest.mark.slow
def test_the_command_fits_and_commits(scratch: URL) -> None:
    env = {"DATABASE_URL": scratch.render_as_string(hide_password=False), "ENV": "development"}
    assert lyceum("db", "upgrade", env=env).returncode == 0
    generated = lyceum("generate", "adaptive", "--scale", "small", "--months", "2", "--seed",
                       "4", env=env)  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    done = lyceum("adaptive", "fit", env=env)
    assert done.returncode == 0, done.stderr
    assert "mastery rows recomputed" in done.stdout
    engine = create_engine(sync_url(scratch))
    try:
        with engine.connect() as connection:
            counts = connection.execute(text(COUNTS)).one()
    finally:
        engine.dispose()
    assert counts[1] == counts[2] > 0 and counts[3] == counts[4] > 0
    counts = counts[:1] + counts[5:]
    assert counts[0] == counts[1] > 0
    assert 0 < counts[2] <= counts[3]
    assert f"{counts[3]:,} mastery rows recomputed" in done.stdout
