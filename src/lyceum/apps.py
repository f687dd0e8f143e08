"""The registry: every app the platform serves. Edges (web, cli, migrations) read it."""

from __future__ import annotations

import importlib

from lyceum.adaptive import app_spec as adaptive
from lyceum.core.appspec import AppSpec
from lyceum.mathvidya import app_spec as mathvidya
from lyceum.nerdboard import app_spec as nerdboard
from lyceum.tutormax import app_spec as tutormax

APPS: dict[str, AppSpec] = {spec.name: spec for spec in (nerdboard, tutormax, mathvidya, adaptive)}

# Schemas the platform owns: `lyceum` for platform tables, one per app.
PLATFORM_SCHEMA = "lyceum"
SCHEMAS: tuple[str, ...] = (PLATFORM_SCHEMA, *APPS)


def get_app(name: str) -> AppSpec:
    try:
        return APPS[name]
    except KeyError:
        raise KeyError(f"unknown app {name!r}; choose one of: {', '.join(APPS)}") from None


def import_all_models() -> None:
    """Import every ORM model so `Base.metadata` is complete (Alembic, `db verify`)."""
    importlib.import_module("lyceum.core.models")
    for spec in APPS.values():
        if spec.models_module:
            importlib.import_module(spec.models_module)
