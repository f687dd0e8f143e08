"""TutorMax's init script: connection check, migrations, a question before deleting data.

Each test gets its own scratch database: the script migrates and truncates for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from lyceum.core.settings import sync_url
from tests.cli.test_cli import lyceum
from tests.fixtures.services import REPO_ROOT, scratch_database

pytestmark = pytest.mark.slow


@pytest.fixture
def scratch(database_url: URL) -> Iterator[URL]:
    with scratch_database(database_url, "tminit") as url:
        yield url


def env_for(url: URL) -> dict[str, str]:
    return {"DATABASE_URL": url.render_as_string(hide_password=False), "ENV": "development"}


def tutor_count(url: URL) -> int:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(text("SELECT count(*) FROM tutormax.tutors")).scalar() or 0
            )
    finally:
        engine.dispose()


def add_tutor(url: URL) -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tutormax.tutors (tutor_id, name, email, onboarding_date, subjects)"
                    " VALUES ('T1', 'Jane', 'jane@example.com', now(), ARRAY['Math'])"
                )
            )
    finally:
        engine.dispose()


def test_init_migrates_an_empty_database_and_prints_next_steps(scratch: URL) -> None:
    result = lyceum("tutormax", "init", env=env_for(scratch))
    assert result.returncode == 0, result.stderr
    assert "Connected: PostgreSQL" in result.stdout
    assert "migration none yet" in result.stdout
    assert "Schema tutormax ready" in result.stdout and "8 tables" in result.stdout
    assert "lyceum generate tutormax" in result.stdout
    assert tutor_count(scratch) == 0

    # Running it again changes nothing and asks nothing.
    add_tutor(scratch)
    again = lyceum("tutormax", "init", env=env_for(scratch))
    assert again.returncode == 0, again.stderr
    assert tutor_count(scratch) == 1


def test_reset_asks_first_and_refuses_without_an_answer(scratch: URL) -> None:
    assert lyceum("tutormax", "init", env=env_for(scratch)).returncode == 0
    add_tutor(scratch)
    # No terminal, no --yes: refused, nothing deleted.
    refused = lyceum("tutormax", "init", "--reset", env=env_for(scratch))
    assert refused.returncode == 2
    assert "Delete all TutorMax data (1 tutors)?" in refused.stderr
    assert "pass --yes" in refused.stderr
    assert tutor_count(scratch) == 1

    confirmed = lyceum("tutormax", "init", "--reset", "--yes", env=env_for(scratch))
    assert confirmed.returncode == 0, confirmed.stderr
    assert "TutorMax data deleted" in confirmed.stdout
    assert tutor_count(scratch) == 0


def test_reset_is_refused_in_production(scratch: URL) -> None:
    assert lyceum("tutormax", "init", env=env_for(scratch)).returncode == 0
    add_tutor(scratch)
    env = env_for(scratch) | {"ENV": "production", "SECRET_KEY": "x" * 48}
    refused = lyceum("tutormax", "init", "--reset", "--yes", env=env)
    assert refused.returncode == 1
    assert "refused when ENV=production" in refused.stderr
    assert tutor_count(scratch) == 1


def test_python_module_entry_point_and_unreachable_server(scratch: URL) -> None:
    env = {**os.environ, **env_for(scratch)}
    done = subprocess.run(
        [sys.executable, "-m", "lyceum.tutormax.init_db"],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Schema tutormax ready" in done.stdout

    # Nothing listens on port 1 (a TCP URL: the embedded server's socket URL carries its own
    # port in the query string): one readable line, no traceback.
    dead = "postgresql://postgres@127.0.0.1:1/lyceum"
    failed = subprocess.run(
        [sys.executable, "-m", "lyceum.tutormax.init_db"],
        cwd=REPO_ROOT,
        env={**env, "DATABASE_URL": dead},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1
    assert "init_db: error: cannot connect to PostgreSQL at" in failed.stderr
    assert "Traceback" not in failed.stderr
