"""Mathvidya's HTTP API, mounted at /api/mathvidya: one module per area, each a thin edge
(parse, authorise, call the service). `router()` assembles them."""

from __future__ import annotations

from fastapi import APIRouter

from lyceum.mathvidya.api import (
    accounts,
    answer_sheets,
    catalogue,
    exams,
    family,
    questions,
    subscriptions,
)


def router() -> APIRouter:
    api = APIRouter()
    for area in (catalogue, accounts, family, subscriptions, questions, exams, answer_sheets):
        api.include_router(area.router())
    from lyceum.mathvidya.api import standing  # issue 16: leaderboard, analytics, reports

    api.include_router(standing.router())
    from lyceum.mathvidya.api import evaluations  # issue 16: marking, re-evaluation, SLA report

    api.include_router(evaluations.router())
    return api


__all__ = ["router"]
