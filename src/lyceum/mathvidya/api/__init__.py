"""Mathvidya's HTTP API, mounted at /api/mathvidya: one module per area, each a thin edge
(parse, authorise, call the service). `router()` assembles them."""

from __future__ import annotations

from fastapi import APIRouter

from lyceum.mathvidya.api import catalogue


def router() -> APIRouter:
    api = APIRouter()
    api.include_router(catalogue.router())
    return api


__all__ = ["router"]
