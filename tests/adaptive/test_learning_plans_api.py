"""The learning API's plans, profile and class views (issue 18, items 4 and 5) over HTTP on
PostgreSQL: the plan is redone and saved with what it promises; the profile's changes are
stamped like a device's; the class heatmap and shortfalls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import PlanEventKind, StudyPlanStatus
from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.models import (
    Class,
    StudentProfile,
    StudyPlan,
    StudyPlanEvent,
)
from lyceum.adaptive.sync import Clock
from tests.adaptive.learning_api_world import (
    BASE,
    EXAM,
    answer,
    replan_jobs,
    set_exam,
    staff_headers,
    student_url,
)
from tests.adaptive.rows import suffix
from tests.adaptive.sync_world import (
    build_world,
    plan_event_op,
    profile_op,
    push_ops,
    student_headers,
)

# ---- plans and the profile -----------------------------------------------------------------


async def test_the_plan_is_redone_and_saved_with_what_it_promises(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    url, headers = student_url(student, "plan"), student_headers(student)
    refused = await client.post(url, headers=headers)
    assert refused.status_code == 422
    assert "no exam date" in refused.json()["error"]["message"]
    missing = await client.get(url, headers=headers)
    assert missing.status_code == 404 and "no study plan yet" in missing.json()["error"]["message"]

    changed = await client.patch(
        student_url(student, "profile"),
        headers=headers,
        json={"exam_date": EXAM.isoformat(), "target_marks": 5.5},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["exam_date"] == EXAM.isoformat() and changed.json()["target_marks"] == 5.5
    assert [status for status, _ in await replan_jobs(db_session, student.id)] == ["todo"]

    first = (await client.post(url, headers=headers)).json()
    assert first["exam_date"] == EXAM.isoformat() and first["hours_per_week"] == 6.0
    assert first["expected_marks"] >= first["baseline_marks"] > 0
    assert first["method"] and first["days"] and first["today"] is not None
    assert first["progress"]["completed_items"] == 0
    items = [item for day in first["days"] for item in day["items"]]
    assert all(item["reason"] and item["minutes"] > 0 for item in items)
    # Within the hours: 6 h a week.
    assert sum(day["minutes"] for day in first["days"]) <= 6 * 60 * (len(first["days"]) / 7 + 1)

    # Practice moves mastery; the plan made after it is saved in place of the first.
    for question in world.questions[:3]:
        await client.post(student_url(student, "attempts"), headers=headers,
                          json=answer(world, question))  # fmt: skip
    second = (await client.post(url, headers=headers)).json()
    assert second["plan_id"] != first["plan_id"]
    plans = (await db_session.execute(
        select(StudyPlan.id, StudyPlan.status, StudyPlan.expected_marks, StudyPlan.schedule)
        .where(StudyPlan.student_id == student.id)
    )).all()  # fmt: skip
    statuses = {str(row[0]): row[1] for row in plans}
    assert statuses == {first["plan_id"]: StudyPlanStatus.ARCHIVED,
                        second["plan_id"]: StudyPlanStatus.ACTIVE}  # fmt: skip
    saved = next(row for row in plans if str(row[0]) == second["plan_id"])
    assert saved[2] == pytest.approx(second["expected_marks"])
    assert saved[3][0]["items"] and saved[3][0]["date"] == datetime.now(UTC).date().isoformat()
    assert second["expected_marks"] != first["expected_marks"]
    current = (await client.get(url, headers=headers)).json()
    assert current["plan_id"] == second["plan_id"] and current["target_marks"] == 5.5


async def test_the_plans_progress_comes_from_the_devices_plan_events(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    await set_exam(db_session, world)
    student = world.students[0]
    url, headers = student_url(student, "plan"), student_headers(student)
    plan = (await client.post(url, headers=headers)).json()
    today = plan["today"]
    assert today is not None and today["completed_minutes"] == 0
    first, *rest = today["items"]
    now = datetime.now(UTC)
    plan_id = uuid.UUID(plan["plan_id"])

    def event(kind: str, item: dict[str, Any]) -> dict[str, Any]:
        op = plan_event_op(student.id, plan_id, "phone-1", kind=kind, minutes=item["minutes"],
                           occurred_at=now)  # fmt: skip
        op["payload"]["concept_code"] = item["concept_code"]  # this item, not the whole day
        return op

    events = [event("completed", first)] + ([event("skipped", rest[0])] if rest else [])
    pushed = await push_ops(client, student, "phone-1", events)
    assert pushed.json()["applied"] == len(events)

    seen = (await client.get(url, headers=headers)).json()
    day = seen["today"]
    assert day["items"][0]["done"] is True and day["completed_minutes"] == first["minutes"]
    assert all(item["done"] is False for item in day["items"][1:])
    progress = seen["progress"]
    assert progress["completed_items"] == 1
    assert progress["completed_minutes"] == first["minutes"]
    assert progress["skipped_items"] == (1 if rest else 0)
    assert progress["planned_minutes"] == sum(d["minutes"] for d in seen["days"])
    assert progress["minutes_due_by_today"] == today["minutes"]


async def test_the_student_marks_an_item_done_online_and_devices_pull_it(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    await set_exam(db_session, world)
    student, other = world.students
    url, headers = student_url(student, "plan"), student_headers(student)
    plan = (await client.post(url, headers=headers)).json()
    first = plan["today"]["items"][0]
    body = {
        "kind": "completed",
        "day": plan["today"]["date"],
        "concept_code": first["concept_code"],
    }
    marked = await client.post(f"{url}/progress", headers=headers, json=body)
    assert marked.status_code == 200, marked.text
    day = marked.json()["today"]
    assert day["items"][0]["done"] is True and day["completed_minutes"] == first["minutes"]
    rows = (
        await db_session.execute(
            select(StudyPlanEvent.device_id, StudyPlanEvent.minutes, StudyPlanEvent.kind).where(
                StudyPlanEvent.student_id == student.id
            )
        )
    ).all()
    assert rows == [("web", first["minutes"], PlanEventKind.COMPLETED)]
    # The student's devices pull the event like one a device recorded.
    pulled = await client.get(
        f"{BASE}/sync/pull", headers=headers, params={"device_id": "phone-9", "cursor": 0}
    )
    kinds = [c["entity_type"] for c in pulled.json()["changes"]]
    assert "study_plan_event" in kinds
    # Not in the plan: a sentence, nothing written. Another student (or a teacher): refused.
    wrong = await client.post(f"{url}/progress", headers=headers,
                              json={**body, "concept_code": "NOPE"})  # fmt: skip
    assert wrong.status_code == 422 and "has no NOPE" in wrong.json()["error"]["message"]
    theirs = await client.post(f"{url}/progress", headers=student_headers(other), json=body)
    assert theirs.status_code == 403
    extra = await client.post(f"{url}/progress", headers=headers, json={**body, "x": 1})
    assert extra.status_code == 422
    count = await db_session.scalar(
        select(func.count()).where(StudyPlanEvent.student_id == student.id)
    )
    assert count == 1


async def test_a_profile_change_is_stamped_like_a_device_write(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student = world.students[0]
    headers = student_headers(student)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    # A device's edit made a minute ago reaches the server first.
    earlier = Clock(now_ms - 60_000, 0, "phone-1").encode()
    pushed = await push_ops(
        client,
        student,
        "phone-1",
        [profile_op(student.id, {"available_hours_per_week": 3.0}, earlier)],
    )
    assert pushed.json()["applied"] == 1
    url = student_url(student, "profile")
    assert (
        await client.patch(url, headers=headers, json={"available_hours_per_week": 9.5})
    ).status_code == 200
    profile = await db_session.scalar(
        select(StudentProfile).where(StudentProfile.user_id == student.id)
    )
    assert profile is not None
    await db_session.refresh(profile)
    stamp = profile.field_clocks["available_hours_per_week"]
    assert stamp > earlier and stamp.endswith("-server")
    # A device edit older than the server's change loses; a later one wins.
    older = Clock(now_ms - 1_000, 0, "tablet-2").encode()
    later = Clock(Clock.decode(stamp).wall_ms + 1, 0, "tablet-2").encode()
    await push_ops(client, student, "tablet-2",
                   [profile_op(student.id, {"available_hours_per_week": 1.0}, older)])  # fmt: skip
    assert (await client.get(url, headers=headers)).json()["available_hours_per_week"] == 9.5
    await push_ops(client, student, "tablet-2",
                   [profile_op(student.id, {"available_hours_per_week": 2.0}, later)])  # fmt: skip
    assert (await client.get(url, headers=headers)).json()["available_hours_per_week"] == 2.0

    for body, message in [
        ({}, "send at least one"),
        ({"available_hours_per_week": None}, "cannot be null"),
        ({"exam_date": "2001-01-01"}, "in the past"),
        ({"target_marks": 101}, None),
        ({"grade": 12}, None),
    ]:
        response = await client.patch(url, headers=headers, json=body)
        assert response.status_code == 422, body
        if message:
            assert message in response.json()["error"]["message"]


# ---- classes -------------------------------------------------------------------------------


async def test_the_class_heatmap_and_shortfalls(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=4)
    keen, casual, ambitious, planless = world.students
    await set_exam(db_session, world)
    targets = {keen.id: 90.0, casual.id: 0.5, ambitious.id: 50.0, planless.id: 40.0}
    for student in world.students:
        profile = await db_session.scalar(
            select(StudentProfile).where(StudentProfile.user_id == student.id)
        )
        assert profile is not None
        profile.target_marks = targets[student.id]
    await db_session.commit()
    for question in world.questions:
        await client.post(student_url(keen, "attempts"), headers=student_headers(keen),
                          json=answer(world, question))  # fmt: skip
    for student in (keen, casual, ambitious):
        made = await client.post(student_url(student, "plan"), headers=student_headers(student))
        assert made.status_code == 200
    teacher = staff_headers(world.teacher)

    heatmap = (await client.get(f"{BASE}/classes/{world.group.id}/mastery", headers=teacher)).json()
    assert heatmap["name"] == world.group.name and len(heatmap["topics"]) == 1
    rows = {row["student_id"]: row for row in heatmap["students"]}
    assert set(rows) == {str(s.id) for s in world.students}
    untouched = rows[str(casual.id)]["mastery"][0]
    assert untouched == pytest.approx(bkt.DEFAULT_PARAMS.p_init)
    assert rows[str(keen.id)]["mastery"][0] > untouched
    mine = (await client.get(student_url(keen, "mastery"), headers=student_headers(keen))).json()
    assert rows[str(keen.id)]["mastery"][0] == pytest.approx(mine["topics"][0]["mean_mastery"],
                                                             abs=1e-3)  # fmt: skip

    short = (await client.get(f"{BASE}/classes/{world.group.id}/shortfalls",
                              headers=teacher)).json()  # fmt: skip
    # A 6 %-weight topic is the whole paper here: 90 and 50 are out of reach, 0.5 is not.
    assert [s["student_id"] for s in short["students"]] == [str(keen.id), str(ambitious.id)]
    first = short["students"][0]
    assert first["gap"] == pytest.approx(first["target_marks"] - first["expected_marks"])
    assert short["without_plan"] == 1


async def test_a_class_of_another_grade_is_mapped_on_its_own_topics(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    empty = Class(name=f"XII-{suffix()}", grade=12, teacher_id=world.teacher.id)
    db_session.add(empty)
    await db_session.commit()
    heatmap = await client.get(f"{BASE}/classes/{empty.id}/mastery",
                               headers=staff_headers(world.teacher))  # fmt: skip
    assert heatmap.status_code == 200
    assert heatmap.json()["topics"] == [] and heatmap.json()["students"] == []
