"""What every `lyceum` command shares, the platform's and the apps' (`<app>/cli.py`): the
console, settings, one-line errors, confirmation, running a coroutine.

It lives in core, not in the `lyceum.cli` edge, because apps define their own commands and
must not import an edge."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lyceum.core.db import migrate
from lyceum.core.errors import ConfigurationError
from lyceum.core.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

# Re-exported: the CLI finds benchmarks and alembic.ini where the migrations helper does.
repo_root = migrate.repo_root


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]lyceum: error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        fail(str(exc), code=2)


def confirm(question: str, assume_yes: bool) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        fail(f"{question} — refusing without confirmation; pass --yes", code=2)
    if not typer.confirm(question, default=False):
        fail("cancelled", code=1)


def refuse_in_production(settings: Settings, action: str) -> None:
    if settings.env == "production":
        fail(f"`{action}` destroys data and is refused when ENV=production", code=2)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one command's coroutine with engines of its own (this command's settings), and
    dispose of them, and of any other engine it built, when it ends."""
    from lyceum.core.db.engine import Engines, activate, close_db
    from lyceum.core.settings import get_settings

    async def _wrapped() -> T:
        try:
            async with activate(Engines(get_settings())):
                return await coroutine
        finally:
            await close_db()

    return asyncio.run(_wrapped())


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
