"""Platform foundation: one schema per app, extensions, the updated_at trigger function.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 00:01:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from lyceum.core.db.ddl import create_updated_at_function, drop_updated_at_function

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMAS = ("lyceum", "nerdboard", "tutormax", "mathvidya", "adaptive")
# btree_gist: Mathvidya's exclusion constraint on subscription periods.
# pg_trgm: fuzzy search over question text and names.
EXTENSIONS = ("btree_gist", "pg_trgm")


def upgrade() -> None:
    for extension in EXTENSIONS:
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    create_updated_at_function()


def downgrade() -> None:
    drop_updated_at_function()
    # RESTRICT (the default): an app migration that forgot to drop a table fails loudly here.
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA IF EXISTS {schema}")
    for extension in reversed(EXTENSIONS):
        op.execute(f"DROP EXTENSION IF EXISTS {extension}")
