"""The adaptive app's HTTP API, mounted at /api/adaptive: one module per area, each a thin edge
(parse, authorise, call the service). `router()` assembles them."""

from __future__ import annotations

from fastapi import APIRouter

from lyceum.adaptive.api import classes, graph, students, sync


def router() -> APIRouter:
    api = APIRouter()
    for area in (graph, sync, students, classes):
        api.include_router(area.router())
    return api


__all__ = ["router"]
