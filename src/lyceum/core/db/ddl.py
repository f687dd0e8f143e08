"""Hand-written DDL helpers for migrations: things autogenerate cannot express."""

from __future__ import annotations

from alembic import op

UPDATED_AT_FUNCTION = "lyceum.set_updated_at"


def create_updated_at_function() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {UPDATED_AT_FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            -- Respect an explicit new value (bulk back-fills set their own timestamps).
            IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
                NEW.updated_at := now();
            END IF;
            RETURN NEW;
        END;
        $$
        """
    )


def drop_updated_at_function() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {UPDATED_AT_FUNCTION}()")


def updated_at_trigger_name(table: str) -> str:
    return f"trg_{table}_updated_at"


def create_updated_at_trigger(schema: str, table: str) -> None:
    op.execute(
        f"CREATE TRIGGER {updated_at_trigger_name(table)} BEFORE UPDATE ON {schema}.{table} "
        f"FOR EACH ROW EXECUTE FUNCTION {UPDATED_AT_FUNCTION}()"
    )


def drop_updated_at_trigger(schema: str, table: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {updated_at_trigger_name(table)} ON {schema}.{table}")
