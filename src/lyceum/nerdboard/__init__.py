"""Nerdboard: operations intelligence and capacity planning for a tutoring marketplace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from lyceum.core.appspec import AppSpec, GenerateOptions, NavLink
from lyceum.core.models import OPERATOR_ROLES
from lyceum.nerdboard.connection import POOL

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from procrastinate import Blueprint
    from rich.progress import Progress

    from lyceum.core.cache import Cache
    from lyceum.core.settings import Settings


# The factories import lazily: registering the app must not import FastAPI routes, NumPy
# models or statsmodels into every CLI command.
def _router() -> APIRouter:
    from lyceum.nerdboard.api import router

    return router()


def _pages() -> APIRouter:
    from lyceum.nerdboard.pages import router

    return router()


def _cli() -> typer.Typer:
    from lyceum.nerdboard.cli import commands

    return commands


async def _generate(options: GenerateOptions, progress: Progress) -> str:
    from lyceum.nerdboard.generate import generate

    return await generate(options, progress)


@asynccontextmanager
async def _lifespan(settings: Settings, cache: Cache) -> AsyncIterator[Mapping[str, object]]:
    from lyceum.nerdboard.runtime import nerdboard_runtime

    async with nerdboard_runtime(settings, cache) as provided:
        yield provided


def _tasks() -> Blueprint:
    from lyceum.nerdboard.tasks import blueprint

    return blueprint()


@asynccontextmanager
async def _worker(settings: Settings, cache: Cache) -> AsyncIterator[Mapping[str, object]]:
    from lyceum.nerdboard.runtime import worker_runtime

    async with worker_runtime(settings, cache) as provided:
        yield provided


app_spec = AppSpec(
    name="nerdboard",
    title="Nerdboard",
    description="Marketplace capacity planning, live simulation and dashboards",
    pool=POOL,
    models_module="lyceum.nerdboard.models",
    router=_router,
    pages=_pages,
    nav=(
        NavLink("Overview", "/", OPERATOR_ROLES),
        NavLink("Capacity", "/capacity", OPERATOR_ROLES),
        NavLink("Forecast", "/forecast", OPERATOR_ROLES),
        NavLink("Customers", "/customers", OPERATOR_ROLES),
        NavLink("Data quality", "/quality", OPERATOR_ROLES),
        NavLink("Simulation", "/simulation", OPERATOR_ROLES),
    ),
    cli=_cli,
    pure_packages=("marketplace", "forecasting", "simulation", "scoring"),
    generate=_generate,
    lifespan=_lifespan,
    tasks=_tasks,
    worker=_worker,
    benchmarks=("nerdboard",),
)
