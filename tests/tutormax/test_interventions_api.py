"""The interventions API through the real app: roles, the lifecycle, errors as sentences,
the list's filters and pages, the CSV export and the audit trail."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import InterventionOutcome, InterventionStatus
from lyceum.tutormax.repository.interventions import InterventionFilters
from lyceum.tutormax.service import interventions as service
from tests.fixtures.tokens import token_for
from tests.tutormax.intervention_rows import (
    DAY,
    add_metrics,
    add_prediction,
    add_tutor,
    engine_rules,
)

BASE = "/api/tutormax/interventions"


# Tokens are made when a test runs, not at import: they expire, and a full run is longer.
def OPERATOR() -> dict[str, str]:
    return token_for("operator", subject="olu@example.com")


def ADMIN() -> dict[str, str]:
    return token_for("admin", subject="ada@example.com")


def VIEWER() -> dict[str, str]:
    return token_for("viewer", subject="vic@example.com")


def TUTOR() -> dict[str, str]:
    return token_for("tutor", subject="T00001")


async def _create(
    client: httpx.AsyncClient, tutor: str, headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    body = {
        "tutor_id": tutor,
        "intervention_type": "peer_mentoring",
        "trigger_reason": "Pair with a mentor for a month",
    } | fields
    return await client.post(BASE, headers=headers or OPERATOR(), json=body)


async def test_operators_run_an_intervention_from_creation_to_outcome(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor = await add_tutor(db_session, name="Dee Tutor")
    await db_session.commit()

    created = await _create(client, tutor, due_date="2026-10-09", priority=2)
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["status"], item["priority"], item["tutor_name"]) == ("pending", 2, "Dee Tutor")
    # Judged on today, which is after 9 October 2026.
    assert (item["due_date"], item["owner_queue"], item["overdue"]) == (
        "2026-10-09",
        "tutor-success",
        True,
    )
    url = f"{BASE}/{item['intervention_id']}"

    assigned = await client.post(
        f"{url}/assign", headers=ADMIN(), json={"assigned_to": "Coach@Example.com"}
    )
    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == "coach@example.com"
    started = await client.post(
        f"{url}/status",
        headers=OPERATOR(),
        json={"status": "in_progress", "notes": "Called, mentor found"},
    )
    assert started.json()["status"] == "in_progress"
    assert started.json()["notes"] == "Called, mentor found"
    done = await client.post(
        f"{url}/complete", headers=OPERATOR(), json={"outcome": "improved", "notes": "Ratings up"}
    )
    assert done.status_code == 200, done.text
    final = done.json()
    assert (final["status"], final["outcome"], final["overdue"]) == ("completed", "improved", False)
    assert final["completed_at"] is not None

    trail = (await client.get(f"{url}/audit", headers=VIEWER())).json()
    assert trail["intervention_id"] == item["intervention_id"]
    assert [(e["action"], e["actor"]) for e in trail["entries"]] == [
        ("created", "olu@example.com"),
        ("assigned", "ada@example.com"),
        ("status_changed", "olu@example.com"),
        ("completed", "olu@example.com"),
    ]
    assert trail["entries"][1]["old_values"] == {"assigned_to": None}
    assert trail["entries"][3]["new_values"]["outcome"] == "improved"
    assert (await client.get(url, headers=VIEWER())).json() == final


async def test_viewers_read_but_cannot_write_and_tutors_see_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor = await add_tutor(db_session)
    await db_session.commit()
    item = (await _create(client, tutor)).json()
    url = f"{BASE}/{item['intervention_id']}"
    writes = [
        (
            "post",
            BASE,
            {"tutor_id": tutor, "intervention_type": "recognition", "trigger_reason": "Thanks"},
        ),
        ("post", f"{url}/assign", {"assigned_to": "x@example.com"}),
        ("post", f"{url}/status", {"status": "in_progress"}),
        ("post", f"{url}/complete", {"outcome": "improved"}),
    ]
    for method, path, body in writes:
        refused = await client.request(method, path, headers=VIEWER(), json=body)
        assert refused.status_code == 403, path
        assert "needs one of the roles: admin, operator" in refused.json()["error"]["message"]
        assert (await client.request(method, path, json=body)).status_code == 401
    reads = [BASE, f"{BASE}.csv", url, f"{url}/audit"]
    for path in reads:
        assert (await client.get(path, headers=VIEWER())).status_code == 200, path
        assert (await client.get(path, headers=TUTOR())).status_code == 403, path
        assert (await client.get(path)).status_code == 401, path
    # Nothing the viewer tried changed the intervention.
    after = (await client.get(url, headers=VIEWER())).json()
    assert (after["status"], after["assigned_to"]) == ("pending", None)
    assert len((await client.get(f"{url}/audit", headers=VIEWER())).json()["entries"]) == 1


async def test_refusals_are_sentences(client: httpx.AsyncClient, db_session: AsyncSession) -> None:
    tutor = await add_tutor(db_session)
    await db_session.commit()
    item = (await _create(client, tutor)).json()
    url = f"{BASE}/{item['intervention_id']}"

    twice = await _create(client, tutor)
    assert twice.status_code == 409
    assert twice.json()["error"]["message"].startswith(
        f"tutor {tutor} already has an open peer mentoring intervention"
    )
    early = await client.post(f"{url}/complete", headers=OPERATOR(), json={"outcome": "improved"})
    assert early.status_code == 409
    assert early.json()["error"]["message"] == (
        "an intervention cannot go from pending to completed: start it first (in_progress), "
        "then complete it with an outcome"
    )
    assert early.json()["error"]["details"] == {"from": "pending", "to": "completed"}
    await client.post(f"{url}/status", headers=OPERATOR(), json={"status": "cancelled"})
    final = await client.post(f"{url}/status", headers=OPERATOR(), json={"status": "in_progress"})
    assert final.status_code == 409
    assert (
        "cannot go from cancelled to in_progress: cancelled is final"
        in (final.json()["error"]["message"])
    )
    missing = await client.get(f"{BASE}/{uuid.uuid4()}", headers=VIEWER())
    assert missing.status_code == 404 and "no intervention has the id" in missing.text
    unknown_tutor = await _create(client, "nobody")
    assert unknown_tutor.status_code == 404
    assert unknown_tutor.json()["error"]["message"] == "no tutor has the id 'nobody'"

    for body in (
        {"outcome": "improved", "colour": "red"},  # unknown field
        {"notes": "no outcome"},  # the outcome is required
        {"outcome": "delighted"},
    ):
        invalid = await client.post(f"{url}/complete", headers=OPERATOR(), json=body)
        assert invalid.status_code == 422, body
    for fields in (
        {"priority": 5},
        {"due_date": "9 October"},
        {"due_date": 20261009},
        {"assigned_to": "not an email"},
        {"intervention_type": "hug"},
        {"trigger_reason": ""},
    ):
        assert (await _create(client, tutor, **fields)).status_code == 422, fields
    bad_id = await client.get(f"{BASE}/not-a-uuid", headers=VIEWER())
    assert bad_id.status_code == 422
    bad_filter = await client.get(BASE, headers=VIEWER(), params={"status": "sleeping"})
    assert bad_filter.status_code == 422
    assert (await client.get(BASE, headers=VIEWER(), params={"colour": "red"})).status_code == 422


@pytest.fixture
async def board(db_session: AsyncSession) -> dict[str, Any]:
    """The rules' interventions for four tutors on DAY (due 5 and 6 October), one of them
    assigned, one started and one completed; committed for the app's sessions."""
    tutors = {name: await add_tutor(db_session, name=name) for name in ("Ann", "Ben", "Cat", "Dan")}
    await add_prediction(db_session, tutors["Ann"], score=80)  # interview + coaching
    await add_prediction(db_session, tutors["Ben"], score=60)  # coaching
    await add_prediction(db_session, tutors["Cat"], score=10)
    await add_metrics(db_session, tutors["Cat"], reschedule_rate=0.2)  # rescheduling alert
    await add_prediction(db_session, tutors["Dan"], score=60)  # coaching
    await service.apply_rules(db_session, DAY, rules=engine_rules())
    page = await service.intervention_page(
        db_session, InterventionFilters(), as_of=DAY, limit=50, offset=0
    )
    by_tutor = {(i.tutor_name, i.intervention_type.value): i for i in page.interventions}
    ben = by_tutor[("Ben", "manager_coaching")].intervention_id
    dan = by_tutor[("Dan", "manager_coaching")].intervention_id
    await service.assign_intervention(db_session, "lead@example.com", ben, "coach@example.com")
    await service.change_status(
        db_session, "coach@example.com", ben, InterventionStatus.IN_PROGRESS
    )
    await service.change_status(db_session, "lead@example.com", dan, InterventionStatus.IN_PROGRESS)
    await service.complete_intervention(
        db_session, "lead@example.com", dan, InterventionOutcome.NO_CHANGE
    )
    await db_session.commit()
    return {"tutors": tutors, "ids": {key: i.intervention_id for key, i in by_tutor.items()}}


