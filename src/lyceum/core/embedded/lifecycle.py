"""The server's lifecycle: initdb, start, take over, stop, and the public acquire/release
that every Lyceum process goes through."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import signal
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psutil
from sqlalchemy.engine import URL

from lyceum.core.embedded.base import PORT, START_TIMEOUT_S, SUPERUSER, EmbeddedError
from lyceum.core.embedded.holders import (
    Paths,
    holder_file,
    live_holders,
    locked,
    process_start_time,
    write_holder_file,
)
from lyceum.core.embedded.process import (
    binaries,
    chown_to_server_user,
    ensure_server_user,
    run,
    running_as_root,
    server_binaries,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    socket_dir: Path
    pid: int

    def url(self, database: str = "postgres") -> URL:
        return URL.create(
            "postgresql",
            username=SUPERUSER,
            database=database,
            query={"host": str(self.socket_dir), "port": str(PORT)},
        )

    @property
    def bin_dir(self) -> Path:
        return binaries()


def _postmaster(paths: Paths) -> psutil.Process | None:
    """The running postmaster of this data directory, if there is one."""
    pid_file = paths.pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        process = psutil.Process(pid)
        # A stale pid may now belong to another program, even another cluster's postgres:
        # ours is the one working in this data directory (the postmaster chdirs into it).
        if (
            process.name() in ("postgres", "postmaster")
            and Path(process.cwd()) == paths.pgdata.resolve()
            and process.is_running()
        ):
            return process
    except (OSError, ValueError, IndexError, psutil.Error):
        pass
    return None


def _stray_postmasters(pgdata: Path) -> list[psutil.Process]:
    """Servers still running on a data directory that was deleted under them."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if process.info.get("name") == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


def _initdb(paths: Paths) -> None:
    for stray in _stray_postmasters(paths.pgdata):
        stray.terminate()
        with contextlib.suppress(psutil.Error):
            stray.wait(5)
    shutil.rmtree(paths.staging, ignore_errors=True)
    paths.staging.mkdir(mode=0o700)
    chown_to_server_user(paths.staging)
    run(
        [
            str(server_binaries() / "initdb"),
            "-D",
            str(paths.staging),
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        cwd=paths.staging,
    )
    if paths.pgdata.exists():  # an empty directory made by someone else
        paths.pgdata.rmdir()
    paths.staging.rename(paths.pgdata)


def _make_private_dir(path: Path) -> None:
    """A 0700 directory owned by the server user. The /tmp fallback name is predictable, so
    refuse anything already there that we did not make: chown through a planted symlink
    would hand an arbitrary directory to the server user."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
        chown_to_server_user(path)
    info = os.lstat(path)
    expected_uid = ensure_server_user()[0] if running_as_root() else os.geteuid()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != expected_uid or info.st_mode & 0o077:
        raise EmbeddedError(
            f"{path} exists but is not a private directory of the database user; remove it"
        )


def _start(paths: Paths) -> None:
    socket_dir = paths.socket_dir()
    _make_private_dir(socket_dir)
    # A postmaster.pid left by a crash whose pid now belongs to another program
    # would make PostgreSQL refuse to start.
    (paths.pgdata / "postmaster.pid").unlink(missing_ok=True)
    options = " ".join(
        [
            "-c listen_addresses=''",
            f"-c unix_socket_directories='{socket_dir}'",
            f"-c port={PORT}",
            "-c max_connections=300",
        ]
    )
    paths.log.touch(exist_ok=True)
    chown_to_server_user(paths.log)
    try:
        run(
            [
                str(server_binaries() / "pg_ctl"),
                "-D",
                str(paths.pgdata),
                "-l",
                str(paths.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "start",
            ],
            cwd=paths.pgdata,
            timeout=START_TIMEOUT_S + 10,
        )
    except EmbeddedError as exc:
        tail = paths.log.read_text(errors="replace")[-1500:] if paths.log.exists() else ""
        raise EmbeddedError(f"{exc}\nserver log ({paths.log}):\n{tail}") from None


def _stop(paths: Paths) -> None:
    if _postmaster(paths) is None:
        return
    try:
        run(
            [
                str(server_binaries() / "pg_ctl"),
                "-D",
                str(paths.pgdata),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            cwd=paths.pgdata,
        )
    except EmbeddedError:
        process = _postmaster(paths)
        if process is not None:
            process.terminate()
            with contextlib.suppress(psutil.Error):
                process.wait(10)


def _server(paths: Paths, process: psutil.Process) -> EmbeddedServer:
    return EmbeddedServer(pgdata=paths.pgdata, socket_dir=paths.socket_dir(), pid=process.pid)


# ---- public API -------------------------------------------------------------------------

_registered: dict[Path, EmbeddedServer] = {}
_registry_lock = threading.Lock()


def acquire(pgdata: Path) -> EmbeddedServer:
    """Start (or reuse) the server for `pgdata` and register this process as a holder.

    Idempotent within a process; released automatically at exit and on SIGTERM.
    """
    paths = Paths(pgdata)
    with _registry_lock:
        if paths.pgdata in _registered and _postmaster(paths) is not None:
            return _registered[paths.pgdata]
        with locked(paths):
            if not (paths.pgdata / "PG_VERSION").exists():
                logger.info("initialising embedded PostgreSQL in %s", paths.pgdata)
                _initdb(paths)
            process = _postmaster(paths)
            if process is None:
                logger.info("starting embedded PostgreSQL on %s", paths.socket_dir())
                _start(paths)
                process = _postmaster(paths)
                if process is None:
                    raise EmbeddedError(f"PostgreSQL did not start; see {paths.log}")
            paths.holders.mkdir(exist_ok=True)
            live_holders(paths, prune=True)  # how a killed owner is taken over
            started = process_start_time(os.getpid()) or time.time()
            write_holder_file(paths, os.getpid(), started)
            server = _server(paths, process)
        if not _registered:
            atexit.register(release_all)
            _stop_on_sigterm()
        _registered[paths.pgdata] = server
        return server


def release(pgdata: Path) -> bool:
    """Leave as a holder; stop the server if no live holder is left. True if it stopped."""
    paths = Paths(pgdata)
    with _registry_lock:
        _registered.pop(paths.pgdata, None)
        with locked(paths):
            holder_file(paths, os.getpid()).unlink(missing_ok=True)
            if live_holders(paths, prune=True):
                return False
            _stop(paths)
            return True


def registered() -> frozenset[Path]:
    """The data directories this process holds (absolute paths)."""
    with _registry_lock:
        return frozenset(_registered)


def release_all() -> None:
    for pgdata in list(_registered):
        with contextlib.suppress(Exception):
            release(pgdata)


def status(pgdata: Path) -> dict[str, object]:
    paths = Paths(pgdata)
    process = _postmaster(paths)
    return {
        "pgdata": str(paths.pgdata),
        "initialised": (paths.pgdata / "PG_VERSION").exists(),
        "running": process is not None,
        "pid": process.pid if process else None,
        "socket_dir": str(paths.socket_dir()),
        "holders": live_holders(paths, prune=False),
    }


def stop(pgdata: Path) -> None:
    """Stop the server whoever holds it (for `lyceum db stop` and tests)."""
    paths = Paths(pgdata)
    with locked(paths):
        _stop(paths)
        shutil.rmtree(paths.holders, ignore_errors=True)


def _stop_on_sigterm() -> None:
    """SIGTERM normally kills Python without running atexit; make it exit cleanly instead
    so the server is released. Only when nobody else (uvicorn, a test runner) owns it."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
