"""`lyceum generate adaptive`: the synthetic knowledge graph, question bank, classes, students
and months of practice (`synthetic/`), loaded in one transaction that replaces every row of
the adaptive schema.

Loaded: users, classes, student profiles, topics, prerequisites, concepts, questions and the
question attempts (all made online, so `sync_operation_id` is NULL). Left empty: concept
mastery, study plans and the sync queue, which are what the mastery, planning and sync
engines produce from these rows. The model's ground truth (true mastery before and after
every attempt) is never stored in a product table: the generation record keeps the seed,
scale and months, and `synthetic.simulate(scale, seed, months, DEFAULT_END)` recomputes it
exactly, for scoring a mastery model against it.

Keys are deterministic. Reference rows and people get version-5 UUIDs of their code or
username in a namespace derived from the seed; attempts get version-7 UUIDs of their time
with random bits from the seed (time-ordered, so the primary key is appended to).

The small tables (a few thousand rows) go in with SQLAlchemy Core executemany, whose types
handle enums, arrays and aware datetimes; the prerequisite trigger locks the table per row,
which costs nothing inside one transaction. The attempts (~10^5 rows) go in by binary COPY
with their secondary indexes and foreign keys dropped and rebuilt (`core.db.bulk`).

Every generated account shares one Argon2id hash of the published demo password
(`core.operators.demo_password`), hashed once per run; such accounts must not exist in
production, so the generator refuses to run there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import insert, text

from lyceum.adaptive.connection import POOL, PROFILE
from lyceum.adaptive.demo import account_email, demo_email
from lyceum.adaptive.enums import UserRole
from lyceum.adaptive.models import (
    SCHEMA,
    Class,
    Concept,
    Question,
    QuestionAttempt,
    StudentProfile,
    Topic,
    TopicPrerequisite,
    User,
)
from lyceum.adaptive.synthetic import (
    DEFAULT_END,
    MAX_MONTHS,
    SCALES,
    AdaptiveHistory,
    simulate,
)
from lyceum.core.appspec import GenerateOptions
from lyceum.core.auth import hash_password
from lyceum.core.db.bulk import copy_table, deferred_indexes
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.generation import Generator, PhaseTimer, reporter, run_generator
from lyceum.core.ids import uuid7_array
from lyceum.core.operators import demo_password

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

APP = "adaptive"
# Every table of the schema, emptied in one statement (so their foreign keys do not object).
ALL_TABLES = (
    "users",
    "classes",
    "student_profiles",
    "topics",
    "topic_prerequisites",
    "concepts",
    "questions",
    "question_attempts",
    "concept_mastery",
    # Fitted from the attempts: a new history needs its own fit.
    "concept_mastery_params",
    "mastery_student_offsets",
    "mastery_question_offsets",
    "study_plans",
    "study_plan_events",
    "sync_operations",
    "sync_devices",
    # Its identity is not restarted: sequence numbers stay monotone across regenerations,
    # and the new epoch (below) tells devices to start again.
    "change_log",
)
TRUNCATE_ALL = "TRUNCATE " + ", ".join(f"{SCHEMA}.{name}" for name in ALL_TABLES)
NEW_EPOCH = f"UPDATE {SCHEMA}.sync_server SET epoch = gen_random_uuid()"  # noqa: S608 - constant
# Loaded in this order (foreign keys point backwards); the attempts follow by COPY.
SMALL_TABLES: tuple[tuple[str, Any], ...] = (
    ("users", User.__table__),
    ("classes", Class.__table__),
    ("student_profiles", StudentProfile.__table__),
    ("topics", Topic.__table__),
    ("topic_prerequisites", TopicPrerequisite.__table__),
    ("concepts", Concept.__table__),
    ("questions", Question.__table__),
)
LOADED = (*(name for name, _ in SMALL_TABLES), "question_attempts")
# Rows per executemany call, so progress moves while a table loads.
CHUNK = 5_000
# Separates the key namespaces of different seeds (any fixed UUID would do).
KEY_ROOT = uuid.UUID("5d0c1e4b-7a3f-5b9e-9c2d-4f6a8b1c3e57")


class Keys:
    """Deterministic UUIDs per (kind, natural key) for one seed."""

    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(KEY_ROOT, f"seed:{seed}")

    def __call__(self, kind: str, name: str) -> uuid.UUID:
        return uuid.uuid5(self.namespace, f"{kind}:{name}")

    def matrix(self, kind: str, names: npt.NDArray[np.str_]) -> npt.NDArray[np.uint8]:
        """The keys of `names` as an (n, 16) byte array, each distinct name hashed once."""
        distinct, inverse = np.unique(names, return_inverse=True)
        keys = b"".join(self(kind, str(name)).bytes for name in distinct.tolist())
        table = np.frombuffer(keys, dtype=np.uint8).reshape(len(distinct), 16)
        return np.ascontiguousarray(table[inverse.reshape(-1)])


def keyed_rows(
    history: AdaptiveHistory, keys: Keys, password_hash: str
) -> dict[str, list[dict[str, Any]]]:
    """The small tables' rows, with the model's codes and usernames turned into keys."""

    def user(name: str) -> uuid.UUID:
        return keys("user", name)

    def topic(code: str) -> uuid.UUID:
        return keys("topic", code)

    # Parents before children, so any batch boundary keeps the self-reference satisfied.
    topics = sorted(history.topics, key=lambda row: row["parent_code"] is not None)
    first_of_role: dict[str, str] = {}
    for row in history.users:
        first_of_role.setdefault(row["role"], row["username"])

    def email(row: dict[str, Any]) -> str:
        if first_of_role[row["role"]] == row["username"]:
            return demo_email(UserRole(row["role"]))
        return account_email(row["username"])

    return {
        "users": [
            {
                "id": user(row["username"]),
                "username": row["username"],
                "full_name": row["full_name"],
                "role": row["role"],
                "email": email(row),
                "password_hash": password_hash,
            }
            for row in history.users
        ],
        "classes": [
            {
                "id": keys("class", row["code"]),
                "name": row["name"],
                "grade": row["grade"],
                "teacher_id": user(row["teacher_username"]),
            }
            for row in history.classes
        ],
        "student_profiles": [
            {
                "id": keys("profile", row["username"]),
                "user_id": user(row["username"]),
                "grade": row["grade"],
                "exam_date": row["exam_date"],
                "available_hours_per_week": row["available_hours_per_week"],
                "class_id": None if row["class_code"] is None else keys("class", row["class_code"]),
                "focus_topics": [],
            }
            for row in history.student_profiles
        ],
        "topics": [
            {
                "id": topic(row["code"]),
                "code": row["code"],
                "name": row["name"],
                "parent_id": None if row["parent_code"] is None else topic(row["parent_code"]),
                "grade": row["grade"],
                "syllabus_weightage": row["syllabus_weightage"],
                "sort_order": row["sort_order"],
            }
            for row in topics
        ],
        "topic_prerequisites": [
            {
                "topic_id": topic(row["topic_code"]),
                "prerequisite_id": topic(row["prerequisite_code"]),
            }
            for row in history.topic_prerequisites
        ],
        "concepts": [
            {
                "id": keys("concept", row["code"]),
                "topic_id": topic(row["topic_code"]),
                "code": row["code"],
                "name": row["name"],
                "difficulty": row["difficulty"],
            }
            for row in history.concepts
        ],
        "questions": [
            {
                "id": keys("question", row["code"]),
                "concept_id": keys("concept", row["concept_code"]),
                "code": row["code"],
                "text": row["text"],
                "kind": row["question_type"],
                "options": row["options"],
                "correct_answer": row["correct_answer"],
                "difficulty": row["difficulty"],
                "discrimination": row["discrimination"],
            }
            for row in history.questions
        ],
    }


def attempt_columns(history: AdaptiveHistory, keys: Keys, seed: int) -> dict[str, Any]:
    """The attempts as NumPy columns for COPY (typed from the model by `copy_table`)."""
    a = history.attempts
    # `to_utc` gives aware UTC datetimes; NumPy wants them naive (still UTC).
    attempted_at = np.array(
        [moment.replace(tzinfo=None) for moment in a.attempted_at], dtype="datetime64[us]"
    )
    return {
        "id": uuid7_array(attempted_at, np.random.default_rng([seed, 8_401])),
        "student_id": keys.matrix("user", a.username),
        "question_id": keys.matrix("question", a.question_code),
        "answer": a.answer,
        "is_correct": a.is_correct,
        "time_taken_seconds": a.time_taken_seconds,
        "confidence": a.confidence,
        "attempted_at": attempted_at,
        "device_id": a.device_id,
    }


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    return (rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK))


async def load(
    db: AsyncSession, history: AdaptiveHistory, password_hash: str, seed: int, progress: Progress
) -> dict[str, int]:
    """Replace the schema's rows with `history`'s; returns rows written per loaded table."""
    keys = Keys(seed)
    rows = keyed_rows(history, keys, password_hash)
    columns = attempt_columns(history, keys, seed)
    task = progress.add_task(
        "Adaptive: loading", total=sum(map(len, rows.values())) + len(history.attempts)
    )
    await db.execute(text(TRUNCATE_ALL))
    await db.execute(text(NEW_EPOCH))
    written: dict[str, int] = {}
    for name, table in SMALL_TABLES:
        for chunk in _chunks(rows[name]):
            await db.execute(insert(table), chunk)
            progress.advance(task, len(chunk))
        written[name] = len(rows[name])
    raw = await raw_asyncpg_connection(await db.connection())
    async with deferred_indexes(raw, SCHEMA, ["question_attempts"]):
        written["question_attempts"] = await copy_table(raw, QuestionAttempt.__table__, columns)
    progress.advance(task, written["question_attempts"])
    return written


@dataclass(frozen=True)
class AdaptiveModel:
    history: AdaptiveHistory
    password_hash: str


class AdaptiveGenerator(Generator[AdaptiveModel]):
    app = APP
    title = "Adaptive"
    profile = PROFILE
    pool = POOL
    scales = SCALES
    max_months = MAX_MONTHS
    presence_table = f"{SCHEMA}.users"
    analyzed = tuple(f"{SCHEMA}.{name}" for name in LOADED)
    demo_accounts = True

    async def build(
        self, db: AsyncSession, options: GenerateOptions, progress: Progress
    ) -> AdaptiveModel:
        report = reporter(progress, f"Adaptive: simulating {options.months} months")
        history, password_hash = await asyncio.gather(
            asyncio.to_thread(simulate, options.scale, options.seed, options.months, DEFAULT_END),
            asyncio.to_thread(hash_password, demo_password()),
        )
        report(1.0)
        return AdaptiveModel(history, password_hash)

    async def load(
        self,
        db: AsyncSession,
        model: AdaptiveModel,
        options: GenerateOptions,
        progress: Progress,
        timer: PhaseTimer,
    ) -> dict[str, int]:
        return await load(db, model.history, model.password_hash, options.seed, progress)

    def details(self, model: AdaptiveModel) -> dict[str, Any]:
        return {"start": model.history.start.isoformat(), "end": model.history.end.isoformat()}

    def summarize(
        self, model: AdaptiveModel, written: dict[str, int], options: GenerateOptions
    ) -> str:
        history = model.history
        return (
            f"{written['users']:,} users ({written['student_profiles']:,} students in"
            f" {written['classes']} classes), {written['topics']} topics,"
            f" {written['topic_prerequisites']} prerequisites, {written['concepts']} concepts,"
            f" {written['questions']:,} questions, {written['question_attempts']:,} attempts"
            f" from {history.start:%Y-%m-%d} to {history.end:%Y-%m-%d}"
            f" (seed {options.seed}, {options.scale})"
        )


async def generate(options: GenerateOptions, progress: Progress) -> str:
    """Replace the adaptive app's data with the history for `options`; one-line summary."""
    return await run_generator(AdaptiveGenerator(), options, progress)


__all__ = [
    "ALL_TABLES",
    "LOADED",
    "TRUNCATE_ALL",
    "AdaptiveGenerator",
    "Keys",
    "generate",
    "keyed_rows",
    "load",
]
