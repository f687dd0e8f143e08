"""`lyceum nerdboard …` as real processes against a database with a small generated history."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from lyceum.core.db.url import drop_database
from tests.cli.test_cli import lyceum
from tests.fixtures.services import recreate_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nerdboard_env(database_url: URL) -> Iterator[dict[str, str]]:
    url = database_url.set(database=f"{database_url.database}_nbcli")
    recreate_database(url)
    env = {"DATABASE_URL": url.render_as_string(hide_password=False), "ENV": "development"}
    for args in (["db", "upgrade"], ["generate", "nerdboard", "--scale", "small", "--months", "3"]):
        done = lyceum(*args, env=env)
        assert done.returncode == 0, done.stderr
    try:
        yield env
    finally:
        drop_database(url)


def test_simulation_controls_from_the_cli(nerdboard_env: dict[str, str]) -> None:
    status = lyceum("nerdboard", "sim", "status", env=nerdboard_env)
    assert status.returncode == 0 and "paused" in status.stdout and "2026-08-31" in status.stdout
    started = lyceum("nerdboard", "sim", "start", "--speed", "86400", env=nerdboard_env)
    assert started.returncode == 0 and "running" in started.stdout and "86400x" in started.stdout
    again = lyceum("nerdboard", "sim", "start", env=nerdboard_env)
    assert again.returncode == 1 and "already running" in again.stderr
    bad = lyceum("nerdboard", "sim", "speed", "0", env=nerdboard_env)
    assert bad.returncode == 2 and "greater than or equal to 1" in bad.stderr
    speed = lyceum("nerdboard", "sim", "speed", "600", env=nerdboard_env)
    assert speed.returncode == 0 and "600x" in speed.stdout
    paused = lyceum("nerdboard", "sim", "pause", env=nerdboard_env)
    assert paused.returncode == 0 and "paused by cli" in paused.stdout


def test_quality_runs_every_check_and_logs_it(nerdboard_env: dict[str, str]) -> None:
    done = lyceum("nerdboard", "quality", env=nerdboard_env)
    assert done.returncode == 0, done.stderr
    assert "sessions_tutor_exists" in done.stdout
    assert "checks logged" in done.stdout


def test_backtest_prints_model_beside_seasonal_naive(nerdboard_env: dict[str, str]) -> None:
    done = lyceum("nerdboard", "backtest", "--horizon", "2", "--origins", "2", env=nerdboard_env)
    assert done.returncode == 0, done.stderr
    assert "naive MASE" in done.stdout and "mean MASE: model" in done.stdout
    assert "Physics" in done.stdout


def test_reset_needs_confirmation_then_rebuilds(nerdboard_env: dict[str, str]) -> None:
    refused = lyceum("nerdboard", "sim", "reset", env=nerdboard_env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = lyceum("nerdboard", "sim", "reset", "--yes", env=nerdboard_env)
    assert done.returncode == 0, done.stderr
    assert "sessions" in done.stdout
    status = lyceum("nerdboard", "sim", "status", env=nerdboard_env)
    assert "reset by cli" in status.stdout


def test_generate_refuses_an_unknown_scale() -> None:
    done = lyceum("generate", "nerdboard", "--scale", "huge", env={**os.environ})
    assert done.returncode == 2 and "huge" in done.stderr
