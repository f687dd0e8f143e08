"""Who uses a server: the lock next to its data directory and one *holder* file per live
process (its pid and start time, since pids are reused). Only a process holding the lock
prunes the files of dead holders."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import psutil

from lyceum.core.embedded.base import MAX_SOCKET_PATH, PORT

logger = logging.getLogger(__name__)


class Paths:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.absolute()
        parent = self.pgdata.parent
        self.lock = parent / f"{self.pgdata.name}.lock"
        self.holders = parent / f"{self.pgdata.name}.holders"
        self.log = parent / f"{self.pgdata.name}.log"
        self.staging = parent / f"{self.pgdata.name}.initdb"

    def socket_dir(self) -> Path:
        inside = self.pgdata / "socket"
        if len(str(inside / f".s.PGSQL.{PORT}")) <= MAX_SOCKET_PATH:
            return inside
        # A deep project path: fall back to a short, private directory keyed by the data path.
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path("/tmp") / f"lyceum-pg-{os.geteuid()}-{digest}"  # noqa: S108 - private 0700 dir


@contextlib.contextmanager
def locked(paths: Paths) -> Iterator[None]:
    if not paths.lock.parent.exists():
        # Private: it holds the server log and, through pgdata, the socket.
        paths.lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(paths.lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def holder_file(paths: Paths, pid: int) -> Path:
    return paths.holders / str(pid)


def process_start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def write_holder_file(paths: Paths, pid: int, started: float) -> None:
    # Written aside and renamed into place: a reader never sees a half-written file.
    partial = paths.holders / f".{pid}.partial"
    partial.write_text(repr(started))
    os.replace(partial, holder_file(paths, pid))


def live_holders(paths: Paths, *, prune: bool) -> list[int]:
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
        started = process_start_time(pid)
        if started is not None and abs(started - recorded) < 1.0:
            live.append(pid)
        elif prune:
            entry.unlink(missing_ok=True)  # a holder that died without leaving: kill -9
    return live


# ---- the server -------------------------------------------------------------------------
