"""Mathvidya's HTTP API, mounted at /api/mathvidya: one module per area, each a thin edge
(parse, authorise, call the service). `router()` assembles them."""

from __future__ import annotations

from fastapi import APIRouter

from lyceum.mathvidya.api import accounts, catalogue, exams, family, questions, subscriptions


def router() -> APIRouter:
    api = APIRouter()
    for area in (catalogue, accounts, family, subscriptions, questions, exams):
        api.include_router(area.router())
    return api


__all__ = ["router"]
