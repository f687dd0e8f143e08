"""`lyceum db psql [APP]` and `lyceum db url`, run as a user runs them, and the data directory
anchored to the project whatever the working directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

from lyceum.tutormax.models import TutorMaxBase
from tests.fixtures.services import REPO_ROOT

LYCEUM = str(Path(sys.executable).with_name("lyceum"))

# Every test runs the real command in a process of its own.
pytestmark = pytest.mark.slow

# Seed 003, "Step 5: Verify Database", verbatim.
MATHVIDYA_VERIFICATION = """SELECT 'users' as table_name, COUNT(*) as rows FROM users
UNION ALL SELECT 'subscription_plans', COUNT(*) FROM subscription_plans
UNION ALL SELECT 'holidays', COUNT(*) FROM holidays
UNION ALL SELECT 'system_config', COUNT(*) FROM system_config;"""

# Names of the variables that choose a database; unset, the embedded server is used.
DATABASE_VARIABLES = ("DATABASE_URL", "TEST_DATABASE_URL", "POSTGRES_HOST")


def lyceum(
    *args: str, cwd: Path = REPO_ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LYCEUM, *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def table_names(psql_output: str, schema: str) -> set[str]:
    return set(re.findall(rf"^\s*{schema}\s*\|\s*(\w+)\s*\|\s*table", psql_output, re.M))


@pytest.mark.usefixtures("database_url")
def test_psql_lists_the_apps_tables_non_interactively() -> None:
    result = lyceum("db", "psql", "tutormax", "-c", r"\dt")
    assert result.returncode == 0, result.stderr
    expected = {t.name for t in TutorMaxBase.metadata.sorted_tables if t.schema == "tutormax"}
    assert table_names(result.stdout, "tutormax") == expected
    # Seed 002's eight tables, the churn model registry, the intervention engine's three
    # and the tutor accounts' link table.
    assert len(expected) == 13
    # No other app's tables: the search_path is the app's schema, then public.
    assert "nerdboard" not in result.stdout and "mathvidya" not in result.stdout


@pytest.mark.usefixtures("database_url")
def test_psql_indexes_of_an_app() -> None:
    result = lyceum("db", "psql", "tutormax", "-c", r"\di")
    assert result.returncode == 0, result.stderr
    assert "ix_tutors_email" in result.stdout and "ix_sessions_scheduled_start" in result.stdout


@pytest.mark.usefixtures("database_url")
def test_the_mathvidya_verification_query_runs_verbatim() -> None:
    result = lyceum("db", "psql", "mathvidya", "-c", MATHVIDYA_VERIFICATION)
    assert result.returncode == 0, result.stderr
    rows = dict(re.findall(r"^\s*(\w+)\s*\|\s*(\d+)\s*$", result.stdout, re.M))
    # The reference data of migration 0007: seed 003's expected result.
    assert rows["subscription_plans"] == "4"
    assert rows["holidays"] == "26"
    assert rows["system_config"] == "24"
    assert "users" in rows


@pytest.mark.usefixtures("database_url")
def test_psql_without_an_app_and_its_exit_code() -> None:
    plain = lyceum("db", "psql", "-c", "SHOW search_path")
    assert plain.returncode == 0, plain.stderr
    assert '"$user", public' in plain.stdout
    scoped = lyceum("db", "psql", "adaptive", "-c", "SHOW search_path")
    assert "adaptive,public" in scoped.stdout
    failing = lyceum("db", "psql", "mathvidya", "-c", "SELECT 1/0")
    assert failing.returncode == 1
    assert "division by zero" in failing.stderr


def test_psql_names_the_choices_for_an_unknown_app() -> None:
    result = lyceum("db", "psql", "nosuchapp", "-c", "SELECT 1")
    assert result.returncode == 2
    assert "unknown app 'nosuchapp'" in result.stderr and "mathvidya" in result.stderr


def test_url_hides_the_password_and_gives_each_flavour() -> None:
    env = {"DATABASE_URL": "postgresql://ops:s3cr3t@db.example:5433/lyceum"}
    plain = lyceum("db", "url", env=env)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == "postgresql://ops:***@db.example:5433/lyceum"
    shown = lyceum("db", "url", "--show-password", "--async", env=env)
    assert shown.stdout.strip() == "postgresql+asyncpg://ops:s3cr3t@db.example:5433/lyceum"
    assert lyceum("db", "url", "--sync", env=env).stdout.startswith("postgresql+psycopg://")
    both = lyceum("db", "url", "--sync", "--async", env=env)
    assert both.returncode == 2 and "one of --async and --sync" in both.stderr


# ---- the embedded data directory is the project's, from any working directory ------------


def embedded_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DATABASE_VARIABLES}
    for name in ("LYCEUM_HOME", "LYCEUM_PGDATA"):
        env.pop(name, None)
    return {**env, **extra}


def run_embedded(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [LYCEUM, *args],
        cwd=cwd,
        env={**embedded_env(**extra), "COLUMNS": "400"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def status_of(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def socket_of(printed_url: str) -> str:
    url: URL = make_url(printed_url.strip())
    return str(url.query["host"])


def test_the_cli_finds_the_same_data_directory_from_anywhere(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    here = status_of(run_embedded("db", "status", cwd=REPO_ROOT).stdout)
    there = status_of(run_embedded("db", "status", cwd=elsewhere).stdout)
    assert here["pgdata"] == there["pgdata"] == str(REPO_ROOT / ".lyceum" / "pgdata")
    assert here["socket_dir"] == there["socket_dir"]
    # The URL a client would use is the same too, and names that server's socket.
    url_here = run_embedded("db", "url", cwd=REPO_ROOT).stdout
    url_there = run_embedded("db", "url", cwd=elsewhere).stdout
    assert url_here == url_there
    assert socket_of(url_there) == here["socket_dir"]
    # Nothing was created where the command ran.
    assert not any(elsewhere.iterdir())


def test_explicit_relative_and_absolute_data_directories(tmp_path: Path) -> None:
    relative = status_of(run_embedded("db", "status", cwd=tmp_path, LYCEUM_PGDATA="var/pg").stdout)
    # Relative to the project root (like the default), not to the working directory.
    assert relative["pgdata"] == str(REPO_ROOT / "var" / "pg")
    home = status_of(run_embedded("db", "status", cwd=tmp_path, LYCEUM_HOME="var/home").stdout)
    assert home["pgdata"] == str(REPO_ROOT / "var" / "home" / "pgdata")
    absolute = tmp_path / "data" / "pg"
    given = status_of(
        run_embedded("db", "status", cwd=REPO_ROOT, LYCEUM_PGDATA=str(absolute)).stdout
    )
    assert given["pgdata"] == str(absolute)
