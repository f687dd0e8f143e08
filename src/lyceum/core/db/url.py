"""Where the database is: the configured server, or the embedded one started on demand."""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from lyceum.core import embedded
from lyceum.core.errors import ConfigurationError
from lyceum.core.settings import Settings, libpq_url


def resolve_database_url(
    settings: Settings, *, database: str | None = None, create_missing: bool = False
) -> URL:
    """The driver-less URL of the database to use, starting the embedded server if needed.

    `database` overrides the database name. On an external server the database is created
    only when asked (`lyceum up`, `lyceum db init`); the embedded one is always ours to make.
    """
    configured = settings.configured_url
    if configured is not None:
        url = configured.set(database=database) if database else configured
        if create_missing:
            ensure_database_exists(url)
        return url
    server = embedded.acquire(settings.pgdata)
    url = server.url(database or settings.embedded_db_name)
    ensure_database_exists(url)
    return url


def ensure_database_exists(url: URL) -> bool:
    """Create the URL's database if it is missing. True if it was created."""
    name = url.database
    if not name:
        raise ConfigurationError("the database URL names no database")
    maintenance = libpq_url(url.set(database="postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                return False
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                return False  # created concurrently by another process
            return True
    except psycopg.OperationalError as exc:
        raise ConfigurationError(
            f"cannot reach PostgreSQL at {url.render_as_string()}: {exc}"
        ) from None


def drop_database(url: URL) -> None:
    name = url.database
    maintenance = libpq_url(url.set(database="postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name or ""))
        )
