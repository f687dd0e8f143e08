"""Relative settings are anchored to the project root, not to the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from lyceum.core.paths import anchored, project_root
from lyceum.core.settings import Settings, load_settings
from tests.fixtures.services import REPO_ROOT


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("LYCEUM_HOME", "LYCEUM_PGDATA", "SQLITE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings(**overrides: object) -> Settings:
    return load_settings(_env_file=None, **overrides)


def test_the_project_root_is_this_checkout() -> None:
    assert project_root() == REPO_ROOT
    assert (REPO_ROOT / "alembic.ini").is_file()


def test_the_default_data_directory_ignores_the_working_directory(elsewhere: Path) -> None:
    assert settings().pgdata == REPO_ROOT / ".lyceum" / "pgdata"


def test_explicit_relative_paths_are_relative_to_the_project(elsewhere: Path) -> None:
    assert settings(lyceum_pgdata=Path("data/pg")).pgdata == REPO_ROOT / "data" / "pg"
    assert settings(lyceum_home=Path("var")).pgdata == REPO_ROOT / "var" / "pgdata"


def test_absolute_and_home_paths_are_kept(elsewhere: Path) -> None:
    assert settings(lyceum_pgdata=elsewhere / "pg").pgdata == elsewhere / "pg"
    assert settings(lyceum_pgdata=Path("~/pg")).pgdata == Path.home() / "pg"
    assert anchored(Path("/srv/pg")) == Path("/srv/pg")


def test_the_seeds_sqlite_url_is_resolved_against_the_project(elsewhere: Path) -> None:
    # The default keeps seed 004's spelling; its file is the project's local.db.
    assert Settings.model_fields["sqlite_database_url"].default == "sqlite:///./local.db"
    assert settings().sqlite_database_url == f"sqlite:///{REPO_ROOT / 'local.db'}"
    assert settings(sqlite_database_url="sqlite:///device/x.db").sqlite_database_url == (
        f"sqlite:///{REPO_ROOT / 'device' / 'x.db'}"
    )
    absolute = f"sqlite:///{elsewhere / 'y.db'}"
    assert settings(sqlite_database_url=absolute).sqlite_database_url == absolute
    for kept in ("sqlite:///:memory:", "sqlite://", "sqlite+aiosqlite:////tmp/z.db"):
        assert settings(sqlite_database_url=kept).sqlite_database_url == kept


def test_the_env_file_is_the_projects(elsewhere: Path) -> None:
    assert Settings.model_config["env_file"] == REPO_ROOT / ".env"
    # A .env in the working directory is not the project's and is not read.
    (elsewhere / ".env").write_text("LOG_LEVEL=DEBUG\nNERDBOARD_TICK_SECONDS=7\n")
    assert load_settings().nerdboard_tick_seconds != 7
