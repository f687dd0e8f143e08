"""The replan job (`adaptive:replan_student`) run by a real worker process on a database of
its own (workers see only committed jobs): attempts and profile changes queue it in their own
transaction, a burst of them makes one job, the worker saves the new plan as the active one,
a student with nothing to plan is skipped, and a waiting job is held back until the
transaction that found it waiting commits (so its attempts reach the plan)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from lyceum.adaptive.schemas_learning import AttemptSubmission, ProfileUpdate
from lyceum.adaptive.service import mastery, plans
from lyceum.adaptive.service.replanning import replan_key
from lyceum.apps import APPS
from lyceum.core.jobs import build_job_app
from lyceum.core.settings import async_url, load_settings
from tests.adaptive.sync_world import World, build_world
from tests.fixtures.jobs import migrated_scratch_database, running_worker, worker_env

pytestmark = pytest.mark.slow
EXAM = (datetime.now(UTC) + timedelta(days=20)).date()


@pytest.fixture(scope="module")
def replan_db(database_url: URL, redis_url: str) -> Iterator[URL]:
    with migrated_scratch_database(database_url, "replan") as url:
        yield url


@pytest.fixture
async def engine_of(replan_db: URL) -> AsyncIterator[AsyncEngine]:
    build_job_app(load_settings(database_url=replan_db.render_as_string(hide_password=False)),
                  APPS.values())  # fmt: skip
    engine = create_async_engine(async_url(replan_db))
    yield engine
    await engine.dispose()


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql), params)]


async def jobs(engine: AsyncEngine, student: uuid.UUID) -> list[tuple[Any, ...]]:
    return await rows(
        engine,
        "SELECT id, status::text FROM lyceum.procrastinate_jobs WHERE queueing_lock = :key"
        " ORDER BY id",
        key=replan_key(student),
    )


async def active_plans(engine: AsyncEngine, student: uuid.UUID) -> list[tuple[Any, ...]]:
    return await rows(
        engine,
        "SELECT id, generated_at, expected_marks, exam_date, hours_per_week"
        " FROM adaptive.study_plans WHERE student_id = :s AND status = 'active'",
        s=student,
    )


async def until(check: Any, what: str, within: float = 60) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {within:.0f} s")
        await asyncio.sleep(0.1)


async def answer(engine: AsyncEngine, world: World, student: uuid.UUID, index: int) -> None:
    """One answer through the service, in a transaction of its own (committed)."""
    question = world.questions[index % len(world.questions)]
    body = AttemptSubmission(question_id=question.id, answer=world.answers[question.id][0],
                             time_taken_seconds=30.0)  # fmt: skip
    async with AsyncSession(engine, expire_on_commit=False) as db, db.begin():
        await mastery.submit_attempt(db, student, body, datetime.now(UTC))


async def test_the_worker_redoes_the_plan_once_per_burst_and_after_a_profile_change(
    engine_of: AsyncEngine, replan_db: URL, tmp_path: Path
) -> None:
    async with AsyncSession(engine_of, expire_on_commit=False) as db:
        world = await build_world(db, students=2)
        planned, no_exam = world.students
        await db.execute(text("UPDATE adaptive.student_profiles SET exam_date = :d"
                              " WHERE user_id = :s"), {"d": EXAM, "s": planned.id})  # fmt: skip
        await db.commit()
    # A burst of answers while no worker runs: one waiting job per student.
    for index in range(4):
        await answer(engine_of, world, planned.id, index)
    await answer(engine_of, world, no_exam.id, 0)
    assert [status for _, status in await jobs(engine_of, planned.id)] == ["todo"]
    assert [status for _, status in await jobs(engine_of, no_exam.id)] == ["todo"]
    before = datetime.now(UTC)

    with running_worker(worker_env(replan_db), tmp_path / "worker.log") as worker:
        [(job_id, _)] = await jobs(engine_of, planned.id)

        async def done() -> bool:
            states = {s for _, s in await jobs(engine_of, planned.id) + await jobs(
                engine_of, no_exam.id)}  # fmt: skip
            return states == {"succeeded"}

        await until(done, "replan jobs succeeded")
        [(plan_id, generated_at, expected, exam, hours)] = await active_plans(engine_of, planned.id)
        assert generated_at > before and expected > 0 and (exam, hours) == (EXAM, 6.0)
        # Nothing to plan without an exam date: the job succeeded and saved nothing.
        assert await active_plans(engine_of, no_exam.id) == []
        assert "skipped: the profile has no exam date" in worker.output()

        # A profile change queues another; the new plan replaces the first.
        async with AsyncSession(engine_of, expire_on_commit=False) as db, db.begin():
            await plans.update_profile(db, planned.id,
                                       ProfileUpdate(available_hours_per_week=10.0),
                                       datetime.now(UTC))  # fmt: skip

        async def replaced() -> list[tuple[Any, ...]]:
            found = await active_plans(engine_of, planned.id)
            return [plan for plan in found if plan[0] != plan_id]

        [(_, _, _, _, hours)] = await until(replaced, "a new active plan")
        assert hours == 10.0
        assert len(await active_plans(engine_of, planned.id)) == 1
        archived = await rows(engine_of, "SELECT status FROM adaptive.study_plans WHERE id = :i",
                              i=plan_id)  # fmt: skip
        assert archived == [("archived",)]
        assert len(await jobs(engine_of, planned.id)) == 2
        assert job_id in [j for j, _ in await jobs(engine_of, planned.id)]


async def test_a_waiting_job_is_held_until_the_transaction_that_found_it_commits(
    engine_of: AsyncEngine, replan_db: URL, tmp_path: Path
) -> None:
    async with AsyncSession(engine_of, expire_on_commit=False) as db:
        world = await build_world(db, students=1)
        student = world.students[0]
        await db.execute(text("UPDATE adaptive.student_profiles SET exam_date = :d"
                              " WHERE user_id = :s"), {"d": EXAM, "s": student.id})  # fmt: skip
        await db.commit()
    await answer(engine_of, world, student.id, 0)  # queues the job
    [(job_id, status)] = await jobs(engine_of, student.id)
    assert status == "todo"

    # A second answer's transaction finds the job waiting and stays open while a worker runs.
    db = AsyncSession(engine_of, expire_on_commit=False)
    try:
        await db.begin()
        question = world.questions[1]
        await mastery.submit_attempt(
            db, student.id,
            AttemptSubmission(question_id=question.id, answer=world.answers[question.id][0],
                              time_taken_seconds=30.0),
            datetime.now(UTC),
        )  # fmt: skip
        with running_worker(worker_env(replan_db), tmp_path / "worker.log"):
            await asyncio.sleep(3)  # the worker polls and listens; it must skip the held job
            assert await jobs(engine_of, student.id) == [(job_id, "todo")]
            await db.commit()
            committed = datetime.now(UTC)

            async def succeeded() -> bool:
                return await jobs(engine_of, student.id) == [(job_id, "succeeded")]

            await until(succeeded, "the held job to run")
        [(_, generated_at, *_)] = await active_plans(engine_of, student.id)
        # Planned after the second answer was committed: from both answers.
        assert generated_at >= committed - timedelta(seconds=1)
        attempts = await rows(engine_of, "SELECT count(*) FROM adaptive.question_attempts"
                              " WHERE student_id = :s", s=student.id)  # fmt: skip
        assert attempts == [(2,)]
    finally:
        await db.close()
