"""Background jobs: deferring in the caller's transaction, the registry, time-zone-aware
periodic schedules, retries, crash recovery and the worker process.

Fast tests run in the test's rolled-back transaction. Tests with real worker processes
(`tests/fixtures/job_worker.py`, the production `run_worker` plus test jobs) use a migrated
database of their own, since workers only see committed jobs.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.apps import APPS
from lyceum.core import embedded
from lyceum.core.db.engine import build_async_engine
from lyceum.core.errors import ConfigurationError, InvalidInput
from lyceum.core.jobs import (
    DEFAULT_RETRY,
    NO_RETRY,
    AlreadyQueued,
    UnknownTask,
    build_job_app,
    defer,
    defer_exclusive,
    get_job,
    next_run,
    queue_stats,
)
from lyceum.core.jobs.app import connector
from lyceum.core.jobs.periodic import every_seconds_cron, split_cron, zoned_cron
from lyceum.core.settings import load_settings
from tests.fixtures import job_worker
from tests.fixtures.jobs import (
    Worker,
    migrated_scratch_database,
    running_worker,
    wait_for,
    worker_env,
)
from tests.fixtures.services import REPO_ROOT

IST = "Asia/Kolkata"


@pytest.fixture
def job_registry(database_url: URL) -> None:
    """This process's registry: every app's jobs plus the test jobs (as in the worker)."""
    build_job_app(load_settings(), APPS.values(), extra={"test": job_worker.blueprint({"effects"})})


# ---- the registry and defer, in the test's transaction --------------------------------


async def _job(db: AsyncSession, job_id: int) -> dict[str, object]:
    row = await db.execute(
        text("SELECT * FROM lyceum.procrastinate_jobs WHERE id = :id"), {"id": job_id}
    )
    return dict(row.mappings().one())


async def test_defer_queues_the_job_with_the_task_defaults(
    job_registry: None, db_session: AsyncSession
) -> None:
    job_id = await defer(db_session, "nerdboard:reset_history", who="tester")
    job = await _job(db_session, job_id)
    assert job["task_name"] == "nerdboard:reset_history"
    assert job["status"] == "todo" and job["args"] == {"who": "tester"}
    # The reset task's own lock and queueing lock.
    assert job["lock"] == job["queueing_lock"] == "nerdboard:reset_history"
    later = await defer(
        db_session,
        "test:record",
        key="k-options",
        schedule_in=timedelta(hours=1),
        priority=7,
        lock="one-at-a-time",
    )
    job = await _job(db_session, later)
    assert job["priority"] == 7 and job["lock"] == "one-at-a-time"
    scheduled = job["scheduled_at"]
    assert isinstance(scheduled, datetime)
    assert timedelta(minutes=59) < scheduled - datetime.now(UTC) <= timedelta(hours=1)


async def test_defer_refuses_unknown_jobs_and_wrong_arguments(
    job_registry: None, db_session: AsyncSession
) -> None:
    with pytest.raises(UnknownTask, match=r"unknown job 'nerdboard:nope'.*nerdboard:reset_history"):
        await defer(db_session, "nerdboard:nope")
    with pytest.raises(UnknownTask):
        await defer(db_session, "builtin:procrastinate.builtin_tasks.remove_old_jobs")
    with pytest.raises(InvalidInput, match="missing a required argument: 'who'"):
        await defer(db_session, "nerdboard:reset_history")
    with pytest.raises(InvalidInput, match="unexpected keyword argument 'whom'"):
        await defer(db_session, "nerdboard:reset_history", who="a", whom="b")
    with pytest.raises(InvalidInput, match="JSON"):
        await defer(db_session, "nerdboard:reset_history", who=object())
    with pytest.raises(InvalidInput, match="timezone-aware"):
        await defer(db_session, "test:record", key="k", schedule_at=datetime(2030, 1, 1))
    count = await db_session.scalar(text("SELECT count(*) FROM lyceum.procrastinate_jobs"))
    assert count == 0


async def test_a_queueing_lock_refusal_leaves_the_transaction_usable(
    job_registry: None, db_session: AsyncSession
) -> None:
    first = await defer(db_session, "test:record", key="a", queueing_lock="only-one")
    with pytest.raises(AlreadyQueued, match="already queued"):
        await defer(db_session, "test:record", key="b", queueing_lock="only-one")
    # The refusal was rolled back to a savepoint: the transaction goes on.
    second = await defer(db_session, "test:record", key="c", queueing_lock="another")
    assert second > first
    assert (await _job(db_session, first))["status"] == "todo"


async def test_defer_exclusive_refuses_while_one_is_queued_or_running(
    job_registry: None, db_session: AsyncSession
) -> None:
    job_id = await defer_exclusive(db_session, "test:record", lock="exclusive", key="a")
    with pytest.raises(AlreadyQueued, match=f"job {job_id}"):
        await defer_exclusive(db_session, "test:record", lock="exclusive", key="b")
    # Running: the queueing lock no longer holds (it covers waiting jobs), the check does.
    await db_session.execute(
        text("UPDATE lyceum.procrastinate_jobs SET status = 'doing' WHERE id = :id"),
        {"id": job_id},
    )
    with pytest.raises(AlreadyQueued, match="queued or running"):
        await defer_exclusive(db_session, "test:record", lock="exclusive", key="c")
    await db_session.execute(
        text("UPDATE lyceum.procrastinate_jobs SET status = 'succeeded' WHERE id = :id"),
        {"id": job_id},
    )
    assert await defer_exclusive(db_session, "test:record", lock="exclusive", key="d") > job_id


async def test_queue_stats_count_due_jobs_and_the_oldest_wait(
    job_registry: None, db_session: AsyncSession
) -> None:
    empty = await queue_stats(db_session)
    assert empty.queue_depth == 0 and empty.oldest_waiting_seconds is None
    old = await defer(db_session, "test:record", key="old")
    await defer(db_session, "test:record", key="new")
    await defer(db_session, "test:record", key="later", schedule_in=timedelta(hours=1))
    done = await defer(db_session, "test:record", key="done")
    await db_session.execute(
        text("UPDATE lyceum.procrastinate_jobs SET status = 'succeeded' WHERE id = :id"),
        {"id": done},
    )
    # The oldest became due 90 s ago.
    await db_session.execute(
        text(
            "UPDATE lyceum.procrastinate_jobs SET scheduled_at = now() - interval '90 seconds'"
            " WHERE id = :id"
        ),
        {"id": old},
    )
    stats = await queue_stats(db_session)
    assert stats.queue_depth == 2
    assert stats.oldest_waiting_seconds is not None and 90 <= stats.oldest_waiting_seconds < 120


async def test_the_workers_connection_has_search_path_lyceum(database_url: URL) -> None:
    queue = connector(load_settings())
    await queue.open_async()
    try:
        row = await queue.execute_query_one_async(
            "SELECT current_setting('search_path') AS path,"
            " current_setting('application_name') AS app, current_database() AS db"
        )
    finally:
        await queue.close_async()
    assert row == {"path": "lyceum", "app": "lyceum:jobs", "db": database_url.database}


# ---- schedules and retries -----------------------------------------------------------


def test_two_in_the_morning_in_kolkata_is_half_past_eight_utc_the_day_before() -> None:
    cron = zoned_cron("0 2 * * *", IST)
    assert cron == "CRON_TZ=Asia/Kolkata 0 2 * * *"
    assert next_run(cron, datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == datetime(
        2026, 11, 30, 20, 30, tzinfo=UTC
    )
    # Just after 20:30 UTC it is past 02:00 IST: the next is the following night.
    assert next_run(cron, datetime(2026, 11, 30, 20, 31, tzinfo=UTC)) == datetime(
        2026, 12, 1, 20, 30, tzinfo=UTC
    )
    # Without a zone procrastinate's reading stands: UTC.
    assert next_run("0 2 * * *", datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 1, 2, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="unknown time zone"):
        zoned_cron("0 2 * * *", "Asia/Kolkatta")
    with pytest.raises(ValueError, match="invalid cron"):
        zoned_cron("0 25 * * *", IST)
    assert split_cron(cron)[1] == "0 2 * * *"


def test_procrastinates_deferrer_schedules_mathvidya_at_two_in_india(database_url: URL) -> None:
    """The hook as procrastinate uses it: its PeriodicDeferrer over the App's registry."""
    app = build_job_app(load_settings(), APPS.values())
    registry = app.periodic_registry
    expire = registry.periodic_tasks[("mathvidya:expire_subscriptions", "nightly")]
    assert expire.cron == "CRON_TZ=Asia/Kolkata 0 2 * * *"
    deferrer = PeriodicDeferrer(registry=type(registry)())
    deferrer.registry.periodic_tasks = {("x", "nightly"): expire}
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp()
    assert (
        deferrer.get_next_tick(at=at) == datetime(2026, 11, 30, 20, 30, tzinfo=UTC).timestamp() - at
    )
    # At 20:35 UTC the 20:30 occurrence is the one to defer, with its epoch timestamp.
    after = datetime(2026, 11, 30, 20, 35, tzinfo=UTC).timestamp()
    [(task, timestamp)] = list(deferrer.get_previous_tasks(at=after))
    assert task is expire
    assert timestamp == int(datetime(2026, 11, 30, 20, 30, tzinfo=UTC).timestamp())


