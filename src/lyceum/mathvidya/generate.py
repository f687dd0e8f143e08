"""`lyceum generate mathvidya`: synthetic Mathvidya data (`synthetic/`), loaded in one
transaction that replaces the previous generated data.

Generated tables: users, parent links, subscriptions, the question bank, exam templates and
the exam history (instances, MCQ answers, answer-sheet pages, declared unanswered questions,
evaluations, question marks). Left alone: migration 0007's reference rows (plans, holidays,
settings), which the model reads, and `audit_logs`, which is append-only (its trigger refuses
TRUNCATE) and stays empty.

Every generated account shares one password hash: the platform's published demo password
(`LYCEUM_DEMO_PASSWORD`, see `core.operators`), hashed once per run because Argon2id costs
~50 ms a hash. Accounts with a published password must not exist in production, so the
generator refuses to run there.

Rows go in with SQLAlchemy Core executemany (about 75k rows at the default scale, a few
seconds): binary COPY (`core.db.bulk`) has no encoding for NUMERIC yet, which most tables
here have (scores, marks, prices). `users` is emptied with
DELETE, not TRUNCATE: `system_config` refers to it and must keep its rows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, select, text

from lyceum.core.appspec import GenerateOptions
from lyceum.core.auth import hash_password
from lyceum.core.generation import Generator, PhaseTimer, reporter, run_generator
from lyceum.core.operators import demo_password
from lyceum.mathvidya.connection import POOL, PROFILE
from lyceum.mathvidya.models import (
    PRODUCT_TABLE_NAMES,
    SCHEMA,
    AnswerSheetUpload,
    Evaluation,
    ExamInstance,
    ExamTemplate,
    Holiday,
    ParentStudentMapping,
    Question,
    QuestionMark,
    StudentMCQAnswer,
    Subscription,
    SubscriptionPlan,
    UnansweredQuestion,
    User,
)
from lyceum.mathvidya.synthetic import (
    MAX_MONTHS,
    SCALES,
    TABLES,
    MathvidyaData,
    PlanTerms,
    generate_dataset,
)

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

APP = "mathvidya"
ORM_TABLES: dict[str, Any] = {
    "users": User,
    "parent_student_mappings": ParentStudentMapping,
    "subscriptions": Subscription,
    "questions": Question,
    "exam_templates": ExamTemplate,
    "exam_instances": ExamInstance,
    "student_mcq_answers": StudentMCQAnswer,
    "answer_sheet_uploads": AnswerSheetUpload,
    "unanswered_questions": UnansweredQuestion,
    "evaluations": Evaluation,
    "question_marks": QuestionMark,
}
# Children first; one statement, so the foreign keys among them do not object.
# The product's own rows that hang off generated ones (payments of generated subscriptions,
# tokens of generated accounts) go with them.
TRUNCATE_GENERATED = "TRUNCATE " + ", ".join(
    [f"{SCHEMA}.{name}" for name in PRODUCT_TABLE_NAMES]
    + [f"{SCHEMA}.{name}" for name in reversed(TABLES) if name != "users"]
)
DELETE_USERS = f"DELETE FROM {SCHEMA}.users"  # noqa: S608 - a constant
# Migration 0014's deferred checks that marks add up. TRUNCATE refuses a table with check
# events still pending in the transaction (rows written earlier in it): the checks run now,
# before the tables are emptied, and are deferred again for the load.
MARKS_CHECKED_TABLES = ("evaluations", "question_marks", "exam_instances")
MARKS_CHECKS = ", ".join(f"{SCHEMA}.{table}_marks_add_up" for table in MARKS_CHECKED_TABLES)
# Rows per executemany call, so progress moves while a big table loads.
CHUNK = 5_000


async def reference_data(db: AsyncSession) -> tuple[list[PlanTerms], set[date]]:
    """Migration 0007's plans and holidays, which the model builds on."""
    plans = [
        PlanTerms(
            id=plan.id,
            plan_type=plan.plan_type,
            exams_per_month=plan.exams_per_month,
            sla_hours=plan.sla_hours,
            leaderboard_access=plan.leaderboard_access,
            annual_price_inr=plan.annual_price_inr,
        )
        for plan in (await db.execute(select(SubscriptionPlan))).scalars()
    ]
    holidays = set((await db.execute(select(Holiday.holiday_date))).scalars())
    return plans, holidays


