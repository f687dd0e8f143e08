"""Mathvidya: CBSE class X/XII maths exam practice and teacher evaluation.

The package exports what seed 003's `models` package does (the fifteen models and ten
enums) and its `database.py` (`get_engine`, `AsyncSessionLocal`, `get_db`), from
`lyceum.mathvidya.connection`.
"""

from typing import TYPE_CHECKING

from lyceum.core.appspec import AppAccount, AppSpec, GenerateOptions, SignInAttempt
from lyceum.mathvidya.connection import (
    POOL,
    AsyncSessionLocal,
    close_db,
    get_db,
    get_engine,
    get_session,
)
from lyceum.mathvidya.models import (
    AnswerSheetUpload,
    AuditLog,
    Evaluation,
    EvaluationStatus,
    ExamInstance,
    ExamStatus,
    ExamTemplate,
    ExamType,
    Holiday,
    ParentStudentMapping,
    PlanType,
    Question,
    QuestionDifficulty,
    QuestionMark,
    QuestionStatus,
    QuestionType,
    RelationshipType,
    StudentMCQAnswer,
    Subscription,
    SubscriptionPlan,
    SubscriptionStatus,
    SystemConfig,
    UnansweredQuestion,
    User,
    UserRole,
)

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from procrastinate import Blueprint
    from rich.progress import Progress


def _router() -> "APIRouter":
    from lyceum.mathvidya.api import router

    return router()


def _cli() -> "typer.Typer":
    from lyceum.mathvidya.cli import commands

    return commands


# Imported lazily: registering the app must not load the synthetic-data model into every CLI
# command.
async def _generate(options: GenerateOptions, progress: "Progress") -> str:
    from lyceum.mathvidya.generate import generate

    return await generate(options, progress)


async def _sign_in(attempt: SignInAttempt) -> AppAccount | None:
    from lyceum.mathvidya.api.sign_in import sign_in

    return await sign_in(attempt)


def _tasks() -> "Blueprint":
    from lyceum.mathvidya.tasks import blueprint

    return blueprint()


app_spec = AppSpec(
    name="mathvidya",
    title="Mathvidya",
    description="CBSE maths exam practice, MCQ auto-marking and teacher evaluation under an SLA",
    pool=POOL,
    models_module="lyceum.mathvidya.models",
    router=_router,
    cli=_cli,
    pages_coming=(
        "Pages for students, parents and teachers (plans, practice papers, marking under "
        "the SLA, the leaderboard) come with accounts and exams."
    ),
    pure_packages=("synthetic",),
    generate=_generate,
    tasks=_tasks,
    sign_in=_sign_in,
)

__all__ = [
    "POOL",
    "AnswerSheetUpload",
    "AsyncSessionLocal",
    "AuditLog",
    "Evaluation",
    "EvaluationStatus",
    "ExamInstance",
    "ExamStatus",
    "ExamTemplate",
    "ExamType",
    "Holiday",
    "ParentStudentMapping",
    "PlanType",
    "Question",
    "QuestionDifficulty",
    "QuestionMark",
    "QuestionStatus",
    "QuestionType",
    "RelationshipType",
    "StudentMCQAnswer",
    "Subscription",
    "SubscriptionPlan",
    "SubscriptionStatus",
    "SystemConfig",
    "UnansweredQuestion",
    "User",
    "UserRole",
    "app_spec",
    "close_db",
    "get_db",
    "get_engine",
    "get_session",
]