def test_every_job_retries_with_exponential_backoff_by_default(database_url: URL) -> None:
    app = build_job_app(load_settings(), APPS.values())
    assert app.tasks["nerdboard:reset_history"].retry_strategy is DEFAULT_RETRY
    assert app.tasks["mathvidya:expire_subscriptions"].retry_strategy is DEFAULT_RETRY
    # The recovery job must not pile up behind itself: it says so.
    assert app.tasks["lyceum:retry_stalled_jobs"].retry_strategy is NO_RETRY
    job = app.tasks["nerdboard:reset_history"].configure().job
    waits = []
    for attempts in range(6):
        decision = DEFAULT_RETRY.get_retry_decision(
            exception=RuntimeError(), job=job.evolve(attempts=attempts)
        )
        if decision is None:
            break
        assert decision.retry_at is not None
        waits.append(round((decision.retry_at - datetime.now(UTC)).total_seconds()))
    assert waits == [4, 16, 64, 256, 1024]


def test_recovery_runs_every_configured_step() -> None:
    assert every_seconds_cron(1) == "* * * * * */1"
    assert every_seconds_cron(60) == "* * * * *"
    assert every_seconds_cron(600) == "*/10 * * * *"
    with pytest.raises(ConfigurationError, match="JOBS_RECOVERY_SECONDS"):
        load_settings(jobs_recovery_seconds=7)
    with pytest.raises(ConfigurationError, match="JOBS_STALLED_AFTER_SECONDS"):
        load_settings(jobs_heartbeat_seconds=30, jobs_stalled_after_seconds=30)


