"""Database layer: declarative base, engines, sessions, URL resolution."""

from lyceum.core.db.base import Base, TimestampMixin, UUIDPrimaryKeyMixin, naming_convention
from lyceum.core.db.engine import PoolConfig, close_db, get_engine, get_sync_engine
from lyceum.core.db.session import get_db_session, session, session_dependency
from lyceum.core.db.url import resolve_database_url

__all__ = [
    "Base",
    "PoolConfig",
    "TimestampMixin",
    "UUIDPrimaryKeyMixin",
    "close_db",
    "get_db_session",
    "get_engine",
    "get_sync_engine",
    "naming_convention",
    "resolve_database_url",
    "session",
    "session_dependency",
]
