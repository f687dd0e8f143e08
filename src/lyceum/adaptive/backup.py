"""Backup and restore of the local SQLite database through SQLite's online backup API.

Seed 004 copies `local.db` with `cp`, which can tear a file that is being written (and
misses whatever still sits in the `-wal` file). `Connection.backup` instead copies from one
read transaction: in WAL mode the writers carry on, and the copy is exactly the database as
of the moment that transaction started. The copy is written next to the destination and
renamed into place, so a failed or interrupted backup never leaves a half-written file under
the destination's name.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from lyceum.adaptive.local import BUSY_TIMEOUT_MS
from lyceum.core.errors import LyceumError


class BackupError(LyceumError):
    """A backup or restore that could not be made; the message says why, in one line."""


def local_path(url_or_path: str | os.PathLike[str]) -> Path:
    """The file behind `sqlite:///…` / `sqlite+aiosqlite:///…`, or a plain path as given."""
    text = os.fspath(url_or_path)
    if text.startswith("sqlite"):
        database = make_url(text).database
        if not database or database == ":memory:":
            raise BackupError(f"{text} is not a database file")
        return Path(database)
    return Path(text)


@contextlib.contextmanager
def _open(path: Path) -> Iterator[sqlite3.Connection]:
    # isolation_level=None: no implicit transactions around the PRAGMAs.
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def integrity_problems(connection: sqlite3.Connection) -> list[str]:
    rows = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _existing_database(path: Path, role: str) -> Path:
    if not path.is_file():
        raise BackupError(f"no such {role}: {path}")
    return path


def backup_local(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> Path:
    """Copy the local database at `source` (URL or path) to the file `destination`, safely
    while other connections write; returns the destination path."""
    source_path = _existing_database(local_path(source), "local database")
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    os.close(descriptor)
    try:
        with _open(source_path) as origin, _open(Path(temporary)) as copy:
            # All pages in one step: one read transaction, so one consistent snapshot (a
            # stepwise copy restarts whenever another connection writes).
            origin.backup(copy, pages=-1)
            # The backup is a single self-contained file, not a WAL database.
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = integrity_problems(copy)
            if problems:
                raise BackupError(f"the copy of {source_path} is damaged: {problems[0]}")
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source_path} failed: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return target


def restore_local(backup: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Replace the contents of the local database at `target` (URL or path) with `backup`.

    Copied through the backup API into the target itself, not by replacing the file: open
    connections keep a valid database (they see the restored one at their next transaction)
    and the target's `-wal`/`-shm` files stay consistent with it. A damaged backup is
    refused before the target is touched.
    """
    backup_path = _existing_database(Path(backup), "backup file")
    target_path = local_path(target)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _open(backup_path) as origin:
            problems = integrity_problems(origin)
            if problems:
                raise BackupError(f"{backup_path} is damaged, nothing restored: {problems[0]}")
            with _open(target_path) as destination:
                origin.backup(destination, pages=-1)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"restore from {backup_path} failed: {exc}") from None
    return target_path


def table_counts(url_or_path: str | os.PathLike[str]) -> dict[str, int]:
    """Rows per table of a local database or backup file (SQLite's own tables excluded)."""
    path = _existing_database(local_path(url_or_path), "database file")
    with _open(path) as connection:
        names = [
            str(row[0])
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - names from sqlite_master
            for name in names
        }


__all__ = [
    "BackupError",
    "backup_local",
    "integrity_problems",
    "local_path",
    "restore_local",
    "table_counts",
]
