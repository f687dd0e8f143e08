"""`lyceum jobs list|retry|cancel` as a real process against a queue of known jobs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import URL

from lyceum.core.settings import sync_url
from tests.cli.test_cli import lyceum, run_main
from tests.fixtures.jobs import migrated_scratch_database


@pytest.fixture(scope="module")
def queue_db(database_url: URL) -> Iterator[URL]:
    with migrated_scratch_database(database_url, "jobs_cli") as url:
        yield url


@pytest.fixture
def queue(queue_db: URL) -> Iterator[tuple[dict[str, str], dict[str, int], Connection]]:
    """Four jobs, one per status that matters, committed; (env, ids by status, connection)."""
    engine = create_engine(sync_url(queue_db), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("TRUNCATE lyceum.procrastinate_jobs CASCADE"))
        ids = {}
        for status in ("todo", "doing", "failed", "succeeded"):
            ids[status] = connection.scalar(
                text(
                    "INSERT INTO lyceum.procrastinate_jobs (queue_name, task_name, args)"
                    " VALUES ('default', :task, '{\"who\": \"cli\"}') RETURNING id"
                ),
                {"task": f"nerdboard:{status}_job"},
            )
            if status != "todo":
                connection.execute(
                    text(
                        "UPDATE lyceum.procrastinate_jobs SET"
                        " status = CAST(:status AS lyceum.procrastinate_job_status) WHERE id = :id"
                    ),
                    {"status": status, "id": ids[status]},
                )
        connection.commit()
        env = {"DATABASE_URL": queue_db.render_as_string(hide_password=False)}
        yield env, ids, connection
    engine.dispose()


def _status(connection: Connection, job_id: int) -> str:
    connection.rollback()
    return str(
        connection.scalar(
            text("SELECT status::text FROM lyceum.procrastinate_jobs WHERE id = :id"),
            {"id": job_id},
        )
    )


@pytest.mark.slow
def test_list_shows_the_newest_first_and_filters(
    queue: tuple[dict[str, str], dict[str, int], Connection],
) -> None:
    env, ids, _ = queue
    everything = lyceum("jobs", "list", env=env)
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    rows = [line for line in lines if "nerdboard:" in line]
    assert [row.split("│")[1].strip() for row in rows] == [
        str(ids[s]) for s in ("succeeded", "failed", "doing", "todo")
    ]
    assert '{"who":"cli"}' in everything.stdout and "4 job(s)" in everything.stdout
    failed = lyceum("jobs", "list", "--status", "failed", env=env)
    assert "nerdboard:failed_job" in failed.stdout and "nerdboard:todo_job" not in failed.stdout
    by_task = lyceum("jobs", "list", "--task", "nerdboard:doing_job", "--limit", "1", env=env)
    assert "1 job(s)" in by_task.stdout and "nerdboard:doing_job" in by_task.stdout


@pytest.mark.slow
def test_retry_queues_a_failed_job_and_refuses_others(
    queue: tuple[dict[str, str], dict[str, int], Connection],
) -> None:
    env, ids, connection = queue
    done = lyceum("jobs", "retry", str(ids["failed"]), env=env)
    assert done.returncode == 0, done.stderr
    assert f"job {ids['failed']} (nerdboard:failed_job) is todo" in done.stdout
    assert _status(connection, ids["failed"]) == "todo"
    refused = lyceum("jobs", "retry", str(ids["succeeded"]), env=env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"lyceum: error: job {ids['succeeded']} is succeeded; only a failed job can be retried"
    )
    missing = lyceum("jobs", "retry", "999999", env=env)
    assert missing.returncode == 1 and missing.stderr.strip() == "lyceum: error: no job 999999"


@pytest.mark.slow
def test_cancel_stops_a_waiting_job_and_asks_a_running_one_to_abort(
    queue: tuple[dict[str, str], dict[str, int], Connection],
) -> None:
    env, ids, connection = queue
    waiting = lyceum("jobs", "cancel", str(ids["todo"]), env=env)
    assert waiting.returncode == 0, waiting.stderr
    assert "cancelled" in waiting.stdout and _status(connection, ids["todo"]) == "cancelled"
    running = lyceum("jobs", "cancel", str(ids["doing"]), env=env)
    assert running.returncode == 0 and "abort requested" in running.stdout
    assert connection.scalar(
        text("SELECT abort_requested FROM lyceum.procrastinate_jobs WHERE id = :id"),
        {"id": ids["doing"]},
    )
    finished = lyceum("jobs", "cancel", str(ids["succeeded"]), env=env)
    assert finished.returncode == 1 and finished.stderr.count("\n") == 1
    assert "only a waiting or running job can stop" in finished.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["jobs", "list", "--status", "sleeping"], "'sleeping' is not one of"),
        (["jobs", "list", "--limit", "0"], "--limit"),
        (["jobs", "retry", "abc"], "JOB_ID"),
        (["jobs", "cancel", "0"], "JOB_ID"),
        (["worker", "--concurrency", "0"], "--concurrency"),
    ],
)
def test_wrong_arguments_are_one_line_and_exit_2(
    args: list[str],
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _out, err = run_main(args, capsys, monkeypatch)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], err


@pytest.mark.slow
def test_worker_on_an_unmigrated_database_is_one_line(database_url: URL) -> None:
    from tests.fixtures.services import scratch_database

    with scratch_database(database_url, "jobs_empty") as url:
        result = lyceum("worker", env={"DATABASE_URL": url.render_as_string(hide_password=False)})
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("lyceum: error")]
    assert errors == [
        "lyceum: error: the job worker failed: function "
        "procrastinate_prune_stalled_workers_v1(double precision) does not exist "
        "(is the database migrated? lyceum db upgrade)"
    ]
    assert "Traceback" not in result.stderr
