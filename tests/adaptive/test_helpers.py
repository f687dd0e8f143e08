"""Seed 004's helpers: `python -m lyceum.adaptive.migrate`, `lyceum adaptive init` (both
databases) and the local SQLite backups, which must lose nothing while writes go on."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from lyceum.adaptive import migrate
from lyceum.adaptive.backup import BackupError, backup_local, restore_local, table_counts
from lyceum.adaptive.local import create_local_engine, create_local_schema
from lyceum.core.db.migrate import alembic_config
from lyceum.core.settings import sync_url
from tests.cli.test_cli import lyceum
from tests.fixtures.services import REPO_ROOT, scratch_database

# The migration history's head and the revision before it (later platform migrations follow
# the adaptive schema's 0008).
_SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEAD = str(_SCRIPTS.get_current_head())
_HEAD_SCRIPT = _SCRIPTS.get_revision(HEAD)
assert _HEAD_SCRIPT is not None
BEFORE_HEAD = str(_HEAD_SCRIPT.down_revision)


def run_module(
    module: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def make_local_db(path: Path) -> None:
    async def build() -> None:
        engine = create_local_engine(f"sqlite:///{path}")
        try:
            await create_local_schema(engine)
        finally:
            await engine.dispose()

    asyncio.run(build())


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def insert_user(connection: sqlite3.Connection, username: str) -> None:
    connection.execute(
        "INSERT INTO users (id, username, role, password_hash) VALUES (?, ?, 'student', 'x')",
        (uuid.uuid4().hex, username),
    )


def usernames(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {row[0] for row in connection.execute("SELECT username FROM users")}
    finally:
        connection.close()


def integrity(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


# --- migrate.py ---------------------------------------------------------------------------


@pytest.fixture
def scratch(database_url: URL) -> Iterator[URL]:
    with scratch_database(database_url, "adhelp_mig") as url:
        yield url


def adaptive_users_table(url: URL) -> str | None:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT to_regclass('adaptive.users')")).scalar()
            return None if found is None else str(found)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_migrate_module_upgrades_downgrades_and_reports(scratch: URL) -> None:
    env = {"DATABASE_URL": scratch.render_as_string(hide_password=False)}
    before = run_module("lyceum.adaptive.migrate", "current", env=env)
    assert before.returncode == 0, before.stderr
    assert "(head)" not in before.stdout
    assert adaptive_users_table(scratch) is None

    up = run_module("lyceum.adaptive.migrate", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert adaptive_users_table(scratch) == "adaptive.users"
    current = run_module("lyceum.adaptive.migrate", "current", env=env)
    assert current.returncode == 0 and f"Rev: {HEAD}" in current.stdout
    assert "(head)" in current.stdout

    down = run_module("lyceum.adaptive.migrate", "downgrade", env=env)  # default: one step
    assert down.returncode == 0, down.stderr
    after = run_module("lyceum.adaptive.migrate", "current", env=env)
    assert f"Rev: {BEFORE_HEAD}" in after.stdout and "(head)" not in after.stdout
    # Down to before the adaptive schema's own migration, and back.
    below = run_module("lyceum.adaptive.migrate", "downgrade", "0007", env=env)
    assert below.returncode == 0, below.stderr
    assert adaptive_users_table(scratch) is None

    history = run_module("lyceum.adaptive.migrate", "history", env=env)
    assert history.returncode == 0
    assert f"Rev: {HEAD}" in history.stdout and "Rev: 0008" in history.stdout
    assert "Rev: 0001" in history.stdout

    again = run_module("lyceum.adaptive.migrate", "upgrade", "0008", env=env)
    assert again.returncode == 0, again.stderr
    assert adaptive_users_table(scratch) == "adaptive.users"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sideways"], "unknown command 'sideways'"),
        ([], "missing command"),
        (["autogenerate"], "autogenerate takes exactly one argument"),
        (["current", "extra"], "current takes no argument"),
        (["autogenerate", "  "], "non-empty message"),
    ],
)
def test_migrate_usage_errors_are_one_line_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert migrate.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err
    assert err.startswith("migrate: error:") and "usage:" in err


def test_migrate_unknown_command_as_a_real_process() -> None:
    result = run_module("lyceum.adaptive.migrate", "sideways")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "unknown command 'sideways'" in result.stderr


def test_migrate_unreachable_server_is_one_line() -> None:
    result = run_module(
        "lyceum.adaptive.migrate",
        "current",
        env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/lyceum"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("migrate: error:")


@pytest.mark.slow
def test_autogenerate_on_a_head_database_writes_an_empty_revision(
    database_url: URL, tmp_path: Path
) -> None:
    config = alembic_config(REPO_ROOT)
    versions = REPO_ROOT / "migrations" / "versions"
    config.set_main_option("version_locations", f"{versions}{os.pathsep}{tmp_path}")
    config.attributes["version_path"] = str(tmp_path)
    migrate.run(["autogenerate", "probe drift"], config)
    written = list(tmp_path.glob("*probe_drift*.py"))
    assert len(written) == 1
    body = written[0].read_text()
    assert "down_revision" in body and HEAD in body
    # The models and migrations agree, so the generated upgrade does nothing.
    assert "op.create_table" not in body and "op.add_column" not in body


# --- lyceum adaptive init -----------------------------------------------------------------


@pytest.mark.slow
def test_init_reports_both_databases_and_creates_the_local_file(
    database_url: URL, tmp_path: Path
) -> None:
    local = tmp_path / "device" / "local.db"
    env = {"SQLITE_DATABASE_URL": f"sqlite:///{local}"}
    first = lyceum("adaptive", "init", env=env)
    assert first.returncode == 0, first.stderr
    assert "Connected: PostgreSQL" in first.stdout
    assert f"Schema adaptive ready at migration {HEAD}" in first.stdout
    # Seed 004's eleven and the sync's plan events (the server-only tables are not counted).
    assert "12 tables" in first.stdout
    pg_rows = next(
        line for line in first.stdout.splitlines() if line.startswith("PostgreSQL rows:")
    )
    assert pg_rows.count(",") == 11 and " users " in pg_rows and " question_attempts " in pg_rows
    assert f"Local SQLite database created at {local}" in first.stdout
    assert "users 0," in first.stdout.split("SQLite rows:")[1]
    assert local.is_file()
    # The twelve and the device-only sync_state.
    assert len(table_counts(local)) == 13

    connection = connect(local)
    insert_user(connection, "kept-by-init")
    connection.close()
    again = run_module("lyceum.adaptive.init_db", env=env)
    assert again.returncode == 0, again.stderr
    assert f"Local SQLite database verified at {local}" in again.stdout
    assert "users 1," in again.stdout.split("SQLite rows:")[1]
    assert usernames(local) == {"kept-by-init"}


def test_init_with_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    result = run_module(
        "lyceum.adaptive.init_db",
        env={
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/lyceum",
            "SQLITE_DATABASE_URL": f"sqlite:///{tmp_path / 'local.db'}",
        },
    )
    assert result.returncode == 1
    assert "init_db: error: cannot connect to PostgreSQL at" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "local.db").exists()  # nothing done past the failed check


# --- local backups ------------------------------------------------------------------------


def test_backup_while_writes_go_on_loses_nothing(tmp_path: Path) -> None:
    source = tmp_path / "local.db"
    make_local_db(source)
    committed: list[str] = []
    # Written before each insert: a row the backup holds whose commit the writer has not
    # yet recorded is still one it attempted.
    attempted: list[str] = []
    lock = threading.Lock()
    progress = threading.Condition(lock)
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        connection = connect(source)
        try:
            number = 0
            while not stop.is_set():
                name = f"user-{number:06d}"
                with progress:
                    attempted.append(name)
                insert_user(connection, name)  # autocommit: one transaction per row
                with progress:
                    committed.append(name)
                    progress.notify_all()
                number += 1
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connection.close()

    def wait_for_rows(count: int) -> None:
        with progress:
            assert progress.wait_for(lambda: len(committed) >= count or bool(failures), 30)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        for round_number in range(5):
            # Let the writer move on between backups, so each one races fresh writes.
            wait_for_rows(50 * (round_number + 1))
            with lock:
                before = set(committed)
            copy = backup_local(f"sqlite:///{source}", tmp_path / f"backup-{round_number}.db")
            assert integrity(copy) == ["ok"]
            in_copy = usernames(copy)
            assert before <= in_copy, f"missing {len(before - in_copy)} committed rows"
            # Whatever the copy holds, the writer did write (no torn or invented rows).
            with lock:
                assert in_copy <= set(attempted)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not failures, failures
    final = backup_local(source, tmp_path / "final.db")
    assert integrity(final) == ["ok"]
    assert usernames(final) == set(committed)
    assert len(committed) >= 250
    # A backup is one self-contained file: no WAL to carry along.
    with sqlite3.connect(final) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_restore_round_trip_into_an_open_database(tmp_path: Path) -> None:
    source = tmp_path / "local.db"
    make_local_db(source)
    connection = connect(source)
    for name in ("ana", "bea", "cai"):
        insert_user(connection, name)
    copy = backup_local(source, tmp_path / "saved.db")

    connection.execute("DELETE FROM users WHERE username = 'bea'")
    insert_user(connection, "late")
    assert usernames(source) == {"ana", "cai", "late"}

    restored = restore_local(copy, f"sqlite:///{source}")
    assert restored == source
    # The connection that stayed open sees the restored database, and it is still WAL.
    assert {row[0] for row in connection.execute("SELECT username FROM users")} == {
        "ana", "bea", "cai",
    }  # fmt: skip
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()
    assert integrity(source) == ["ok"]
    assert table_counts(source) == table_counts(copy)


def test_backup_and_restore_refuse_missing_or_damaged_files(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such local database"):
        backup_local(tmp_path / "absent.db", tmp_path / "copy.db")
    assert not (tmp_path / "absent.db").exists()  # not created as an empty database
    assert not (tmp_path / "copy.db").exists()

    target = tmp_path / "local.db"
    make_local_db(target)
    connection = connect(target)
    insert_user(connection, "survivor")
    connection.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(BackupError, match=r"restore from .*damaged\.db|is damaged"):
        restore_local(damaged, target)
    assert usernames(target) == {"survivor"}
    with pytest.raises(BackupError, match="no such backup file"):
        restore_local(tmp_path / "nothing.db", target)
    # Nothing left behind by the failed attempts.
    assert sorted(path.name for path in tmp_path.iterdir() if "partial" in path.name) == []


@pytest.mark.slow
def test_cli_backup_local_and_restore_local(tmp_path: Path) -> None:
    local = tmp_path / "local.db"
    make_local_db(local)
    connection = connect(local)
    insert_user(connection, "saved")
    env = {"SQLITE_DATABASE_URL": f"sqlite:///{local}"}
    copy = tmp_path / "backups" / "adaptive-local.db"
    made = lyceum("adaptive", "backup-local", str(copy), env=env)
    assert made.returncode == 0, made.stderr
    assert "local backup written to" in made.stdout and "1 rows" in made.stdout
    insert_user(connection, "unsaved")
    connection.close()

    refused = lyceum("adaptive", "restore-local", str(copy), env=env)
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    assert usernames(local) == {"saved", "unsaved"}

    missing = lyceum("adaptive", "restore-local", str(tmp_path / "nope.db"), "--yes", env=env)
    assert missing.returncode == 2 and "no such backup file" in missing.stderr

    done = lyceum("adaptive", "restore-local", str(copy), "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert usernames(local) == {"saved"}
