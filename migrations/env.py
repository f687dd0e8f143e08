"""Alembic environment: one linear history for every schema of the platform.

The URL comes from `-x url=...`, else the settings (DATABASE_URL, POSTGRES_*),
else the embedded server, started for the duration of the command. `--sql`
(offline) mode never connects, so it never starts a server either.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import URL

from lyceum.apps import SCHEMAS, import_all_models
from lyceum.core.db.base import Base
from lyceum.core.db.url import resolve_database_url
from lyceum.core.errors import ConfigurationError
from lyceum.core.jobs.schema import is_queue_object
from lyceum.core.settings import load_settings, normalise_postgres_url, sync_url

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
import_all_models()
target_metadata = Base.metadata

# Objects created by hand-written DDL that the models cannot describe, and expression
# indexes whose reflected SQL Alembic cannot compare with the model's (it would report them
# changed on every `alembic check`); tests/mathvidya/test_schema.py checks them instead.
UNMANAGED_INDEXES: set[str] = {"ix_users_full_name_trgm"}


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    if type_ == "schema":
        return name in SCHEMAS
    # The job queue's tables (migration 0009) belong to procrastinate, not to our models.
    return not is_queue_object(name)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "index" and name in UNMANAGED_INDEXES:
        return False
    if is_queue_object(name):
        return False
    return not (type_ == "table" and name == "alembic_version")


def _url(offline: bool) -> URL:
    explicit = context.get_x_argument(as_dictionary=True).get("url")
    try:
        if explicit:
            return normalise_postgres_url(explicit, variable="-x url")
        settings = load_settings()
        if offline:
            # Offline SQL needs only the dialect: do not start a server for it.
            return settings.configured_url or URL.create("postgresql", database="lyceum")
        return resolve_database_url(settings)
    except ConfigurationError as exc:
        raise CommandError(str(exc)) from None


COMMON = {
    "target_metadata": target_metadata,
    "include_schemas": True,
    "include_name": include_name,
    "include_object": include_object,
    "compare_type": True,
    "compare_server_default": False,
}


def run_migrations_offline() -> None:
    context.configure(
        url=sync_url(_url(offline=True)).render_as_string(hide_password=False),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=True,
        **COMMON,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:  # handed over by lyceum.cli / tests
        _run(connectable)
        return
    engine = create_engine(sync_url(_url(offline=False)), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    from sqlalchemy.engine import Connection

    assert isinstance(connection, Connection)
    # Fail fast rather than queue behind a long transaction and block everyone after us.
    connection.execute(text("SET lock_timeout = '10s'"))
    connection.commit()
    context.configure(connection=connection, transaction_per_migration=True, **COMMON)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