async def _list(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(BASE, headers=VIEWER(), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_list_filters_orders_and_pages(
    client: httpx.AsyncClient, board: dict[str, Any]
) -> None:
    tutors = board["tutors"]
    everything = await _list(client, as_of="2026-10-07")
    assert everything["total"] == 5 and everything["as_of"] == "2026-10-07"
    order = [
        (i["status"], i["overdue"], i["priority"], i["due_date"], i["intervention_type"])
        for i in everything["interventions"]
    ]
    # Open and overdue first, most urgent, then due soonest; the completed one last. (Ann's
    # and Ben's coaching tie: opened together, with the same priority and due day.)
    assert order == [
        ("pending", True, 1, "2026-10-05", "retention_interview"),
        (order[1][0], True, 2, "2026-10-06", "manager_coaching"),
        (order[2][0], True, 2, "2026-10-06", "manager_coaching"),
        ("pending", True, 3, "2026-10-06", "rescheduling_alert"),
        ("completed", False, 2, "2026-10-06", "manager_coaching"),
    ]
    assert {order[1][0], order[2][0]} == {"pending", "in_progress"}
    assert everything["interventions"][0]["tutor_name"] == "Ann"
    assert everything["interventions"][-1]["tutor_name"] == "Dan"
    # Due days are 5 October (the interview) and 6 October (the rest): overdue after them.
    assert (await _list(client, as_of="2026-10-05", overdue="true"))["total"] == 0
    assert (await _list(client, as_of="2026-10-06", overdue="true"))["total"] == 1
    assert (await _list(client, as_of="2026-10-07", overdue="false"))["total"] == 1

    assert (await _list(client, status="in_progress"))["interventions"][0]["tutor_name"] == "Ben"
    assert (await _list(client, owner="Coach@Example.com"))["total"] == 1
    assert (await _list(client, owner="nobody@example.com"))["total"] == 0
    assert (await _list(client, queue="tutor-success"))["total"] == 5
    assert (await _list(client, tutor_id=tutors["Ann"]))["total"] == 2
    assert (await _list(client, intervention_type="manager_coaching"))["total"] == 3
    assert (
        await _list(
            client, intervention_type="manager_coaching", status="pending", tutor_id=tutors["Ann"]
        )
    )["total"] == 1

    first = await _list(client, as_of="2026-10-07", limit=2)
    second = await _list(client, as_of="2026-10-07", limit=2, offset=2)
    assert (first["total"], first["limit"], second["offset"]) == (5, 2, 2)
    names = [i["intervention_id"] for i in first["interventions"] + second["interventions"]]
    assert names == [i["intervention_id"] for i in everything["interventions"][:4]]


async def test_the_csv_export_is_the_list(client: httpx.AsyncClient, board: dict[str, Any]) -> None:
    response = await client.get(f"{BASE}.csv", headers=VIEWER(), params={"as_of": "2026-10-07"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="interventions.csv"' in response.headers["content-disposition"]
    assert response.text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(service.CSV_COLUMNS)
    listed = await _list(client, as_of="2026-10-07")
    assert [r["intervention_id"] for r in rows] == [
        i["intervention_id"] for i in listed["interventions"]
    ]
    ben = next(r for r in rows if r["tutor_name"] == "Ben")
    assert (ben["status"], ben["assigned_to"], ben["overdue"], ben["due_date"]) == (
        "in_progress",
        "coach@example.com",
        "true",
        "2026-10-06",
    )
    dan = next(r for r in rows if r["tutor_name"] == "Dan")
    assert (dan["outcome"], dan["notes"], dan["overdue"]) == ("no_change", "", "false")
    # Same filters as the list.
    filtered = await client.get(
        f"{BASE}.csv",
        headers=VIEWER(),
        params={"status": "pending", "tutor_id": board["tutors"]["Ann"]},
    )
    assert len(list(csv.DictReader(io.StringIO(filtered.text)))) == 2
    assert (
        await client.get(f"{BASE}.csv", headers=VIEWER(), params={"limit": "5"})
    ).status_code == 422


async def test_a_trigger_reason_with_commas_and_quotes_survives_the_csv(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tutor = await add_tutor(db_session)
    await db_session.commit()
    reason = 'Said "too busy", then\nmissed two sessions'
    await _create(client, tutor, trigger_reason=reason)
    text = (await client.get(f"{BASE}.csv", headers=VIEWER(), params={"tutor_id": tutor})).text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["trigger_reason"] == reason and row["due_date"] == ""
