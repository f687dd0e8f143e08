"""`lyceum up` runs the job worker beside the API and stops it with everything else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy.engine import URL

from tests.fixtures.jobs import wait_for
from tests.fixtures.live import free_port
from tests.fixtures.services import REPO_ROOT, scratch_database

pytestmark = pytest.mark.slow


@pytest.fixture
def up_env(database_url: URL, redis_url: str) -> Iterator[dict[str, str]]:
    with scratch_database(database_url, "up") as url:
        yield {
            **os.environ,
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "REDIS_URL": redis_url,
            "ENV": "development",
            "COLUMNS": "200",
            "JOBS_SHUTDOWN_SECONDS": "5",
        }


def _start_up(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int, int]:
    """`lyceum up` in a process group of its own (as a terminal runs it); (process, port,
    worker pid) once the API answers."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "lyceum.cli.main", "up", "--no-generate", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def healthy() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, 180, "the API of lyceum up")
    [worker] = [
        child for child in psutil.Process(process.pid).children() if "worker" in child.cmdline()
    ]
    wait_for(lambda: "worker started" in log.read_text(), 120, "the worker to start")
    return process, port, worker.pid


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_ctrl_c_stops_the_api_and_the_worker(up_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    process, _port, worker = _start_up(up_env, log)
    assert f"Job worker: pid {worker}" in log.read_text()
    try:
        # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    wait_for(lambda: _gone(worker), 30, "the worker to exit")
    assert "worker stopped" in log.read_text()


def test_the_worker_stops_when_the_api_exits(up_env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    process, port, worker = _start_up(up_env, log)
    try:
        # Only the API's process is told to stop; `up` must take the worker down with it.
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    wait_for(lambda: _gone(worker), 30, "the worker to exit")
    assert "worker stopped" in log.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
    assert not [p for p in psutil.process_iter(["pid"]) if _in_group(p, process.pid)]


def _in_group(process: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.NoSuchProcess):
        return False
