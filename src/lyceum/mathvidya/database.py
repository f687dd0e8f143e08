"""Seed 003's `database.py`, by the name its examples import (`from database import …`).

An alias of `lyceum.mathvidya.connection`: `AsyncSessionLocal`, `get_db`, `get_engine`,
`close_db`, and the seed's module-level `engine`, which is looked up when first asked for
(`from lyceum.mathvidya.database import engine`), never built at import.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from lyceum.mathvidya.connection import AsyncSessionLocal, close_db, get_db, get_engine


def __getattr__(name: str) -> AsyncEngine:
    if name == "engine":
        return get_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AsyncSessionLocal", "close_db", "get_db", "get_engine"]
