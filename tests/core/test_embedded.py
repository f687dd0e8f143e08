"""The embedded PostgreSQL lifecycle, end to end, with real servers and processes.

Every test gets its own private (0700) temporary directory; the processes that
hold the server are `embedded_helper.py` subprocesses. Whatever happens, the
fixture stops the server, kills the helpers and checks that no `postgres`
process is left running on the directory.
"""

from __future__ import annotations

import json
import os
import pwd
import queue
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest

from lyceum.core import embedded

pytestmark = pytest.mark.slow

TIMEOUT = 60  # seconds; no step of any test may wait longer
HELPER = Path(__file__).with_name("embedded_helper.py")
REPO = Path(__file__).resolve().parents[2]

Report = dict[str, Any]


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie nobody reaped has stopped)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _postgres_under(root: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info.get("cmdline") or [])
        if process.info.get("name") == "postgres" and str(root) in cmdline:
            found.append(process)
    return found


def _query(socket_dir: str | Path, sql: str) -> Any:
    with psycopg.connect(
        host=str(socket_dir), user="postgres", dbname="postgres", connect_timeout=TIMEOUT
    ) as connection:
        row = connection.execute(sql).fetchone()
        assert row is not None
        return row[0]


class Helper:
    """One `embedded_helper.py` process; its stdout lines arrive through a queue."""

    def __init__(self, pgdata: Path, mode: str, log: Path, env: dict[str, str]) -> None:
        self.log = log
        with open(log, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, str(HELPER), str(pgdata), mode],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=REPO,
                env=env,
                start_new_session=True,  # a Ctrl-C of pytest reaches us, not the helpers
            )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.put(line)
        self.lines.put("")

    def close_pipes(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()

    @property
    def pid(self) -> int:
        return self.process.pid

    def report(self) -> Report:
        try:
            line = self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            pytest.fail(f"helper said nothing within {TIMEOUT}s:\n{self.log.read_text()}")
        if not line:
            pytest.fail(f"helper exited ({self.process.poll()}):\n{self.log.read_text()}")
        report: Report = json.loads(line)
        return report

    def wait(self) -> int:
        return self.process.wait(TIMEOUT)

    def finish(self) -> int:
        """Let a `stdin` helper leave cleanly; its exit code."""
        assert self.process.stdin is not None
        self.process.stdin.write("done\n")
        self.process.stdin.close()
        return self.wait()


class Sandbox:
    """A private temporary project directory and the helpers started in it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lyceum-embedded-"))
        assert stat.S_IMODE(self.root.stat().st_mode) == 0o700
        self.pgdata = self.root / ".lyceum" / "pgdata"
        self.holders_dir = self.pgdata.parent / "pgdata.holders"
        self.helpers: list[Helper] = []

    def spawn(self, mode: str, barrier: Path | None = None) -> Helper:
        env = {k: v for k, v in os.environ.items() if k != "LYCEUM_TEST_BARRIER"}
        if barrier is not None:
            env["LYCEUM_TEST_BARRIER"] = str(barrier)
        log = self.root / f"helper-{len(self.helpers)}.log"
        helper = Helper(self.pgdata, mode, log, env)
        self.helpers.append(helper)
        return helper

    def status(self) -> dict[str, Any]:
        return embedded.status(self.pgdata)

    def close(self) -> list[psutil.Process]:
        """Kill the helpers, stop the server, clean up; the postgres processes left over."""
        for helper in self.helpers:
            if helper.process.poll() is None:
                helper.process.kill()
                helper.process.wait(TIMEOUT)
            helper.close_pipes()
        try:
            embedded.stop(self.pgdata)
        finally:
            leftovers = [p for p in _postgres_under(self.root) if not _wait_gone(p.pid, 5)]
            for process in leftovers:
                process.kill()
            shutil.rmtree(self.root, ignore_errors=True)
        return leftovers


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    try:
        yield box
    finally:
        leftovers = box.close()
        assert not leftovers, f"postgres processes left running: {leftovers}"


def test_fresh_start_initialises_and_serves_postgres_18(sandbox: Sandbox) -> None:
    pgdata = sandbox.pgdata
    previous_sigterm = signal.getsignal(signal.SIGTERM)
    server = embedded.acquire(pgdata)
    try:
        assert (pgdata / "PG_VERSION").read_text().strip() == "18"
        assert sandbox.status()["holders"] == [os.getpid()]
        url = server.url("postgres")
        assert url.query["host"] == str(server.socket_dir)
        dsn = url.render_as_string(hide_password=False)
        with psycopg.connect(dsn, connect_timeout=TIMEOUT) as connection:
            version = connection.execute("SELECT version()").fetchone()
            assert version is not None
            assert version[0].startswith("PostgreSQL 18")
            for extension in ("btree_gist", "pg_trgm"):
                connection.execute(f"CREATE EXTENSION {extension}")
            installed = {row[0] for row in connection.execute("SELECT extname FROM pg_extension")}
            assert {"btree_gist", "pg_trgm"} <= installed
            assert connection.execute("SHOW listen_addresses").fetchone() == ("",)
    finally:
        stopped = embedded.release(pgdata)
        signal.signal(signal.SIGTERM, previous_sigterm)
    assert stopped
    assert _wait_gone(server.pid)
    assert not sandbox.status()["running"]


def test_second_process_reuses_server_and_last_holder_stops_it(sandbox: Sandbox) -> None:
    first = sandbox.spawn("stdin")
    one = first.report()
    assert one["initdb_calls"] == 1
    second = sandbox.spawn("stdin")
    two = second.report()
    assert two["postmaster"] == one["postmaster"]
    assert two["initdb_calls"] == 0
    assert sorted(two["holders"]) == sorted([one["pid"], two["pid"]])

    assert second.finish() == 0
    status = sandbox.status()
    assert status["running"]
    assert status["pid"] == one["postmaster"]
    assert status["holders"] == [one["pid"]]

    assert first.finish() == 0
    assert _wait_gone(one["postmaster"])
    assert not sandbox.status()["running"]


@pytest.mark.parametrize(
    ("signum", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)]
)
def test_signal_to_owner_stops_server(sandbox: Sandbox, signum: int, exit_code: int) -> None:
    owner = sandbox.spawn("sleep")
    report = owner.report()
    assert report["sigterm_handled"]
    assert _alive(report["postmaster"])

    owner.process.send_signal(signum)
    assert owner.wait() == exit_code, owner.log.read_text()
    assert _wait_gone(report["postmaster"])
    assert not sandbox.status()["running"]


def test_kill_9_leaves_server_running_and_next_process_takes_over(sandbox: Sandbox) -> None:
    owner = sandbox.spawn("sleep")
    old = owner.report()
    owner.process.kill()
    assert owner.wait() == -signal.SIGKILL
    time.sleep(0.5)
    assert _alive(old["postmaster"])
    assert (sandbox.holders_dir / str(old["pid"])).exists()  # nobody released

    heir = sandbox.spawn("stdin")
    new = heir.report()
    assert new["postmaster"] == old["postmaster"]
    assert new["initdb_calls"] == 0
    assert new["holders"] == [new["pid"]]
    assert [entry.name for entry in sandbox.holders_dir.iterdir()] == [str(new["pid"])]
    assert _query(sandbox.status()["socket_dir"], "SELECT 1") == 1

    assert heir.finish() == 0
    assert _wait_gone(old["postmaster"])
    assert not sandbox.status()["running"]


def test_simultaneous_first_starts_share_one_server(sandbox: Sandbox) -> None:
    barrier = sandbox.root / "go"
    helpers = [sandbox.spawn("stdin", barrier=barrier) for _ in range(2)]
    time.sleep(1.0)  # let both import and wait at the barrier
    barrier.touch()
    reports = [helper.report() for helper in helpers]

    assert len({report["postmaster"] for report in reports}) == 1
    assert sum(report["initdb_calls"] for report in reports) == 1
    assert sorted(sandbox.status()["holders"]) == sorted(report["pid"] for report in reports)
    for helper in helpers:
        assert helper.finish() == 0
    assert _wait_gone(reports[0]["postmaster"])
    assert not sandbox.status()["running"]


def test_status_never_deletes_a_holders_registration(sandbox: Sandbox) -> None:
    # The race behind a lost holder: a process reading the registry (status) while another
    # writes its file used to see it half-written and delete it as a dead holder's.
    holders = sandbox.pgdata.parent / f"{sandbox.pgdata.name}.holders"
    holders.mkdir(parents=True)
    registering = holders / str(os.getpid())
    registering.write_text("")  # what a reader could catch mid-write before the fix
    dead = holders / "999999999"
    dead.write_text("1.0")
    assert sandbox.status()["holders"] == []
    assert registering.exists() and dead.exists(), "a reader must not prune"
    # Registering (under the lock) completes the file atomically and prunes the dead.
    holder = sandbox.spawn("stdin")
    report = holder.report()
    assert sorted(sandbox.status()["holders"]) == [report["pid"]]
    assert not dead.exists()
    assert holder.finish() == 0


def _watched_directories(*paths: Path) -> list[Path]:
    found: set[Path] = set()
    for path in paths:
        found.add(path)
        found.update(path.parents)
    return sorted(found)


def _modes(paths: list[Path]) -> dict[Path, tuple[int, int, int]]:
    return {p: (p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in paths}


@pytest.mark.requires_root
@pytest.mark.skipif(os.geteuid() != 0, reason="the server user and setpriv matter only as root")
def test_as_root_server_runs_unprivileged_and_no_directory_changes(sandbox: Sandbox) -> None:
    home = Path(os.environ.get("HOME") or "/root")
    watched = _watched_directories(sandbox.root, home, REPO)
    before = _modes(watched)

    holder = sandbox.spawn("stdin")
    report = holder.report()
    server_uid = pwd.getpwnam(embedded.SERVER_USER).pw_uid
    postmaster = psutil.Process(report["postmaster"])
    assert postmaster.username() == embedded.SERVER_USER
    assert {child.username() for child in postmaster.children()} <= {embedded.SERVER_USER}
    assert psutil.Process(holder.pid).username() == "root"
    for private in (sandbox.pgdata, Path(sandbox.status()["socket_dir"])):
        info = private.stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (server_uid, 0o700), private
    assert _query(sandbox.status()["socket_dir"], "SELECT current_user") == "postgres"
    assert _modes(watched) == before

    assert holder.finish() == 0
    assert _wait_gone(report["postmaster"])
    assert _modes(watched) == before


@pytest.mark.parametrize("decoy_name", ["sleep", "postgres"])
def test_stale_pid_file_of_unrelated_process_does_not_block_start(
    sandbox: Sandbox, decoy_name: str
) -> None:
    first = sandbox.spawn("exit")
    old = first.report()
    assert first.wait() == 0
    assert _wait_gone(old["postmaster"])
    pid_file = sandbox.pgdata / "postmaster.pid"
    assert not pid_file.exists()

    # An unrelated program (possibly one also called `postgres`) now has a pid that a
    # crashed server left in postmaster.pid.
    program = sandbox.root / decoy_name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    decoy = subprocess.Popen([str(program), str(TIMEOUT * 2)])
    try:
        socket_dir = sandbox.status()["socket_dir"]
        pid_file.write_text(
            f"{decoy.pid}\n{sandbox.pgdata}\n{int(time.time())}\n{embedded.PORT}\n"
            f"{socket_dir}\n\n  5432001         0\nready   \n"
        )
        owner = sandbox.pgdata.stat()
        os.chown(pid_file, owner.st_uid, owner.st_gid)

        holder = sandbox.spawn("stdin")
        report = holder.report()
        assert report["postmaster"] != decoy.pid
        assert str(sandbox.pgdata) in psutil.Process(report["postmaster"]).cmdline()
        assert _query(socket_dir, "SELECT 1") == 1
        assert holder.finish() == 0
        assert _wait_gone(report["postmaster"])
        assert decoy.poll() is None, "the unrelated process was killed"
    finally:
        decoy.kill()
        decoy.wait(TIMEOUT)


def test_data_directory_deleted_under_running_server_is_recreated(sandbox: Sandbox) -> None:
    first = sandbox.spawn("stdin")
    old = first.report()
    for _ in range(10):  # the live server may write a file while we delete
        shutil.rmtree(sandbox.pgdata, ignore_errors=True)
        if not sandbox.pgdata.exists():
            break
        time.sleep(0.1)
    assert not sandbox.pgdata.exists()
    assert _alive(old["postmaster"])

    second = sandbox.spawn("stdin")
    new = second.report()
    assert new["initdb_calls"] == 1
    assert new["postmaster"] != old["postmaster"]
    assert _wait_gone(old["postmaster"]), "the stray server was not terminated"
    assert (sandbox.pgdata / "PG_VERSION").exists()
    assert _query(sandbox.status()["socket_dir"], "SELECT 1") == 1

    assert second.finish() == 0
    assert first.finish() == 0
    assert _wait_gone(new["postmaster"])
    assert not sandbox.status()["running"]
