"""`kill -9` of a real device process, over and over, against a real `lyceum serve`.

The Hypothesis test (`test_sync_faults.py`) kills its devices between any two SQL statements
in process; this one proves the same on the operating system's terms: a
`lyceum adaptive sync --watch` process on the device's SQLite file is sent SIGKILL at random
moments — while it starts, while it pushes a batch, while it pulls, while it waits — as the
student goes on practising on the same file (another process: this one). After the last
kill one `lyceum adaptive sync --once` runs, and then the device and the server hold the same
attempts, each once; every one the device acknowledged is there; nothing waits in the queue and
nothing went to the dead letter (every operation was valid). SQLite's write-ahead log and
`BEGIN IMMEDIATE` are what make an interrupted sync harmless: what it had not committed is gone
when the file is opened again, and what it had sent is sent again and answered `duplicate`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import pool, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine

from lyceum.adaptive.demo import demo_email
from lyceum.adaptive.device import DeviceStore
from lyceum.adaptive.enums import UserRole
from lyceum.adaptive.local import create_local_engine
from lyceum.adaptive.offline import AttemptInput
from lyceum.core.db.url import drop_database
from lyceum.core.settings import async_url
from tests.fixtures.browser import artifacts_dir
from tests.fixtures.live import LiveServer, live_environment
from tests.fixtures.services import REPO_ROOT, migration_connections

LYCEUM = (sys.executable, "-m", "lyceum.cli.main")
DEMO_PASSWORD = "lyceum-demo-password"  # development only: the demo accounts' password
KILLS = 8
ATTEMPTS_PER_ROUND = 100

pytestmark = [pytest.mark.slow]


def _run(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LYCEUM, *args], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def live(database_url: URL, redis_url: str) -> Iterator[tuple[LiveServer, URL]]:
    url, env = live_environment(database_url, redis_url, "synckill", 1.0)
    with migration_connections(url) as (config, migrating, _looking):
        command.upgrade(config, "head")
        migrating.commit()
    generated = _run(env, "generate", "adaptive", "--scale", "small", timeout=300)
    assert generated.returncode == 0, generated.stderr
    server = LiveServer(env)
    try:
        server.start_api()
        yield server, url
    finally:
        server.stop()
        drop_database(url)


def _record(local: Path, student: uuid.UUID, questions: list[tuple[uuid.UUID, str]],
            count: int, rng: random.Random) -> list[uuid.UUID]:  # fmt: skip
    """The student practises on the device (this process, beside the sync process)."""

    async def practise() -> list[uuid.UUID]:
        engine = create_local_engine(f"sqlite:///{local}")
        try:
            store = DeviceStore(engine)
            state = await store.state()
            ids = []
            for _ in range(count):
                question_id, correct = rng.choice(questions)
                right = rng.random() < 0.6
                ids.append(
                    await store.record_attempt(
                        AttemptInput(
                            student_id=student, question_id=question_id,
                            answer=correct if right else "a wrong answer", is_correct=right,
                            time_taken_seconds=30.0, confidence=3,
                            attempted_at=datetime.now(UTC) - timedelta(seconds=1),
                            device_id=state.device_id,
                        )
                    )
                )  # fmt: skip
            return ids
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as thread:  # the session's event loop is left alone
        return thread.submit(asyncio.run, practise()).result()


def _server_attempts(url: URL, student: uuid.UUID) -> list[uuid.UUID]:
    async def read() -> list[uuid.UUID]:
        engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT id FROM adaptive.question_attempts WHERE student_id = :s"),
                    {"s": student},
                )
                return [row[0] for row in rows]
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, read()).result()


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.002)


def _sends(local: Path) -> int:
    """How many times the device has sent any operation (each take counts one)."""
    with sqlite3.connect(local) as db:
        row = db.execute("SELECT coalesce(sum(attempts), 0) FROM sync_operations").fetchone()
        return int(row[0])


def _in_flight(local: Path, sent_before: int) -> bool:
    """The process now on the file has sent a batch whose answer it has not settled."""
    return _sends(local) > sent_before and _queue(local).get("in_progress", 0) > 0


def _queue(local: Path) -> dict[str, int]:
    with sqlite3.connect(local) as db:
        return dict(db.execute("SELECT status, count(*) FROM sync_operations GROUP BY status"))


def test_a_device_killed_again_and_again_loses_and_repeats_nothing(
    live: tuple[LiveServer, URL], tmp_path: Path
) -> None:
    server, url = live
    local = tmp_path / "device.db"
    env = {**server.env, "SQLITE_DATABASE_URL": f"sqlite:///{local}"}
    signed = _run(env, "adaptive", "sync", "login", "--server", server.base,
                  "--email", demo_email(UserRole.STUDENT), "--password", DEMO_PASSWORD)  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    first = _run(env, "adaptive", "sync", "--once")
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(local) as db:
        student = uuid.UUID(hex=db.execute("SELECT student_id FROM sync_state").fetchone()[0])
        questions = [
            (uuid.UUID(hex=row[0]), row[1])
            for row in db.execute(
                "SELECT id, correct_answer FROM questions WHERE correct_answer IS NOT NULL"
            )
        ]
    assert questions
    before = set(_server_attempts(url, student))
    rng = random.Random(17)  # the kill moments, reproducibly
    acknowledged: list[uuid.UUID] = []
    caught: dict[str, int] = {"with_a_batch_in_flight": 0, "with_work_waiting": 0}
    started = time.perf_counter()
    for _ in range(KILLS):
        acknowledged += _record(local, student, questions, ATTEMPTS_PER_ROUND, rng)
        watching = subprocess.Popen(
            [*LYCEUM, "adaptive", "sync", "--watch", "--interval", "1"],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        sent_before = _sends(local)
        # More practice while it starts: the two processes share the file.
        acknowledged += _record(local, student, questions, 10, rng)
        if rng.random() < 0.5:
            # The moment this process has taken a batch (committed `in_progress`, counted as
            # sent) and not yet settled its answer: the push is on the wire or being applied.
            _wait_for(partial(_in_flight, local, sent_before), seconds=5)
            time.sleep(rng.uniform(0, 0.05))
        else:
            # Any moment, from Python's start-up to the wait between two syncs.
            time.sleep(rng.uniform(0.1, 2.2))
        os.kill(watching.pid, signal.SIGKILL)
        watching.wait(10)
        waiting = _queue(local)
        # In flight: this process sent a batch whose answer it never settled.
        caught["with_a_batch_in_flight"] += _in_flight(local, sent_before)
        caught["with_work_waiting"] += waiting.get("pending", 0) + waiting.get("in_progress", 0) > 0

    last = _run(env, "adaptive", "sync", "--once")
    assert last.returncode == 0, last.stderr
    seconds = time.perf_counter() - started

    on_server = [a for a in _server_attempts(url, student) if a not in before]
    with sqlite3.connect(local) as db:
        on_device = [
            uuid.UUID(hex=row[0])
            for row in db.execute(
                "SELECT id FROM question_attempts WHERE student_id = ?", (student.hex,)
            )
        ]
    # Each attempt exactly once on each side, the same on both, and every acknowledged one.
    assert len(on_server) == len(set(on_server)) == len(acknowledged)
    assert set(on_server) == set(acknowledged)
    assert set(on_device) - before == set(acknowledged)
    queue = _queue(local)
    assert set(queue) == {"completed"}, queue
    assert queue["completed"] >= len(acknowledged)

    report: dict[str, Any] = {
        "kills": KILLS,
        **caught,
        "attempts": len(acknowledged),
        "seconds": round(seconds, 1),
    }
    (artifacts_dir() / "sync_kill.json").write_text(json.dumps(report, indent=2) + "\n")
    # Kills caught the process with a batch sent and not settled, and with work waiting;
    # otherwise this proved little.
    assert caught["with_a_batch_in_flight"] > 0 and caught["with_work_waiting"] > 0, report
