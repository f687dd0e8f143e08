"""`lyceum serve` on the embedded PostgreSQL, stopped by a signal: SIGTERM and SIGINT both shut
it down gracefully and release the embedded server (stopped, no holder left registered).

Real processes throughout: `lyceum serve` (one process, or a supervisor and two workers) on
an embedded server in a temporary data directory of its own, never the project's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from lyceum.core import embedded
from tests.fixtures.live import free_port, start_server

pytestmark = pytest.mark.slow

# Variables that would point the server at another database or cache.
_FOREIGN = ("DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "LYCEUM_PGDATA", "DB_POOL_")


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="lyceum-serve-"))
    try:
        yield root
    finally:
        pgdata = root / "pgdata"
        if (pgdata / "PG_VERSION").exists():
            embedded.stop(pgdata)
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info.get("name") == "postgres" and str(root) in " ".join(
                process.info.get("cmdline") or []
            ):
                with contextlib.suppress(psutil.Error):
                    process.kill()
        shutil.rmtree(root, ignore_errors=True)


def _env(pgdata: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_FOREIGN) and not name.startswith("POSTGRES_")
    }
    env.update(
        {
            "LYCEUM_PGDATA": str(pgdata),
            "ENV": "development",
            "NERDBOARD_SIMULATION_WORKER": "false",
        }
    )
    return env


def _postmaster_gone(pid: int) -> bool:
    try:
        process = psutil.Process(pid)
        process.wait(30)
    except psutil.NoSuchProcess:
        return True
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.mark.parametrize(
    ("workers", "signum", "exit_code"),
    [
        pytest.param(1, signal.SIGTERM, 0, id="sigterm"),
        pytest.param(1, signal.SIGINT, 0, id="sigint"),
        pytest.param(2, signal.SIGTERM, 0, id="sigterm-2-workers"),
        pytest.param(2, signal.SIGINT, 0, id="sigint-2-workers"),
    ],
)
def test_a_signal_stops_serve_and_releases_the_embedded_server(
    project: Path, workers: int, signum: int, exit_code: int
) -> None:
    pgdata = project / "pgdata"
    holders = pgdata.parent / f"{pgdata.name}.holders"
    log = project / f"serve-{workers}-{signum}.log"
    with open(log, "wb") as output:
        try:
            server = start_server(_env(pgdata), free_port(), workers=workers, output=output)
        except RuntimeError:
            pytest.fail(f"lyceum serve did not come up:\n{log.read_text()}")
    try:
        status = embedded.status(pgdata)
        assert status["running"], log.read_text()
        postmaster = status["pid"]
        assert isinstance(postmaster, int)
        serving = {server.pid, *(child.pid for child in psutil.Process(server.pid).children())}
        assert status["holders"] and set(status["holders"]) <= serving

        server.send_signal(signum)
        assert server.wait(60) == exit_code, log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)

    assert _postmaster_gone(postmaster), log.read_text()
    assert not embedded.status(pgdata)["running"]
    assert not any(holders.iterdir()), [entry.name for entry in holders.iterdir()]
