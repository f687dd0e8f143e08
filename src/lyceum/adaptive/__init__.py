"""Adaptive Learning Decision Engine: knowledge graph, mastery, study plans, offline sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lyceum.adaptive.connection import POOL
from lyceum.core.appspec import AppSpec, GenerateOptions

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from procrastinate import Blueprint
    from rich.progress import Progress


def _router() -> APIRouter:
    from lyceum.adaptive.api import router

    return router()


def _tasks() -> Blueprint:
    from lyceum.adaptive.tasks import blueprint

    return blueprint()


def _cli() -> typer.Typer:
    from lyceum.adaptive.cli import commands

    return commands


# Imported lazily: registering the app must not import NumPy into every CLI command.
async def _generate(options: GenerateOptions, progress: Progress) -> str:
    from lyceum.adaptive.generate import generate

    return await generate(options, progress)


app_spec = AppSpec(
    name="adaptive",
    title="Adaptive Learning Decision Engine",
    description="Knowledge graph, mastery tracking, study plans and offline-first sync",
    pool=POOL,
    models_module="lyceum.adaptive.models",
    router=_router,
    cli=_cli,
    pages_coming=(
        "Pages for students and teachers (mastery, the next question, study plans) come w"
        "ith the mastery model and offline sync."
    ),
    tasks=_tasks,
    pure_packages=("synthetic",),
    generate=_generate,
)