async def load(
    db: AsyncSession, data: MathvidyaData, password_hash: str, progress: Progress
) -> dict[str, int]:
    """Replace the generated tables with `data`'s rows; returns rows written per table."""
    task = progress.add_task("Mathvidya: loading", total=sum(data.row_counts().values()))
    await db.execute(text(f"SET CONSTRAINTS {MARKS_CHECKS} IMMEDIATE"))
    await db.execute(text(TRUNCATE_GENERATED))
    await db.execute(text(DELETE_USERS))
    await db.execute(text(f"SET CONSTRAINTS {MARKS_CHECKS} DEFERRED"))
    written: dict[str, int] = {}
    for name in TABLES:
        table: Table = ORM_TABLES[name].__table__
        rows = data.tables[name]
        if name == "users":
            rows = [{**row, "password_hash": password_hash} for row in rows]
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            await db.execute(insert(table), chunk)
            progress.advance(task, len(chunk))
        written[name] = len(rows)
    return written


@dataclass(frozen=True)
class MathvidyaModel:
    data: MathvidyaData
    password_hash: str


class MathvidyaGenerator(Generator[MathvidyaModel]):
    app = APP
    title = "Mathvidya"
    profile = PROFILE
    pool = POOL
    scales = SCALES
    max_months = MAX_MONTHS
    months_explained = " for Mathvidya (the exam history lies within the current subscription year)"
    presence_table = f"{SCHEMA}.questions"
    analyzed = tuple(f"{SCHEMA}.{name}" for name in TABLES)
    demo_accounts = True

    async def build(
        self, db: AsyncSession, options: GenerateOptions, progress: Progress
    ) -> MathvidyaModel:
        plans, holidays = await reference_data(db)
        report = reporter(progress, "Mathvidya: generating")
        data, password_hash = await asyncio.gather(
            asyncio.to_thread(
                generate_dataset,
                options.scale,
                options.seed,
                plans,
                holidays,
                options.months,
                report,
            ),
            asyncio.to_thread(hash_password, demo_password()),
        )
        return MathvidyaModel(data, password_hash)

    async def load(
        self,
        db: AsyncSession,
        model: MathvidyaModel,
        options: GenerateOptions,
        progress: Progress,
        timer: PhaseTimer,
    ) -> dict[str, int]:
        return await load(db, model.data, model.password_hash, progress)

    def details(self, model: MathvidyaModel) -> dict[str, Any]:
        return {
            "as_of": model.data.as_of.isoformat(),
            "active_questions": sum(1 for q in model.data.questions if q.status == "active"),
        }

    def summarize(
        self, model: MathvidyaModel, written: dict[str, int], options: GenerateOptions
    ) -> str:
        data = model.data
        roles = {
            role: sum(1 for u in data.tables["users"] if u["role"] == role)
            for role in ("student", "parent", "teacher", "admin")
        }
        active = sum(1 for q in data.questions if q.status == "active")
        return (
            f"{written['users']:,} users ({roles['student']:,} students,"
            f" {roles['parent']:,} parents, {roles['teacher']} teachers,"
            f" {roles['admin']} admins), {written['questions']:,} questions ({active:,} active),"
            f" {written['exam_templates']} exam templates,"
            f" {written['subscriptions']:,} subscriptions, {written['exam_instances']:,} exams,"
            f" {written['student_mcq_answers']:,} MCQ answers,"
            f" {written['evaluations']:,} evaluations,"
            f" {written['question_marks']:,} question marks as of {data.as_of:%Y-%m-%d}"
            f" (seed {options.seed}, {options.scale})"
        )


async def generate(options: GenerateOptions, progress: Progress) -> str:
    """Replace Mathvidya's generated data with the data for `options`; one-line summary."""
    return await run_generator(MathvidyaGenerator(), options, progress)


__all__ = [
    "ORM_TABLES",
    "TRUNCATE_GENERATED",
    "MathvidyaGenerator",
    "generate",
    "load",
    "reference_data",
]