# ---- real workers on a database of their own -----------------------------------------


@pytest.fixture(scope="module")
def jobs_db(database_url: URL, redis_url: str) -> Iterator[URL]:
    with migrated_scratch_database(database_url, "jobs") as url:
        yield url


@pytest.fixture
async def jobs_engine(jobs_db: URL) -> AsyncIterator[AsyncEngine]:
    engine = build_async_engine(jobs_db)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="class")
def effects_worker(jobs_db: URL, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """One worker for the tests that only need jobs run (starting one takes seconds); gone
    before the tests that start their own, so it never takes their jobs."""
    log = tmp_path_factory.mktemp("jobs") / "worker.log"
    with running_worker(worker_env(jobs_db), log) as worker:
        yield worker


@pytest.fixture
def jobs_registry(jobs_db: URL) -> None:
    build_job_app(
        load_settings(database_url=jobs_db.render_as_string(hide_password=False)),
        APPS.values(),
        extra={"test": job_worker.blueprint({"effects", "periodic"})},
    )


async def _scalar(engine: AsyncEngine, sql: str, **params: object) -> object:
    async with engine.connect() as connection:
        return await connection.scalar(text(sql), params)


async def _status(engine: AsyncEngine, job_id: int) -> str:
    async with engine.connect() as connection, AsyncSession(bind=connection) as db:
        return (await get_job(db, job_id)).status


async def _eventually(
    engine: AsyncEngine, sql: str, what: str, within: float = 30, **params: object
) -> object:
    """Poll `sql` until it returns something truthy (a worker is another process)."""
    deadline = time.monotonic() + within
    while True:
        result = await _scalar(engine, sql, **params)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {within:.0f} s")
        await asyncio.sleep(0.05)


async def _wait_status(engine: AsyncEngine, job_id: int, status: str, within: float = 30) -> None:
    await _eventually(
        engine,
        "SELECT 1 FROM lyceum.procrastinate_jobs WHERE id = :id AND status::text = :status",
        f"job {job_id} {status}",
        within,
        id=job_id,
        status=status,
    )


@pytest.mark.slow
class TestWithOneWorker:
    async def test_a_committed_job_runs_and_a_rolled_back_one_never_exists(
        self, effects_worker: Worker, jobs_engine: AsyncEngine, jobs_registry: None
    ) -> None:
        # A "request" that fails after deferring: its transaction rolls back, job and all.
        class RequestFailed(Exception):
            pass

        with pytest.raises(RequestFailed):
            async with AsyncSession(jobs_engine) as db, db.begin():
                await defer(db, "test:record", key="rolled-back")
                raise RequestFailed
        # One that succeeds: the job is committed with the request's data.
        async with AsyncSession(jobs_engine) as db, db.begin():
            await db.execute(
                text("INSERT INTO public.job_effects (key, job_id, attempt) VALUES ('req', 0, 0)")
            )
            job_id = await defer(db, "test:record", key="committed")
        await _wait_status(jobs_engine, job_id, "succeeded")
        assert (
            await _scalar(
                jobs_engine, "SELECT count(*) FROM public.job_effects WHERE key = 'committed'"
            )
            == 1
        )
        assert (
            await _scalar(
                jobs_engine,
                "SELECT count(*) FROM lyceum.procrastinate_jobs WHERE args->>'key' = 'rolled-back'",
            )
            == 0
        )
        assert (
            await _scalar(
                jobs_engine, "SELECT count(*) FROM public.job_effects WHERE key = 'rolled-back'"
            )
            == 0
        )

    async def test_a_failing_job_is_retried_after_its_backoff(
        self, effects_worker: Worker, jobs_engine: AsyncEngine, jobs_registry: None
    ) -> None:
        async with AsyncSession(jobs_engine) as db, db.begin():
            job_id = await defer(db, "test:flaky", key="flaky")
        # The first attempt fails and the job goes back to the queue, due 4 s later.
        deadline = time.monotonic() + 30
        while True:
            async with jobs_engine.connect() as connection:
                row = (
                    await connection.execute(
                        text(
                            "SELECT j.attempts, j.scheduled_at, j.status::text AS status,"
                            " (SELECT max(at) FROM lyceum.procrastinate_events e"
                            "   WHERE e.job_id = j.id AND e.type = 'deferred_for_retry') AS failed"
                            " FROM lyceum.procrastinate_jobs j WHERE j.id = :id"
                        ),
                        {"id": job_id},
                    )
                ).one()
            if row.failed is not None:
                break
            assert time.monotonic() < deadline, "the first attempt never failed"
            await asyncio.sleep(0.05)
        assert row.attempts == 1
        wait = (row.scheduled_at - row.failed).total_seconds()
        assert 3.0 <= wait <= 5.0  # DEFAULT_RETRY: 4 ** 1 seconds after the failure
        await _wait_status(jobs_engine, job_id, "succeeded", within=30)
        assert (
            await _scalar(jobs_engine, "SELECT attempt FROM public.job_effects WHERE key = 'flaky'")
            == 1
        )


@pytest.mark.slow
async def test_the_job_of_a_killed_worker_runs_again_and_its_effect_happens_once(
    jobs_db: URL, jobs_engine: AsyncEngine, jobs_registry: None, tmp_path: Path
) -> None:
    env = worker_env(jobs_db)
    first = Worker(env, tmp_path / "first.log")
    try:
        first.wait_started()
        async with AsyncSession(jobs_engine) as db, db.begin():
            job_id = await defer(db, "test:record", key="crash", hold_seconds=300)
        # The effect is written; the job is still running (it holds on its first attempt).
        await _eventually(
            jobs_engine, "SELECT count(*) FROM public.job_effects WHERE key = 'crash'", "effect"
        )
        assert await _status(jobs_engine, job_id) == "doing"
        first.stop(signal.SIGKILL)
    finally:
        if first.process.poll() is None:
            first.process.kill()
    # Nobody finishes the dead worker's job...
    await asyncio.sleep(0.5)
    assert await _status(jobs_engine, job_id) == "doing"
    # ...until another worker sees its heartbeat stop and retries it.
    with running_worker(env, tmp_path / "second.log") as second:
        await _wait_status(jobs_engine, job_id, "succeeded", within=60)
        assert "retrying job" in second.output()
    assert (
        await _scalar(jobs_engine, "SELECT count(*) FROM public.job_effects WHERE key = 'crash'")
        == 1
    )
    assert (
        await _scalar(
            jobs_engine, "SELECT attempts FROM lyceum.procrastinate_jobs WHERE id = :id", id=job_id
        )
        == 2
    )  # the killed attempt (counted by the retry) and the one that finished


@pytest.mark.slow
async def test_periodic_jobs_run_once_per_schedule_with_two_workers(
    jobs_db: URL, jobs_engine: AsyncEngine, tmp_path: Path
) -> None:
    env = worker_env(jobs_db)
    started = int(time.time())
    with (
        running_worker(env, tmp_path / "one.log", kinds="periodic") as one,
        running_worker(env, tmp_path / "two.log", kinds="periodic") as two,
    ):
        both = int(time.time())
        await _eventually(
            jobs_engine,
            "SELECT count(DISTINCT scheduled) >= 5 FROM public.periodic_runs WHERE scheduled > :t",
            "five schedules run",
            within=60,
            t=both,
        )
        assert one.process.poll() is None and two.process.poll() is None
    async with jobs_engine.connect() as connection:
        runs = (
            await connection.execute(
                text(
                    "SELECT scheduled, count(*) AS n FROM public.periodic_runs"
                    " WHERE scheduled >= :t GROUP BY scheduled ORDER BY scheduled"
                ),
                {"t": started},
            )
        ).all()
    assert len(runs) >= 5
    assert all(run.n == 1 for run in runs), runs
    # Both deferrers were offering every second's job to the database (which took one each).
    for worker in (one, two):
        assert "every_second" in worker.output()


@pytest.mark.slow
async def test_the_worker_stops_cleanly_on_sigint(
    jobs_db: URL, jobs_engine: AsyncEngine, tmp_path: Path
) -> None:
    # SIGTERM: test_lyceum_worker_on_the_embedded_server_releases_it.
    worker = Worker(worker_env(jobs_db), tmp_path / "worker.log")
    worker.wait_started()
    registered = await _scalar(jobs_engine, "SELECT count(*) FROM lyceum.procrastinate_workers")
    assert worker.stop(signal.SIGINT) == 0, worker.output()
    assert "worker stopped" in worker.output()
    # It unregistered itself (a killed one would stay until pruned).
    after = await _scalar(jobs_engine, "SELECT count(*) FROM lyceum.procrastinate_workers")
    assert isinstance(registered, int) and after == registered - 1


@pytest.mark.slow
def test_lyceum_worker_on_the_embedded_server_releases_it(tmp_path: Path) -> None:
    """`lyceum worker` with no database configured holds the embedded server while it runs
    and, on SIGTERM, exits 0 and releases it (the last holder stops it)."""
    import os
    import subprocess
    import sys

    pgdata = tmp_path / "pgdata"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "TEST_DATABASE_URL") and not key.startswith("POSTGRES_")
    }
    env.update({"LYCEUM_PGDATA": str(pgdata), "ENV": "development", "COLUMNS": "200"})
    lyceum = (sys.executable, "-m", "lyceum.cli.main")
    migrated = subprocess.run(
        [*lyceum, "db", "upgrade"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*lyceum, "worker"], cwd=REPO_ROOT, env=env, stdout=output,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        wait_for(lambda: "worker started" in log.read_text(), 120, "the worker to start")
        status = embedded.status(pgdata)
        assert status["running"] and status["holders"] == [process.pid]
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        embedded.stop(pgdata)
    status = embedded.status(pgdata)
    assert status["holders"] == [] and not status["running"]
