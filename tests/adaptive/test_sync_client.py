"""The device's sync client when the server is unavailable or refuses it, against the app in
process behind a network that answers for the server first (a 503 with or without
`Retry-After`, a 429, a 401, a dropped connection) and then lets requests through: it waits
an exponential backoff with jitter, the server's `Retry-After` a floor, and goes on from its
queue; a refusal of its credentials stops it at once with the queue untouched."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.device import SyncRefused, SyncUnavailable
from lyceum.adaptive.models import QuestionAttempt
from lyceum.adaptive.sync.backoff import BASE_SECONDS
from tests.adaptive.sync_world import build_world, device

Answer = httpx.Response | type[httpx.TransportError]


class Interrupting(httpx.AsyncBaseTransport):
    """Answers the first requests itself (a response, or a transport error), then passes
    every request to the app."""

    def __init__(self, app: FastAPI, answers: list[Answer]) -> None:
        self.inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.answers = deque(answers)
        self.reached_server = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.answers:
            answer = self.answers.popleft()
            if isinstance(answer, httpx.Response):
                return answer
            raise answer("the network failed", request=request)
        self.reached_server += 1
        return await self.inner.handle_async_request(request)


def unavailable(retry_after: str | None = None, status: int = 503) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, headers=headers, json={"detail": "try again later"})


async def attempts_on_server(db: AsyncSession, student_id: object) -> int:
    count = await db.scalar(
        select(func.count()).select_from(QuestionAttempt)
        .where(QuestionAttempt.student_id == student_id)
    )  # fmt: skip
    return int(count or 0)


async def test_the_client_backs_off_and_then_delivers_the_queue(
    app: FastAPI, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    network = Interrupting(
        app,
        [unavailable("7"), unavailable(), httpx.ConnectError, unavailable("2", status=429)],
    )
    async with device(app, tmp_path, student, "phone", transport=network) as phone:
        waits: list[float] = []

        async def record(seconds: float) -> None:
            waits.append(seconds)

        phone.client.sleep = record
        # The device's first sync (its student's rows come down) goes through the failures.
        await phone.client.sync(max_failures=10)
        assert len(waits) == 4
        # Retry-After is a floor; otherwise the wait is drawn under 0.5 s · 2^(n-1).
        assert waits[0] >= 7
        assert 0 <= waits[1] <= BASE_SECONDS * 2
        assert 0 <= waits[2] <= BASE_SECONDS * 4
        assert waits[3] >= 2
        assert (await phone.store.state()).last_error is None

        for question in world.questions[:3]:
            await phone.answer(question, world.answers[question.id][0])
        network.answers.extend([unavailable(), unavailable()])
        summary = await phone.client.sync(max_failures=10)
        assert summary.push.applied == 3
        assert await attempts_on_server(db_session, student.id) == 3
        assert (await phone.store.counts()).completed == 3


async def test_a_server_that_stays_down_leaves_the_queue_and_says_why(
    app: FastAPI, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    network = Interrupting(app, [])
    async with device(app, tmp_path, student, "phone", transport=network) as phone:
        await phone.client.sync()
        await phone.answer(world.questions[0], world.answers[world.questions[0].id][0])
        network.answers.extend([unavailable("1")] * 3)
        with pytest.raises(SyncUnavailable):
            await phone.client.sync(max_failures=3)
        state = await phone.store.state()
        assert state.last_error is not None and "503" in state.last_error
        counts = await phone.store.counts()
        assert counts.waiting == 1 and counts.failed == 0
        # Once the server is back, the operation goes.
        assert (await phone.client.sync()).push.applied == 1


async def test_a_refused_token_stops_the_sync_at_once_and_keeps_the_queue(
    app: FastAPI, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    network = Interrupting(app, [])
    async with device(app, tmp_path, student, "phone", transport=network) as phone:
        await phone.client.sync()
        await phone.answer(world.questions[0], world.answers[world.questions[0].id][0])
        waits: list[float] = []

        async def record(seconds: float) -> None:
            waits.append(seconds)

        phone.client.sleep = record
        before = network.reached_server
        # The real server refuses an expired or foreign token with 401: no retry would help.
        phone.http.headers["Authorization"] = "Bearer not-a-token"
        with pytest.raises(SyncRefused):
            await phone.client.sync(max_failures=10)
        assert waits == []
        assert network.reached_server == before + 1
        counts = await phone.store.counts()
        assert counts.waiting == 1 and counts.failed == 0
        assert await attempts_on_server(db_session, student.id) == 0
