"""A small world for sync tests (a helper, not tests): a class with a teacher, students with
profiles, a topic with concepts and questions on PostgreSQL; and devices — a local SQLite
database each, with a `SyncClient` speaking to the app in process as one student."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.adaptive.device import DeviceStore, SyncClient
from lyceum.adaptive.enums import QuestionKind, UserRole, account_role
from lyceum.adaptive.local import create_local_engine, create_local_schema
from lyceum.adaptive.models import Class, Concept, Question, StudentProfile, Topic, User
from lyceum.adaptive.offline import AttemptInput
from tests.adaptive.rows import ARGON2ID, suffix
from tests.fixtures.tokens import token_for


@dataclass
class World:
    teacher: User
    group: Class
    students: list[User]
    questions: list[Question]
    # question id -> (correct answer, a wrong one)
    answers: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)


async def build_world(db: AsyncSession, students: int = 2, questions: int = 6) -> World:
    teacher = User(username=f"teacher-{suffix()}", role=UserRole.TEACHER, password_hash=ARGON2ID)
    db.add(teacher)
    await db.flush()
    group = Class(name=f"X-{suffix()}", grade=10, teacher_id=teacher.id)
    db.add(group)
    await db.flush()
    people = []
    for _ in range(students):
        user = User(username=f"student-{suffix()}", role=UserRole.STUDENT, password_hash=ARGON2ID)
        db.add(user)
        await db.flush()
        db.add(StudentProfile(user_id=user.id, grade=10, available_hours_per_week=6.0,
                              class_id=group.id))  # fmt: skip
        people.append(user)
    topic = Topic(code=f"T-{suffix()}", name="Real Numbers", grade=10, syllabus_weightage=6)
    db.add(topic)
    await db.flush()
    concepts = [Concept(topic_id=topic.id, code=f"C-{suffix()}", name=f"Concept {i}")
                for i in range(2)]  # fmt: skip
    db.add_all(concepts)
    await db.flush()
    world = World(teacher, group, people, [])
    for index in range(questions):
        question = Question(
            concept_id=concepts[index % 2].id, code=f"Q-{suffix()}", text=f"What is {index}+1?",
            kind=QuestionKind.NUMERIC, correct_answer=str(index + 1),
        )  # fmt: skip
        db.add(question)
        world.questions.append(question)
    await db.flush()
    for index, question in enumerate(world.questions):
        world.answers[question.id] = (str(index + 1), str(index + 2))
    await db.commit()
    return world


def student_headers(student: User) -> dict[str, str]:
    return token_for(account_role(UserRole.STUDENT), subject=str(student.id))


@dataclass
class Device:
    name: str
    student: User
    engine: AsyncEngine
    store: DeviceStore
    client: SyncClient
    http: httpx.AsyncClient

    async def answer(
        self, question: Question, answer: str, when: datetime | None = None
    ) -> uuid.UUID:
        return await self.store.record_attempt(
            AttemptInput(
                student_id=self.student.id, question_id=question.id, answer=answer,
                is_correct=answer == question.correct_answer, time_taken_seconds=30.0,
                confidence=3, attempted_at=when or datetime.now(UTC) - timedelta(minutes=1),
                device_id=self.name,
            )
        )  # fmt: skip


@asynccontextmanager
async def device(
    app: FastAPI,
    tmp_path: Path,
    student: User,
    name: str,
    transport: httpx.AsyncBaseTransport | None = None,
    seed: int = 0,
) -> AsyncIterator[Device]:
    engine = create_local_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
    await create_local_schema(engine)
    store = DeviceStore(engine)
    await store.state(name)
    http = httpx.AsyncClient(
        transport=transport or httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://test",
        headers={**student_headers(student), "Content-Type": "application/json"},
    )

    async def no_wait(_: float) -> None:
        return None

    client = SyncClient(store, http, rng=random.Random(seed), sleep=no_wait)
    try:
        yield Device(name, student, engine, store, client, http)
    finally:
        await http.aclose()
        await engine.dispose()


# ---- raw operations, for tests that speak the wire format themselves -----------------------

PUSH_URL = "/api/adaptive/sync/push"
PULL_URL = "/api/adaptive/sync/pull"


def operation(
    entity_type: str,
    entity_id: uuid.UUID,
    payload: dict[str, Any],
    kind: str = "create",
    op_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """One pushed operation as JSON, as a device's queue would send it."""
    return {
        "id": str(op_id or uuid.uuid4()),
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "operation": kind,
        "payload": payload,
    }


def attempt_op(
    student_id: uuid.UUID,
    question_id: uuid.UUID,
    answer: str,
    device_id: str,
    *,
    attempted_at: datetime | None = None,
    is_correct: bool = False,
    attempt_id: uuid.UUID | None = None,
    op_id: uuid.UUID | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An attempt's `create`; `overrides` replace payload fields (to make it malformed)."""
    attempt_id = attempt_id or uuid.uuid4()
    when = attempted_at or datetime.now(UTC) - timedelta(hours=1)
    payload: dict[str, Any] = {
        "id": str(attempt_id), "student_id": str(student_id), "question_id": str(question_id),
        "answer": answer, "is_correct": is_correct, "time_taken_seconds": 30.0,
        "confidence": 3, "attempted_at": when.astimezone(UTC).isoformat(),
        "device_id": device_id,
    }  # fmt: skip
    payload.update(overrides)
    return operation("question_attempt", attempt_id, payload, op_id=op_id)


def plan_event_op(
    student_id: uuid.UUID,
    plan_id: uuid.UUID,
    device_id: str,
    *,
    kind: str = "completed",
    minutes: int = 30,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
    op_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    event_id = event_id or uuid.uuid4()
    when = occurred_at or datetime.now(UTC) - timedelta(hours=1)
    payload: dict[str, Any] = {
        "id": str(event_id), "plan_id": str(plan_id), "student_id": str(student_id),
        "kind": kind, "day": when.date().isoformat(), "concept_code": None, "minutes": minutes,
        "occurred_at": when.astimezone(UTC).isoformat(), "device_id": device_id,
    }  # fmt: skip
    return operation("study_plan_event", event_id, payload, op_id=op_id)


def profile_op(
    student_id: uuid.UUID,
    fields: dict[str, Any],
    clock: str,
    *,
    entity_id: uuid.UUID | None = None,
    op_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A profile `update` stamped `clock` (`Clock(...).encode()`)."""
    payload = {"student_id": str(student_id), "fields": fields, "clock": clock}
    return operation("student_profile", entity_id or student_id, payload, "update", op_id)


async def push_ops(
    http: httpx.AsyncClient,
    student: User,
    device_id: str,
    operations: list[dict[str, Any]],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"device_id": device_id, "operations": operations}
    return await http.post(
        PUSH_URL, json=body, headers=headers if headers is not None else student_headers(student)
    )


async def pull_page(
    http: httpx.AsyncClient,
    student: User,
    device_id: str,
    cursor: int = 0,
    limit: int = 1_000,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    params: dict[str, str | int] = {"device_id": device_id, "cursor": cursor, "limit": limit}
    sent = headers if headers is not None else student_headers(student)
    return await http.get(PULL_URL, params=params, headers=sent)


__all__ = [
    "PULL_URL",
    "PUSH_URL",
    "Device",
    "World",
    "attempt_op",
    "build_world",
    "device",
    "operation",
    "plan_event_op",
    "profile_op",
    "pull_page",
    "push_ops",
    "student_headers",
]
