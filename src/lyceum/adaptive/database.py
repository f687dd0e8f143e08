"""Seed 004's `app/core/database.py`, by its last name (`from app.core.database import …`).

An alias of `lyceum.adaptive.connection`: `get_db` (PostgreSQL) and `get_sqlite_db` (the
local offline database), the seed's two FastAPI dependencies.
"""

from __future__ import annotations

from lyceum.adaptive.connection import close_local_db, get_db, get_engine, get_sqlite_db

__all__ = ["close_local_db", "get_db", "get_engine", "get_sqlite_db"]
