"""TutorMax's API: the tutor list and a tutor's activity, through the real app."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.tokens import token_for
from tests.tutormax.rows import COMPLETED, DAY, Parties, base_row, insert_row

BASE = "/api/tutormax"


async def _tutor(db: AsyncSession, **overrides: object) -> str:
    return str(await insert_row(db, "tutors", {**base_row("tutors"), **overrides}))


async def test_tutors_are_listed_filtered_and_paged(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    viewer = token_for("viewer")
    ada = await _tutor(db_session, name="Ada", subjects=["Physics", "Math"])
    bob = await _tutor(db_session, name="Bob", subjects=["Chemistry"])
    await _tutor(db_session, name="Cy", subjects=["Physics"], status="inactive")
    await db_session.commit()

    page = (await client.get(f"{BASE}/tutors", headers=viewer, params={"limit": 2})).json()
    assert page["total"] >= 3 and page["limit"] == 2 and len(page["tutors"]) == 2
    physics = await client.get(
        f"{BASE}/tutors",
        headers=viewer,
        params={"subject": "Physics", "status": "active"},
    )
    assert physics.status_code == 200
    assert [t["tutor_id"] for t in physics.json()["tutors"]] == [ada]
    assert physics.json()["total"] == 1
    chemistry = (await client.get(f"{BASE}/tutors?subject=Chemistry", headers=viewer)).json()
    assert [t["tutor_id"] for t in chemistry["tutors"]] == [bob]


async def test_a_tutor_shows_their_activity_over_a_window(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    viewer = token_for("viewer")
    tutor = await _tutor(db_session)
    student = str(await insert_row(db_session, "students", base_row("students")))
    parties = Parties(tutor, student, "")
    for day in range(3):
        session = {**base_row("sessions", parties), **COMPLETED}
        session["scheduled_start"] = DAY + timedelta(days=day)
        session["actual_start"] = DAY + timedelta(days=day)
        await insert_row(db_session, "sessions", session)
    await db_session.commit()

    response = await client.get(
        f"{BASE}/tutors/{tutor}",
        headers=viewer,
        params={"days": 7, "until": (DAY + timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tutor_id"] == tutor and "@" in body["email"]
    assert body["activity"]["total_sessions"] == 3
    assert body["activity"]["days"] == 7
    # A window that ends before the sessions sees none of them.
    before = await client.get(
        f"{BASE}/tutors/{tutor}", headers=viewer, params={"until": DAY.isoformat()}
    )
    assert before.json()["activity"]["total_sessions"] == 0


async def test_unknown_tutors_and_bad_parameters_are_explained(client: httpx.AsyncClient) -> None:
    viewer = token_for("viewer")
    missing = await client.get(f"{BASE}/tutors/no-such-tutor", headers=viewer)
    assert missing.status_code == 404
    assert "no-such-tutor" in missing.json()["error"]["message"]
    naive = await client.get(
        f"{BASE}/tutors/x", headers=viewer, params={"until": "2025-03-03T10:00:00"}
    )
    assert naive.status_code == 422
    assert "until" in naive.json()["error"]["message"]
    status = await client.get(f"{BASE}/tutors?status=sleeping", headers=viewer)
    assert status.status_code == 422
    assert (await client.get(f"{BASE}/tutors")).status_code == 401


@pytest.mark.parametrize(
    "until",
    [
        "0.5",  # found by schemathesis: read as a Unix time (1970-01-01T00:00:00.5Z)
        "1700000000",
        "2025-03-03T10:00Z",
        "2025-03-03 10:00:00Z",
        "2025-03-03T10:00:00+0530",
    ],
)
async def test_until_is_only_the_documented_date_time(
    client: httpx.AsyncClient, until: str
) -> None:
    """`until` is `format: date-time` in the OpenAPI document (RFC 3339); other forms
    Pydantic would read are refused, not silently taken for another instant."""
    response = await client.get(
        f"{BASE}/tutors/x", headers=token_for("viewer"), params={"until": until}
    )
    assert response.status_code == 422
    assert "RFC 3339" in response.json()["error"]["message"]


async def test_until_accepts_every_rfc3339_form(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor = await _tutor(db_session)
    await db_session.commit()
    for until in (
        "2025-03-03T10:00:00Z",
        "2025-03-03t10:00:00z",
        "2025-03-03T10:00:00.250+05:30",
        "2025-03-03T10:00:00-00:00",
    ):
        response = await client.get(
            f"{BASE}/tutors/{tutor}", headers=token_for("viewer"), params={"until": until}
        )
        assert response.status_code == 200, (until, response.text)
