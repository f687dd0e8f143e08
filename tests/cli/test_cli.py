"""The `lyceum` command, run as a user runs it: a subprocess against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from lyceum.cli.main import main
from lyceum.core.settings import sync_url
from tests.fixtures.services import REPO_ROOT, scratch_database

LYCEUM = str(Path(sys.executable).with_name("lyceum"))

COMMANDS = [
    [], ["up"], ["serve"], ["worker"], ["seed"], ["generate"], ["bench"], ["db"],
    *[["db", name] for name in (
        "upgrade", "downgrade", "current", "history", "autogenerate", "sql", "check", "verify",
        "init", "reset",
        "backup", "restore", "status", "stop", "psql", "url",
    )],
    ["nerdboard"], ["nerdboard", "quality"], ["nerdboard", "backtest"], ["nerdboard", "sim"],
    *[["nerdboard", "sim", name] for name in (
        "status", "start", "pause", "resume", "speed", "reset", "run",
    )],
    ["jobs"], ["jobs", "list"], ["jobs", "retry"], ["jobs", "cancel"],
    ["tutormax"], ["tutormax", "init"], ["mathvidya"], ["mathvidya", "verify"],
    ["adaptive"], ["adaptive", "init"], ["adaptive", "backup-local"], ["adaptive", "restore-local"],
    ["adaptive", "fit"], ["adaptive", "evaluate"], ["adaptive", "plan-eval"],
    ["adaptive", "sync"], ["adaptive", "sync", "login"], ["adaptive", "sync", "status"],
    ["adaptive", "sync", "retry"],
]  # fmt: skip


def lyceum(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LYCEUM, *args],
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_main(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """In-process `lyceum ARGS` for the fast argument-parsing tests (no database touched)."""
    monkeypatch.setattr(sys, "argv", ["lyceum", *args])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "lyceum")
def test_every_command_has_help(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_main([*command, "--help"], capsys, monkeypatch)
    assert code == 0, err
    assert "Usage:" in out
    # A description line beyond usage and the options box.
    assert len([line for line in out.splitlines() if line.strip()]) >= 4


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["generate", "nosuchapp"], "'nosuchapp' is not one of"),
        (["generate", "tutormax", "--seed", "abc"], "--seed"),
        (["nosuchcommand"], "No such command"),
        (["db", "upgrade", "--bogus"], "No such option"),
        (["seed", "klingon"], "is not one of"),
        (["bench", "nowhere"], "is not one of"),
    ],
)
def test_wrong_arguments_give_one_line_and_exit_2(
    args: list[str],
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _out, err = run_main(args, capsys, monkeypatch)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_wrong_argument_as_a_real_process() -> None:
    result = lyceum("generate", "nosuchapp")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_malformed_database_url_is_one_line() -> None:
    result = lyceum("db", "current", env={"DATABASE_URL": "mysql://nope/db"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "DATABASE_URL must start with postgresql://" in result.stderr


def test_production_refuses_destructive_commands() -> None:
    env = {"ENV": "production", "SECRET_KEY": "p" * 48}
    for command in (["db", "reset", "--yes"], ["db", "init", "--yes"], ["db", "downgrade", "base"]):
        result = lyceum(*command, env=env)
        assert result.returncode == 2, command
        assert "refused when ENV=production" in result.stderr


def test_production_without_secret_names_the_variable() -> None:
    result = lyceum("db", "current", env={"ENV": "production", "SECRET_KEY": ""})
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_reset_without_a_terminal_asks_for_yes(database_url: URL) -> None:
    result = lyceum("db", "reset")
    assert result.returncode == 2
    assert "--yes" in result.stderr


def test_current_history_sql_check(database_url: URL) -> None:
    current = lyceum("db", "current")
    assert current.returncode == 0 and "(head)" in current.stdout
    history = lyceum("db", "history")
    assert history.returncode == 0 and "Rev: 0001" in history.stdout
    sql = lyceum("db", "sql")
    assert sql.returncode == 0 and "CREATE TABLE lyceum.operators" in sql.stdout
    check = lyceum("db", "check")
    assert check.returncode == 0 and "agree" in check.stdout


def test_verify_passes_then_catches_a_stray_index(database_url: URL) -> None:
    ok = lyceum("db", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE INDEX stray_idx ON lyceum.operators (display_name)"))
        drift = lyceum("db", "verify")
        assert drift.returncode == 1
        assert "unexpected index stray_idx" in drift.stdout
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX IF EXISTS lyceum.stray_idx"))
        engine.dispose()


def test_mathvidya_verify_checks_the_reference_data(database_url: URL) -> None:
    ok = lyceum("mathvidya", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "subscription_plans" in ok.stdout and "15 tables" in ok.stdout
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            # One holiday fewer than the seed loads (put back afterwards).
            saved = connection.execute(
                text("DELETE FROM mathvidya.holidays WHERE name = 'Christmas'"
                     " AND holiday_date = DATE '2025-12-25' RETURNING holiday_date, name")
            ).one()  # fmt: skip
        drift = lyceum("mathvidya", "verify")
        assert drift.returncode == 1
        assert "holidays has 25 rows, the seed loads 26" in drift.stderr
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO mathvidya.holidays (holiday_date, name) VALUES (:d, :n)"),
                {"d": saved[0], "n": saved[1]},
            )
        engine.dispose()


@pytest.mark.slow
def test_backup_reset_restore_round_trip(database_url: URL, tmp_path: Path) -> None:
    # A database of its own: a reset and a restore rebuild every object of the database they
    # run on, which the other tests of this worker (and their pooled connections) must not see.
    with scratch_database(database_url, "backup_round_trip") as scratch:
        env = {"DATABASE_URL": scratch.render_as_string(hide_password=False)}
        assert lyceum("db", "upgrade", env=env).returncode == 0
        email = f"backup-{uuid.uuid4().hex[:8]}@example.com"
        engine = create_engine(sync_url(scratch))

        def operator_count() -> int:
            with engine.connect() as connection:
                return int(
                    connection.execute(
                        text("SELECT count(*) FROM lyceum.operators WHERE email = :email"),
                        {"email": email},
                    ).scalar_one()
                )

        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO lyceum.operators (email, display_name, password_hash) "
                        "VALUES (:email, 'Backup Probe', 'x')"
                    ),
                    {"email": email},
                )
            dump = tmp_path / "lyceum.dump"
            backup = lyceum("db", "backup", str(dump), env=env)
            assert backup.returncode == 0, backup.stderr
            assert dump.stat().st_size > 0

            reset = lyceum("db", "reset", "--yes", env=env)
            assert reset.returncode == 0, reset.stderr
            assert operator_count() == 0

            restore = lyceum("db", "restore", str(dump), "--yes", env=env)
            assert restore.returncode == 0, restore.stderr
            assert operator_count() == 1
            assert lyceum("db", "verify", env=env).returncode == 0
            assert "(head)" in lyceum("db", "current", env=env).stdout
        finally:
            engine.dispose()


def test_restore_of_a_missing_file_is_a_clear_error(database_url: URL, tmp_path: Path) -> None:
    result = lyceum("db", "restore", str(tmp_path / "missing.dump"), "--yes")
    assert result.returncode == 2
    assert "no such backup file" in result.stderr


def test_failed_restore_leaves_the_database_unchanged(database_url: URL, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.dump"
    corrupt.write_bytes(b"PGDMP" + b"\x00" * 64)  # an archive header and nothing readable
    before = lyceum("db", "verify")
    assert before.returncode == 0
    result = lyceum("db", "restore", str(corrupt), "--yes")
    assert result.returncode == 1
    assert "the database is unchanged" in result.stderr
    assert lyceum("db", "verify").returncode == 0  # every table and index still there
    assert "(head)" in lyceum("db", "current").stdout


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.usefixtures("database_url")
def test_db_autogenerate_writes_an_empty_revision_when_models_match() -> None:
    versions = REPO_ROOT / "migrations" / "versions"
    before = set(versions.glob("*.py"))
    try:
        result = lyceum("db", "autogenerate", "probe cli no changes")
        created = set(versions.glob("*.py")) - before
        assert result.returncode == 0, result.stderr
        assert [path.name.endswith("_probe_cli_no_changes.py") for path in created] == [True]
        body = created.pop().read_text()
        assert "op." not in body.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    finally:
        for path in set(versions.glob("*.py")) - before:
            path.unlink(missing_ok=True)
