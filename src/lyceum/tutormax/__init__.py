"""TutorMax: tutor performance evaluation, churn prediction and interventions.

The package exports what seed 001's `src/database/__init__.py` does: the models, the
connection API (`get_session`, `get_db_session`, `get_engine`, `close_db`, `get_settings`)
and, in `lyceum.tutormax.repository`, the utility functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lyceum.core.appspec import AppSpec, GenerateOptions, NavLink
from lyceum.core.db.base import Base
from lyceum.core.models import OPERATOR_ROLES
from lyceum.tutormax.connection import (
    POOL,
    close_db,
    get_db_session,
    get_engine,
    get_session,
    get_settings,
)
from lyceum.tutormax.enums import (
    EventType,
    InitiatedBy,
    InterventionOutcome,
    InterventionStatus,
    InterventionType,
    MetricWindow,
    PerformanceTier,
    RiskLevel,
    SessionStatus,
    StudentStatus,
    TutorStatus,
)
from lyceum.tutormax.models import (
    TUTOR_ACCOUNT_ROLE,
    ChurnPrediction,
    Intervention,
    Session,
    Student,
    StudentFeedback,
    Tutor,
    TutorEvent,
    TutorPerformanceMetric,
)

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from procrastinate import Blueprint
    from rich.progress import Progress


def _router() -> APIRouter:
    from lyceum.tutormax.api import router

    return router()


def _pages() -> APIRouter:
    from lyceum.tutormax.pages import router

    return router()


def _tasks() -> Blueprint:
    from lyceum.tutormax.tasks import blueprint

    return blueprint()


def _cli() -> typer.Typer:
    from lyceum.tutormax.cli import commands

    return commands


# Imported lazily: registering the app must not import NumPy into every CLI command.
async def _generate(options: GenerateOptions, progress: Progress) -> str:
    from lyceum.tutormax.generate import generate

    return await generate(options, progress)


async def _catch_up(options: GenerateOptions, progress: Progress) -> str:
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.daily import catch_up

    task = progress.add_task("TutorMax: metrics, scores and rules over the history", total=None)
    async with get_session() as db:
        report = await catch_up(db)
    progress.update(task, total=1, completed=1)
    return report.describe()


app_spec = AppSpec(
    name="tutormax",
    title="TutorMax",
    description="Tutor performance evaluation, churn prediction and interventions",
    pool=POOL,
    models_module="lyceum.tutormax.models",
    router=_router,
    cli=_cli,
    pages=_pages,
    # The operator accounts see the staff pages, a tutor account its own page.
    nav=(
        NavLink("Dashboard", "/", OPERATOR_ROLES),
        NavLink("Tutors", "/tutors", OPERATOR_ROLES),
        NavLink("Model", "/model", OPERATOR_ROLES),
        NavLink("My page", "/me", (TUTOR_ACCOUNT_ROLE,)),
    ),
    tasks=_tasks,
    pure_packages=("synthetic", "policysim", "churn", "rules", "scorecard"),
    generate=_generate,
    catch_up=_catch_up,
    benchmarks=("tutormax",),
)

__all__ = [
    "POOL",
    "Base",
    "ChurnPrediction",
    "EventType",
    "InitiatedBy",
    "Intervention",
    "InterventionOutcome",
    "InterventionStatus",
    "InterventionType",
    "MetricWindow",
    "PerformanceTier",
    "RiskLevel",
    "Session",
    "SessionStatus",
    "Student",
    "StudentFeedback",
    "StudentStatus",
    "Tutor",
    "TutorEvent",
    "TutorPerformanceMetric",
    "TutorStatus",
    "app_spec",
    "close_db",
    "get_db_session",
    "get_engine",
    "get_session",
    "get_settings",
]
