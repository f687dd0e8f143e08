"""`POST /simulation/reset` queues `nerdboard:reset_history` in the request's transaction,
one at a time (the worker runs it: test_live.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN
from tests.fixtures.app import asgi_client

DEMO = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
RESET = "/api/nerdboard/simulation/reset"


@pytest.fixture
async def client(
    nerdboard_app: FastAPI, db_connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(nerdboard_app) as http:
        yield http


async def _reset_jobs(connection: AsyncConnection) -> list[tuple[int, str, dict[str, str]]]:
    rows = await connection.execute(
        text(
            "SELECT id, status::text, args FROM lyceum.procrastinate_jobs"
            " WHERE task_name = 'nerdboard:reset_history' ORDER BY id"
        )
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def test_reset_queues_one_job_and_refuses_a_second_with_409(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    accepted = await client.post(RESET, headers=DEMO)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["status"] == "resetting"
    [(job_id, status, args)] = await _reset_jobs(db_connection)
    assert body["job_id"] == job_id and status == "todo"
    assert args["who"].startswith("demo")
    again = await client.post(RESET, headers=DEMO)
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "conflict"
    assert (
        error["message"] == f"job {job_id} (nerdboard:reset_history) is already queued or running"
    )
    # While the worker runs it, too.
    await db_connection.execute(
        text("UPDATE lyceum.procrastinate_jobs SET status = 'doing' WHERE id = :id"),
        {"id": job_id},
    )
    assert (await client.post(RESET, headers=DEMO)).status_code == 409
    assert len(await _reset_jobs(db_connection)) == 1


async def test_a_refused_reset_request_queues_nothing(
    client: httpx.AsyncClient, db_connection: AsyncConnection
) -> None:
    viewer = await client.post(RESET, headers={"Authorization": "Bearer not-a-token"})
    assert viewer.status_code == 401
    assert await _reset_jobs(db_connection) == []


def test_the_reset_is_documented_with_its_job_id_and_409(nerdboard_app: FastAPI) -> None:
    operation = nerdboard_app.openapi()["paths"][RESET]["post"]
    assert "202" in operation["responses"]
    schema = operation["responses"]["202"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/ResetAccepted")
    assert "job_id" in nerdboard_app.openapi()["components"]["schemas"]["ResetAccepted"]["required"]
