"""Reference data and demo data for every registered app."""

from __future__ import annotations

from lyceum.apps import APPS, get_app
from lyceum.cli.common import console
from lyceum.core.appspec import AppSpec, GenerateOptions
from lyceum.core.cli import progress_bar
from lyceum.core.db.session import session
from lyceum.core.settings import Settings


def _selected(app_name: str | None) -> list[AppSpec]:
    return [get_app(app_name)] if app_name else list(APPS.values())


async def seed_everything(settings: Settings, app_name: str | None) -> tuple[str, str] | None:
    """Seed platform and app reference data; returns demo credentials in development."""
    from lyceum.core.operators import ensure_demo_operator

    async with session() as db:
        credentials = await ensure_demo_operator(db, settings)
    for spec in _selected(app_name):
        if spec.seed is None:
            continue
        async with session(profile=spec.name, pool=spec.pool) as db:
            await spec.seed(db)
        console.print(f"seeded [bold]{spec.title}[/]")
    return credentials


async def generate_for(specs: list[AppSpec], options: GenerateOptions) -> list[str]:
    summaries = []
    with progress_bar() as progress:
        for spec in specs:
            if spec.generate is None:
                summaries.append(f"{spec.title}: no demo data generator yet")
                continue
            summaries.append(f"{spec.title}: {await spec.generate(options, progress)}")
    return summaries


async def catch_up_for(specs: list[AppSpec], options: GenerateOptions) -> list[str]:
    """Each app's catch-up over its generated history (what its jobs would have written)."""
    summaries = []
    with progress_bar() as progress:
        for spec in specs:
            if spec.catch_up is not None:
                summaries.append(await spec.catch_up(options, progress))
    return summaries
