"""What Nerdboard's two edges, the API (`api.py`) and the pages (`pages.py`), take from a
request: a session on Nerdboard's pool, the shared cache, and the process's clock cache."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.cache import Cache
from lyceum.core.db.session import session_dependency
from lyceum.nerdboard import service
from lyceum.nerdboard.connection import POOL

NerdboardSession = Annotated[
    AsyncSession, Depends(session_dependency(profile="nerdboard", pool=POOL), scope="function")
]


def _cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


CacheDep = Annotated[Cache, Depends(_cache)]


def _clocks(request: Request) -> service.ClockCache | None:
    # Set by the app's lifespan; absent in a process without it (then every read hits the row).
    clocks: service.ClockCache | None = getattr(request.app.state, "nerdboard_clock", None)
    return clocks


Clocks = Annotated[service.ClockCache | None, Depends(_clocks)]

__all__ = ["CacheDep", "Clocks", "NerdboardSession"]
