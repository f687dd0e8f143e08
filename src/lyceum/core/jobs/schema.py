"""Where the job queue lives: procrastinate's objects in schema `lyceum` (migration 0009).

Its tables are not SQLAlchemy models: procrastinate owns them, so Alembic's comparison and
`lyceum db verify` skip every object named like one of procrastinate's.
"""

from __future__ import annotations

SCHEMA = "lyceum"
# procrastinate names all its tables, types, functions and triggers procrastinate_*, and a
# few indexes idx_procrastinate_*.
QUEUE_OBJECT_PREFIXES = ("procrastinate_", "idx_procrastinate_")


def is_queue_object(name: str | None) -> bool:
    """Whether `name` is one of procrastinate's objects (table, index, constraint, type)."""
    return name is not None and name.startswith(QUEUE_OBJECT_PREFIXES)


__all__ = ["QUEUE_OBJECT_PREFIXES", "SCHEMA", "is_queue_object"]
