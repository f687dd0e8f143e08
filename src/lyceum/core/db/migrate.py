"""Running the Alembic migrations from code (CLI commands, app init scripts, tests).

One linear history under `migrations/` builds every schema; there is no `create_all`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, text

from lyceum.core.errors import ConfigurationError


def repo_root() -> Path:
    """The checkout holding alembic.ini: the working directory if it has one, else ours."""
    here = Path.cwd()
    if (here / "alembic.ini").exists():
        return here
    return Path(__file__).resolve().parents[4]


def alembic_config(root: Path | None = None) -> Config:
    root = root or repo_root()
    ini = root / "alembic.ini"
    if not ini.exists():
        raise ConfigurationError(f"no alembic.ini in {root}; run lyceum from the repository root")
    config = Config(str(ini))
    config.set_main_option("script_location", str(root / "migrations"))
    return config


def upgrade(revision: str = "head", config: Config | None = None) -> None:
    """Apply migrations up to `revision`; Alembic's errors become one readable line."""
    try:
        command.upgrade(config or alembic_config(), revision)
    except CommandError as exc:
        raise ConfigurationError(f"migration failed: {exc}") from None


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    exists = connection.execute(text("SELECT to_regclass('public.alembic_version')")).scalar()
    if exists is None:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


__all__ = ["alembic_config", "current_revision", "repo_root", "upgrade"]
