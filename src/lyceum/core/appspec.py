"""What an app tells the platform about itself. Apps build one; `lyceum.apps` lists them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lyceum.core.db.engine import PLATFORM_POOL, PoolConfig

if TYPE_CHECKING:
    from fastapi import APIRouter
    from procrastinate import Blueprint
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

    from lyceum.core.cache import Cache
    from lyceum.core.settings import Settings


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = 42
    scale: str = "default"
    months: int = 12
    # `lyceum up`: keep data already generated with these parameters instead of rebuilding.
    skip_if_present: bool = False


Seeder = Callable[["AsyncSession"], Awaitable[None]]
Generator = Callable[["GenerateOptions", "Progress"], Awaitable[str]]
# Runs for the web process's lifetime (background workers, listeners); what it yields is
# set on `app.state` under the given names for the app's routes to use.
AppLifespan = Callable[["Settings", "Cache"], AbstractAsyncContextManager[Mapping[str, object]]]


@dataclass(frozen=True)
class AppSpec:
    name: str
    title: str
    description: str
    pool: PoolConfig = PLATFORM_POOL
    # Dotted path of the module defining the app's ORM models (imported for Alembic).
    models_module: str | None = None
    router: Callable[[], APIRouter] | None = None
    seed: Seeder | None = None
    generate: Generator | None = None
    lifespan: AppLifespan | None = None
    # The app's background jobs (a fresh procrastinate Blueprint per call, from <app>/tasks.py;
    # its tasks become "<app>:<task>") and what `lyceum worker` runs for the app besides jobs.
    tasks: Callable[[], Blueprint] | None = None
    worker: AppLifespan | None = None
    scales: tuple[str, ...] = ("small", "default", "large")
    benchmarks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def schema(self) -> str:
        # Each app owns exactly one PostgreSQL schema, named after it.
        return self.name
