"""`/health` reports the job queue (depth, oldest wait) and never fails because of it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import URL

from lyceum.core.settings import sync_url


@pytest.fixture
def committed(database_url: URL) -> Iterator[Connection]:
    """A connection of its own: /health reads the queue on the app's pool, which sees only
    committed rows. What a test queues here it deletes afterwards."""
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
            connection.rollback()
            connection.execute(
                text("DELETE FROM lyceum.procrastinate_jobs WHERE task_name LIKE 'health:%'")
            )
            connection.commit()
    finally:
        engine.dispose()


def _queue(
    connection: Connection, name: str, status: str = "todo", due_in: float | None = None
) -> None:
    connection.execute(
        text(
            "INSERT INTO lyceum.procrastinate_jobs (queue_name, task_name, status, scheduled_at)"
            " VALUES ('default', :name, CAST(:status AS lyceum.procrastinate_job_status),"
            " now() + make_interval(secs => CAST(:due_in AS double precision)))"
        ),
        {"name": name, "status": status, "due_in": due_in},
    )


async def test_health_shows_queue_depth_and_the_oldest_wait(
    client: httpx.AsyncClient, committed: Connection
) -> None:
    before = (await client.get("/health")).json()["jobs"]
    _queue(committed, "health:due-for-two-minutes", due_in=-120)
    _queue(committed, "health:just-queued")
    _queue(committed, "health:tomorrow", due_in=86_400)
    _queue(committed, "health:finished", status="succeeded")
    committed.commit()
    response = await client.get("/health")
    assert response.status_code == 200
    jobs = response.json()["jobs"]
    assert jobs["queue_depth"] == before["queue_depth"] + 2
    # Jobs other tests on this database left waiting (a push queues its student's replan)
    # may be older than ours; then they stay the oldest.
    earlier = before["oldest_waiting_seconds"]
    if earlier is None or earlier < 120:
        assert 120 <= jobs["oldest_waiting_seconds"] < 600
    else:
        assert earlier <= jobs["oldest_waiting_seconds"] < earlier + 600


async def test_an_unreadable_queue_leaves_health_200_with_nulls(
    client: httpx.AsyncClient, committed: Connection
) -> None:
    # Another transaction holds the queue table: the jobs check times out, nothing else does.
    committed.execute(text("LOCK TABLE lyceum.procrastinate_jobs IN ACCESS EXCLUSIVE MODE"))
    response = await client.get("/health")
    committed.rollback()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["jobs"] == {"queue_depth": None, "oldest_waiting_seconds": None}
