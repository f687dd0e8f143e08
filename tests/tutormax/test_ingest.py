"""Feeding TutorMax through the API: batches written whole or not at all, idempotent by id,
every bad row reported with its reason."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.models import Session, StudentFeedback, Tutor, TutorEvent
from tests.fixtures.tokens import token_for

BASE = "/api/tutormax/ingest"


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _tutor(tutor_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "tutor_id": tutor_id,
        "name": f"Tutor {tutor_id}",
        "email": f"{tutor_id.lower()}@example.org",
        "onboarding_date": "2026-01-05T09:00:00Z",
        "subjects": ["Algebra"],
        "status": "active",
        "baseline_sessions_per_week": 6.0,
        **overrides,
    }


def _session(session_id: str, tutor_id: str, student_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "tutor_id": tutor_id,
        "student_id": student_id,
        "subject": "Algebra",
        "scheduled_start": "2026-10-01T15:00:00Z",
        "duration_minutes": 60,
        "status": "scheduled",
        **overrides,
    }


async def _people(client: httpx.AsyncClient, tag: str) -> tuple[str, str, dict[str, str]]:
    writer = token_for("operator")
    tutor, student = f"T-{tag}", f"S-{tag}"
    answer = await client.post(f"{BASE}/tutors", headers=writer, json={"items": [_tutor(tutor)]})
    assert answer.status_code == 200, answer.text
    answer = await client.post(
        f"{BASE}/student",
        headers=writer,
        json={"student_id": student, "name": "Sam", "grade_level": "9"},
    )
    assert answer.status_code == 200, answer.text
    return tutor, student, writer


async def test_a_batch_is_created_then_unchanged_then_updated(client: httpx.AsyncClient) -> None:
    tag = _tag()
    tutor, student, writer = await _people(client, tag)
    sessions = [_session(f"SES-{tag}-{n}", tutor, student) for n in range(3)]

    first = (await client.post(f"{BASE}/sessions", headers=writer, json={"items": sessions})).json()
    assert (first["received"], first["created"], first["updated"], first["unchanged"]) == (
        3,
        3,
        0,
        0,
    )
    assert [row["id"] for row in first["rows"]] == [s["session_id"] for s in sessions]

    again = (await client.post(f"{BASE}/sessions", headers=writer, json={"items": sessions})).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)

    sessions[1] |= {
        "status": "completed",
        "actual_start": "2026-10-01T15:02:00Z",
        "actual_duration_minutes": 58,
        "engagement_score": 0.8,
    }
    update = (
        await client.post(f"{BASE}/sessions", headers=writer, json={"items": sessions})
    ).json()
    assert [row["outcome"] for row in update["rows"]] == ["unchanged", "updated", "unchanged"]


async def test_a_bad_row_is_reported_and_nothing_is_written(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tag = _tag()
    tutor, student, writer = await _people(client, tag)
    sessions = [
        _session(f"SES-{tag}-0", tutor, student),
        _session(f"SES-{tag}-1", "T-nobody", student),
        _session(f"SES-{tag}-2", tutor, student),
        _session(f"SES-{tag}-0", tutor, student),
    ]
    answer = await client.post(f"{BASE}/sessions", headers=writer, json={"items": sessions})
    assert answer.status_code == 409
    body = answer.json()
    assert "2 of 4 sessions cannot be stored, so none was" in body["error"]["message"]
    problems = {(p["row"], p["problem"]) for p in body["error"]["details"]}
    assert (1, "tutor T-nobody is unknown: send it first") in problems
    assert (3, f"session SES-{tag}-0 is also row 0 of this batch") in problems
    stored = await db_session.scalar(
        select(func.count()).select_from(Session).where(Session.tutor_id == tutor)
    )
    assert stored == 0


async def test_rows_breaking_the_rules_are_refused_by_shape_with_their_position(
    client: httpx.AsyncClient,
) -> None:
    tag = _tag()
    tutor, student, writer = await _people(client, tag)
    completed_without_start = _session(f"SES-{tag}-0", tutor, student, status="completed")
    unix_time = _session(f"SES-{tag}-1", tutor, student, scheduled_start=1_790_000_000)
    answer = await client.post(
        f"{BASE}/sessions",
        headers=writer,
        json={"items": [completed_without_start, unix_time, {**unix_time, "colour": "red"}]},
    )
    assert answer.status_code == 422
    locations = [tuple(problem["loc"]) for problem in answer.json()["error"]["details"]]
    # Which fields a session carries follows its status (the document says so too).
    assert ("body", "items", 0, "completed", "actual_start") in locations
    assert ("body", "items", 1, "open", "scheduled_start") in locations
    assert ("body", "items", 2, "open", "colour") in locations


async def test_feedback_must_name_the_sessions_own_parties_and_is_one_per_session(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tag = _tag()
    tutor, student, writer = await _people(client, tag)
    other, _, _ = await _people(client, _tag())
    session_id = f"SES-{tag}"
    await client.post(f"{BASE}/session", headers=writer, json=_session(session_id, tutor, student))
    rating = {
        "session_id": session_id,
        "tutor_id": tutor,
        "student_id": student,
        "overall_rating": 4,
        "submitted_at": "2026-10-01T17:00:00Z",
    }
    wrong = await client.post(f"{BASE}/rating", headers=writer, json={**rating, "tutor_id": other})
    assert wrong.status_code == 409
    assert f"not {other} and {student}" in wrong.json()["error"]["message"]

    assert (await client.post(f"{BASE}/rating", headers=writer, json=rating)).json()["created"] == 1
    changed = await client.post(
        f"{BASE}/rating", headers=writer, json={**rating, "overall_rating": 2}
    )
    assert changed.json()["updated"] == 1
    ratings = (
        await db_session.execute(
            select(StudentFeedback.overall_rating).where(StudentFeedback.session_id == session_id)
        )
    ).scalars()
    assert list(ratings) == [2]


async def test_events_are_facts_a_retry_changes_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tag = _tag()
    tutor, _, writer = await _people(client, tag)
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "tutor_id": tutor,
            "event_type": "message_response",
            "event_timestamp": "2026-10-02T08:00:00Z",
            "metadata": {"minutes_to_respond": 12},
        },
        {
            "event_id": str(uuid.uuid4()),
            "tutor_id": tutor,
            "event_type": "login",
            "event_timestamp": "2026-10-02T07:59:00+02:00",
        },
    ]
    first = (await client.post(f"{BASE}/events", headers=writer, json={"items": events})).json()
    assert first["created"] == 2
    events[0]["metadata"] = {"minutes_to_respond": 99}
    retry = (await client.post(f"{BASE}/events", headers=writer, json={"items": events})).json()
    assert retry["unchanged"] == 2 and retry["created"] == 0
    stored = await db_session.scalar(
        select(func.count()).select_from(TutorEvent).where(TutorEvent.tutor_id == tutor)
    )
    assert stored == 2
    minutes = await db_session.scalar(
        text(
            "SELECT metadata->>'minutes_to_respond' FROM tutormax.tutor_events WHERE event_id = :id"
        ),
        {"id": events[0]["event_id"]},
    )
    assert minutes == "12"


async def test_tutor_emails_stay_unique_and_churn_needs_its_date(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tag = _tag()
    tutor, _, writer = await _people(client, tag)
    clash = _tutor(f"T-{tag}-b", email=f"{tutor.lower()}@example.org")
    answer = await client.post(f"{BASE}/tutors", headers=writer, json={"items": [clash]})
    assert answer.status_code == 409
    assert f"belongs to tutor {tutor}" in answer.json()["error"]["message"]

    churned = _tutor(tutor, status="churned")
    answer = await client.post(f"{BASE}/tutor", headers=writer, json=churned)
    assert answer.status_code == 422
    assert ["body", "churned", "churned_at"] in [
        p["loc"] for p in answer.json()["error"]["details"]
    ]
    churned["churned_at"] = "2025-12-31T00:00:00Z"
    answer = await client.post(f"{BASE}/tutor", headers=writer, json=churned)
    assert answer.status_code == 422
    assert "churned_at cannot be before onboarding_date" in answer.json()["error"]["message"]
    churned["churned_at"] = "2026-10-20T00:00:00Z"
    assert (await client.post(f"{BASE}/tutor", headers=writer, json=churned)).json()["updated"] == 1
    status = await db_session.scalar(select(Tutor.status).where(Tutor.tutor_id == tutor))
    assert status == "churned"


async def test_readers_cannot_feed(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"{BASE}/tutors", headers=token_for("viewer"), json={"items": [_tutor("T-viewer")]}
    )
    assert answer.status_code == 403
