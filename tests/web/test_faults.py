"""Faults, as a user of the API meets them: a real `lyceum serve` on a PostgreSQL (and a Redis)
that the test owns, stops, crowds and kills.

- PostgreSQL stopped for 10 s: every call is a 503 with `Retry-After` and a one-line body of
  the API's error shape, never a 500; service returns by itself once the server is back.
- Pool exhausted: 503 after `pool_timeout` (while the pool is still full), nothing leaked.
- Redis down: answered from the database, never a 500; the cache is used again when it
  returns.
- `kill -9` of the API during writes: every write it acknowledged is in the database.
- The development demo account cannot sign in to a server running with ENV=production.

No assertion is about speed: bounds are counts of retries at a fixed spacing, and order
(the 503 arrives while the requests holding the pool are still waiting). The measured
recovery is printed (`-s`) for the notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.db.engine import build_async_engine, close_db, get_engine
from lyceum.core.operators import (
    DEMO_EMAIL,
    create_operator,
    demo_password,
    ensure_demo_operator,
)
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, load_settings, reset_settings_cache
from lyceum.nerdboard import POOL
from lyceum.nerdboard.repository.quality import QUALITY_CHECKS
from tests.fixtures.app import asgi_client, started_app
from tests.fixtures.live import free_port, start_server, stop_server
from tests.fixtures.private_pg import PrivatePostgres
from tests.fixtures.services import redis_server_binary

pytestmark = pytest.mark.slow

DEMO = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
API = "/api/nerdboard"
READS = (f"{API}/overview", f"{API}/subjects", f"{API}/simulation", f"{API}/quality")
# Every endpoint that reads the database, and a write and a login, during the outage.
EVERY_READ = (
    *READS,
    f"{API}/capacity?days=7",
    f"{API}/forecast?weeks=2",
    f"{API}/customer-health",
)
SOMEONE = {"email": "someone@example.org", "password": "a password of some length"}
OUTAGE_SECONDS = 10.0
# Retries 0.5 s apart once the database is back: "full service within 5 s".
RETRY_SPACING = 0.5
RECOVERY_RETRIES = 10
# The clock is kept by each process for 0.25 s (`ClockCache`), so a cached dashboard may still
# be served that long after the database went away; the outage is probed after this.
CLOCK_CACHE_GRACE = 1.0
NERDBOARD_CONNECTIONS = (
    "SELECT state, wait_event_type FROM pg_stat_activity"
    " WHERE application_name = 'lyceum:nerdboard' AND pid <> pg_backend_pid()"
)
# Small pools, so that two waiting requests exhaust Nerdboard's: one connection of the three
# is the tick listener's, which holds it for as long as the process runs.
SMALL_POOL = {"DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "1", "DB_POOL_TIMEOUT": "1"}


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=DEMO, timeout=60, **kwargs)


@contextlib.contextmanager
def live_server(env: dict[str, str], log: Path) -> Iterator[Served]:
    port = free_port()
    with open(log, "wb") as output:
        process = start_server(env, port, output=output)
    try:
        yield Served(process, f"http://127.0.0.1:{port}", log)
    finally:
        stop_server(process)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll until `condition` holds; a liveness bound, not a measurement."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def connections(watcher: psycopg.Connection[Any]) -> list[tuple[str | None, str | None]]:
    return [(row[0], row[1]) for row in watcher.execute(NERDBOARD_CONNECTIONS).fetchall()]


def assert_unavailable(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert "\n" not in response.text.strip()
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"] == {"dependency": "database", "reason": reason}
    assert error["message"] and "\n" not in error["message"]


# ---- PostgreSQL stops --------------------------------------------------------------------


def test_database_outage_is_503_with_retry_after_and_service_returns_without_a_restart(
    running_private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pg = running_private_postgres
    stop = threading.Event()
    background: list[tuple[str, int]] = []

    def keep_calling(path: str) -> None:
        with served.client() as client:
            while not stop.is_set():
                background.append((path, client.get(path).status_code))
                stop.wait(0.05)

    with live_server(pg.env(), tmp_path / "serve.log") as served, served.client() as http:
        for path in READS:
            assert http.get(path).status_code == 200, path
        callers = [threading.Thread(target=keep_calling, args=(path,)) for path in READS]
        for caller in callers:
            caller.start()
        try:
            pg.stop()
            time.sleep(CLOCK_CACHE_GRACE)
            during: list[httpx.Response] = []
            health_during: list[httpx.Response] = []
            outage_ends = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < outage_ends:
                during.extend(http.get(path) for path in EVERY_READ)
                during.append(http.post(f"{API}/quality/run"))
                during.append(http.post("/api/auth/login", json=SOMEONE))
                health_during.append(http.get("/health"))
                time.sleep(RETRY_SPACING)
            pg.start()
            back_at = time.monotonic()
            recovered_at_retry = None
            for retry in range(RECOVERY_RETRIES):
                if http.get(f"{API}/subjects").status_code == 200:
                    recovered_at_retry = retry
                    break
                time.sleep(RETRY_SPACING)
            recovery = time.monotonic() - back_at
        finally:
            stop.set()
            for caller in callers:
                caller.join(60)
        after = {
            path: http.get(path).status_code
            for path in (*READS, f"{API}/forecast?weeks=2", "/health")
        }
        same_process = served.process.poll() is None

    assert len(during) >= (len(EVERY_READ) + 2) * 10
    for response in during:
        assert_unavailable(response, "unreachable")
    for response in health_during:
        assert response.status_code == 503
        assert response.json()["database"]["ok"] is False
    assert recovered_at_retry is not None, "no 200 within 10 retries 0.5 s apart"
    assert set(after.values()) == {200}, after
    assert same_process
    statuses = Counter(status for _path, status in background)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] > 0 and statuses[200] > 0
    print(
        f"\noutage: {len(during)} probes all 503; background callers {dict(statuses)};"
        f" first 200 {recovery:.2f} s after PostgreSQL was back (retry {recovered_at_retry})"
    )


def test_a_connection_lost_mid_query_is_503_and_the_pool_recovers(
    running_private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """The server ends the session under a running query (`pg_terminate_backend`, as a
    failover or a fast shutdown does): that request is a 503, the next one is served."""
    pg = running_private_postgres
    with (
        live_server(pg.env(), tmp_path / "serve.log") as served,
        served.client() as http,
        pg.connect(autocommit=True) as watcher,
        ThreadPoolExecutor(1) as executor,
    ):
        assert http.get(f"{API}/subjects").status_code == 200
        with pg.connect() as locker:
            locker.execute("LOCK TABLE nerdboard.capacity_snapshots IN ACCESS EXCLUSIVE MODE")
            waiting = executor.submit(http.get, f"{API}/subjects")
            wait_for(
                lambda: any(wait == "Lock" for _state, wait in connections(watcher)),
                "the request to wait on the lock",
            )
            watcher.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'lyceum:nerdboard' AND wait_event_type = 'Lock'"
            )
            lost = waiting.result(timeout=60)
            locker.rollback()
        after = http.get(f"{API}/subjects")

    assert_unavailable(lost, "unreachable")
    assert after.status_code == 200


# ---- the pool runs dry -------------------------------------------------------------------


def test_exhausted_pool_is_503_while_it_is_full_and_no_connection_leaks(
    running_private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pg = running_private_postgres
    env = pg.env(**SMALL_POOL)
    with (
        live_server(env, tmp_path / "serve.log") as served,
        served.client() as http,
        pg.connect(autocommit=True) as watcher,
    ):
        for path in READS:
            assert http.get(path).status_code == 200, path
        # Two requests take the two free connections and wait on a lock the test holds.
        with pg.connect() as locker, ThreadPoolExecutor(2) as executor:
            locker.execute("LOCK TABLE nerdboard.capacity_snapshots IN ACCESS EXCLUSIVE MODE")
            holding = [executor.submit(http.get, f"{API}/subjects") for _ in range(2)]
            wait_for(
                lambda: sum(wait == "Lock" for _state, wait in connections(watcher)) == 2,
                "two requests waiting on the lock",
            )
            time.sleep(CLOCK_CACHE_GRACE)  # else the cached overview needs no connection
            probe = http.get(f"{API}/overview")
            pool_still_full = not any(request.done() for request in holding)
            locker.rollback()
            held = [request.result(timeout=60) for request in holding]
        wait_for(
            lambda: all(state == "idle" for state, _wait in connections(watcher)),
            "every Nerdboard connection to be idle",
        )
        left = connections(watcher)
        again = http.get(f"{API}/overview")

    assert_unavailable(probe, "pool_exhausted")
    assert pool_still_full, "the 503 must come from the pool timeout, not after the lock"
    assert [response.status_code for response in held] == [200, 200]
    # What the pool keeps (pool_size) plus the tick listener; none in a transaction.
    assert len(left) <= int(SMALL_POOL["DB_POOL_SIZE"]) + 1
    assert {state for state, _wait in left} == {"idle"}
    assert again.status_code == 200


async def _lock_waiters(watcher: psycopg.Connection[Any]) -> int:
    rows = await asyncio.to_thread(connections, watcher)
    return sum(wait == "Lock" for _state, wait in rows)


async def test_exhausted_pool_returns_every_connection_checked_out(
    running_private_postgres: PrivatePostgres,
) -> None:
    """The same fault in process, to read the pool itself: `checkedout()` back to where it was."""
    pg = running_private_postgres
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "REDIS_URL", *SMALL_POOL)}
    os.environ.update({"DATABASE_URL": pg.url.render_as_string(hide_password=False), **SMALL_POOL})
    os.environ.pop("REDIS_URL", None)
    reset_settings_cache()
    await close_db()  # engines of the session's database must not be reused for this one
    try:
        async with started_app() as app, asgi_client(app) as http:
            for path in READS:
                assert (await http.get(path, headers=DEMO)).status_code == 200, path
            pool = get_engine(profile="nerdboard", pool=POOL).pool
            baseline = pool.checkedout()  # type: ignore[attr-defined]
            with pg.connect(autocommit=True) as watcher, pg.connect() as locker:
                locker.execute("LOCK TABLE nerdboard.capacity_snapshots IN ACCESS EXCLUSIVE MODE")
                holding = [
                    asyncio.create_task(http.get(f"{API}/subjects", headers=DEMO)) for _ in range(2)
                ]
                deadline = time.monotonic() + 30
                while await _lock_waiters(watcher) < 2:
                    assert time.monotonic() < deadline, "the two requests never waited on the lock"
                    await asyncio.sleep(0.05)
                during = pool.checkedout()  # type: ignore[attr-defined]
                await asyncio.sleep(CLOCK_CACHE_GRACE)
                probe = await http.get(f"{API}/overview", headers=DEMO)
                pool_still_full = not any(request.done() for request in holding)
                locker.rollback()
                held = await asyncio.gather(*holding)
            after = pool.checkedout()  # type: ignore[attr-defined]
    finally:
        await close_db()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()

    assert during == baseline + 2
    assert_unavailable(probe, "pool_exhausted")
    assert pool_still_full
    assert [response.status_code for response in held] == [200, 200]
    assert after == baseline


# ---- Redis goes away -----------------------------------------------------------------


class RestartableRedis:
    """A private redis-server on a Unix socket that can be killed and started again."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="lyceum-redis-faults-"))
        self.socket = self.workdir / "redis.sock"
        self.url = f"unix://{self.socket}?db=0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                str(redis_server_binary()),
                *("--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)

        def answers() -> bool:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                return bool(client.ping())
            return False

        wait_for(answers, "the private redis-server")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def test_redis_down_is_answered_from_the_database_and_the_cache_returns(
    running_private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pg = running_private_postgres
    cache = RestartableRedis()
    cache.start()
    try:
        with (
            live_server(pg.env(REDIS_URL=cache.url), tmp_path / "serve.log") as served,
            served.client() as http,
        ):
            warm = [http.get(f"{API}/overview") for _ in range(2)]
            cache.kill()
            down = {
                path: http.get(path)
                for path in (*READS, f"{API}/forecast?weeks=2", f"{API}/customer-health")
            }
            health_down = http.get("/health")
            cache.start()
            back_at_retry = None
            for retry in range(RECOVERY_RETRIES):
                if http.get(f"{API}/overview").headers.get("X-Cache") == "hit":
                    back_at_retry = retry
                    break
                time.sleep(RETRY_SPACING)
    finally:
        cache.close()

    assert [r.status_code for r in warm] == [200, 200]
    assert warm[1].headers["X-Cache"] == "hit"  # the cache was Redis, and in use
    for path, response in down.items():
        assert response.status_code == 200, (path, response.text)
        assert response.headers.get("X-Cache", "miss") == "miss", path
    assert health_down.status_code == 503
    assert health_down.json()["cache"]["ok"] is False
    assert back_at_retry is not None, "the cache was not used again within 10 retries"


# ---- kill -9 mid-write --------------------------------------------------------------------


def _quality_runs(pg: PrivatePostgres) -> tuple[int, int]:
    """(rows, runs) in data_quality_log; a run's rows share its transaction's created_at."""
    with pg.connect() as connection:
        row = connection.execute(
            "SELECT count(*), count(DISTINCT created_at) FROM nerdboard.data_quality_log"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_kill_9_during_writes_loses_no_acknowledged_write(
    running_private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pg = running_private_postgres
    rows_before, runs_before = _quality_runs(pg)
    acknowledged: list[int] = []
    cut_off: list[str] = []
    stop = threading.Event()

    def write(served: Served) -> None:
        with served.client() as client:
            while not stop.is_set():
                try:
                    response = client.post(f"{API}/quality/run")
                except httpx.HTTPError as exc:
                    cut_off.append(type(exc).__name__)
                    continue
                if response.status_code == 200:
                    acknowledged.append(len(response.json()["checks"]))

    with live_server(pg.env(), tmp_path / "serve.log") as served:
        writers = [threading.Thread(target=write, args=(served,)) for _ in range(4)]
        for writer in writers:
            writer.start()
        try:
            wait_for(lambda: len(acknowledged) >= 12, "a dozen acknowledged writes")
            os.kill(served.process.pid, signal.SIGKILL)
            served.process.wait(30)
            acked = len(acknowledged)  # nothing is acknowledged by a dead server
        finally:
            stop.set()
            for writer in writers:
                writer.join(60)

    rows_after, runs_after = _quality_runs(pg)
    committed = runs_after - runs_before
    assert set(acknowledged) == {len(QUALITY_CHECKS)}
    assert len(acknowledged) == acked
    assert committed >= acked, f"{acked} writes acknowledged, {committed} in the database"
    assert rows_after - rows_before == committed * len(QUALITY_CHECKS)  # no half-written run
    print(
        f"\nkill -9: {acked} acknowledged, {committed} committed, cut off: {dict(Counter(cut_off))}"
    )


# ---- the demo account on a production server ----------------------------------------------


async def _seed_operators(pg: PrivatePostgres, email: str, password: str) -> None:
    """The demo account as `make up` leaves it (seeded in development), and one operator."""
    engine = build_async_engine(pg.url)
    try:
        async with AsyncSession(engine) as db:
            await ensure_demo_operator(db, load_settings(env="development"))
            await create_operator(db, email, password, "Fault tests", roles=["viewer"])
            await db.commit()
    finally:
        await engine.dispose()


def test_the_demo_operator_cannot_sign_in_to_a_production_server(
    running_private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    pg = running_private_postgres
    email, password = f"viewer-{secrets.token_hex(4)}@example.org", secrets.token_urlsafe(16)
    asyncio.run(_seed_operators(pg, email, password))
    demo = {"email": DEMO_EMAIL, "password": demo_password()}
    production = pg.env(ENV="production", SECRET_KEY=secrets.token_urlsafe(48))
    with live_server(production, tmp_path / "production.log") as served, served.client() as http:
        refused = http.post("/api/auth/login", json=demo)
        someone = http.post("/api/auth/login", json={"email": email, "password": password})

    assert refused.status_code == 403, refused.text
    error = refused.json()["error"]
    assert error["code"] == "forbidden"
    assert "ENV=development" in error["message"] and DEMO_EMAIL in error["message"]
    assert "access_token" not in refused.text
    assert someone.status_code == 200
