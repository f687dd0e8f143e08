"""Study plans and the profile they are made from: the current plan with its progress, redoing
the plan (`replan`: the optimizer on the student's mastery, saved as the new active plan), and
reading and changing the profile (exam date, weekly hours, target marks).

A profile change is stamped like a device's (hybrid logical clock, per field: `sync/merge.py`)
so a later device edit still wins over it and an older one loses; it queues a replan.
The callers check who may see the student first (`learner.check_access`).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.models import StudyPlan
from lyceum.adaptive.planning.optimize import make_plan
from lyceum.adaptive.planning.types import PlanRequest
from lyceum.adaptive.repository import learning as repository
from lyceum.adaptive.repository import plans as plan_repository
from lyceum.adaptive.repository import sync as ledger
from lyceum.adaptive.repository.learning import ProfileRow
from lyceum.adaptive.repository.plans import EventRow, PlanRow
from lyceum.adaptive.schemas_learning import (
    LearnerProfile,
    PlanDay,
    PlanItemView,
    PlanProgress,
    PlanProgressUpdate,
    PlanView,
    ProfileUpdate,
)
from lyceum.adaptive.service import replanning
from lyceum.adaptive.service.learner import NO_SUCH_STUDENT, WEB_DEVICE, load_learner
from lyceum.adaptive.sync import FieldWrite, HybridClock, merge_profile_fields
from lyceum.adaptive.sync.clock import Clock
from lyceum.adaptive.sync.merge import DEVICE_FIELDS
from lyceum.core.errors import InvalidInput, NotFound
from lyceum.core.ids import uuid7

# The node of the server's own stamps: stamps order by time and counter first, the node only
# breaks an exact tie.
SERVER_NODE = "server"
# What study_plans.method holds (a planner's longer description is cut, not refused).
METHOD_LENGTH: int = StudyPlan.__table__.c.method.type.length  # type: ignore[attr-defined]


async def _profile(db: AsyncSession, student_id: uuid.UUID, *, lock: bool = False) -> ProfileRow:
    found = await repository.profile(db, student_id, for_update=lock)
    if found is None:
        raise NotFound(f"{NO_SUCH_STUDENT} (or the student has no profile yet)")
    return found


# ---- the current plan ----------------------------------------------------------------------


Item = tuple[date, str | None]


def _done(events: list[EventRow]) -> tuple[set[Item], set[Item]]:
    """(completed, skipped) as (day, concept code or None for the whole day); the last event
    about an item decides."""
    last: dict[Item, str] = {}
    for event in events:
        if event.kind in ("completed", "skipped"):
            last[(event.day, event.concept_code)] = event.kind
    completed = {key for key, kind in last.items() if kind == "completed"}
    skipped = {key for key, kind in last.items() if kind == "skipped"}
    return completed, skipped


def plan_view(
    plan: PlanRow, events: list[EventRow], today: date, target_marks: float | None
) -> PlanView:
    completed, skipped = _done(events)
    days: list[PlanDay] = []
    for entry in plan.schedule:
        day = date.fromisoformat(entry["date"])
        raw_items: list[dict[str, Any]] = entry.get("items") or [
            {"concept_code": code, "concept_name": code, "minutes": 0, "kind": "learn",
             "expected_gain": 0.0, "reason": ""}
            for code in entry.get("concept_codes", [])
        ]  # fmt: skip
        items = [
            PlanItemView(
                **item,
                done=(day, item["concept_code"]) in completed or (day, None) in completed,
                skipped=(day, item["concept_code"]) in skipped or (day, None) in skipped,
            )
            for item in raw_items
        ]
        days.append(
            PlanDay(
                date=day,
                minutes=int(entry.get("minutes", sum(i.minutes for i in items))),
                completed_minutes=sum(i.minutes for i in items if i.done),
                items=items,
            )
        )
    every = [item for day in days for item in day.items]
    return PlanView(
        plan_id=plan.id,
        student_id=plan.student_id,
        status=plan.status,
        generated_at=plan.generated_at,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        exam_date=plan.exam_date,
        hours_per_week=plan.hours_per_week,
        expected_marks=plan.expected_marks,
        baseline_marks=plan.baseline_marks,
        method=plan.method,
        target_marks=target_marks,
        today=next((d for d in days if d.date == today), None),
        days=days,
        progress=PlanProgress(
            planned_minutes=sum(d.minutes for d in days),
            completed_minutes=sum(d.completed_minutes for d in days),
            items=len(every),
            completed_items=sum(1 for i in every if i.done),
            skipped_items=sum(1 for i in every if i.skipped and not i.done),
            minutes_due_by_today=sum(d.minutes for d in days if d.date <= today),
        ),
    )


async def record_progress(
    db: AsyncSession, student_id: uuid.UUID, body: PlanProgressUpdate, now: datetime
) -> PlanView:
    """Append a progress event to the student's active plan (the web's "done" button; a
    device appends the same rows through the sync) and return the plan with it."""
    profile = await _profile(db, student_id)
    plan = await plan_repository.active_plan(db, student_id)
    if plan is None:
        raise NotFound("this student has no study plan yet: there is nothing to mark")
    day = next((e for e in plan.schedule if e["date"] == body.day.isoformat()), None)
    if day is None:
        raise InvalidInput(f"the plan has nothing on {body.day.isoformat()}")
    items = day.get("items") or []
    if body.concept_code is None:
        planned = int(day.get("minutes", 0))
    else:
        item = next((i for i in items if i["concept_code"] == body.concept_code), None)
        if item is None:
            raise InvalidInput(f"the plan has no {body.concept_code} on {body.day.isoformat()}")
        planned = int(item["minutes"])
    # The change log's trigger on study_plan_events takes its lock: take it first, as a push.
    await ledger.lock_change_log(db)
    await ledger.insert_plan_events(
        db,
        [
            ledger.PlanEventRow(
                id=uuid7(), plan_id=plan.id, student_id=student_id, kind=body.kind.value,
                day=body.day, concept_code=body.concept_code,
                minutes=planned if body.minutes is None else body.minutes,
                occurred_at=now, device_id=WEB_DEVICE, sync_operation_id=None,
            )
        ],
    )  # fmt: skip
    events = await plan_repository.plan_events(db, plan.id)
    return plan_view(plan, events, now.date(), profile.target_marks)


async def current_plan(db: AsyncSession, student_id: uuid.UUID, today: date) -> PlanView | None:
    """The active plan with its progress (None: no plan yet)."""
    profile = await _profile(db, student_id)
    plan = await plan_repository.active_plan(db, student_id)
    if plan is None:
        return None
    events = await plan_repository.plan_events(db, plan.id)
    return plan_view(plan, events, today, profile.target_marks)


# ---- redoing it ----------------------------------------------------------------------------


def _plannable(profile: ProfileRow, now: datetime) -> str | None:
    """Why no plan can be made, or None."""
    if profile.exam_date is None:
        return "the profile has no exam date; set one to get a study plan"
    if profile.exam_date <= now.date():
        return "the exam date is today or past; set the next exam's date to get a study plan"
    return None


async def replan(db: AsyncSession, student_id: uuid.UUID, now: datetime) -> PlanView:
    """Make the plan from the profile and current mastery now, and save it as the active plan
    (the previous one archived) in the caller's transaction."""
    profile = await _profile(db, student_id)
    reason = _plannable(profile, now)
    if reason is not None:
        raise InvalidInput(reason)
    assert profile.exam_date is not None
    learner = await load_learner(db, profile)
    request = PlanRequest(
        now=now,
        exam_date=profile.exam_date,
        hours_per_week=profile.available_hours_per_week,
        concepts=learner.concepts,
    )
    # The optimizer is CPU work (HiGHS, up to a few hundred ms): off the event loop.
    plan = await asyncio.to_thread(make_plan, request)
    topic_of = {c.code: c.topic_code for c in learner.concepts}
    topics = list(dict.fromkeys(topic_of[item.concept_code] for item in plan.items))
    # The change log's lock first, then the profile row (the order a push takes them): two
    # replans of one student take turns, and the one saved last is the active one.
    await ledger.lock_change_log(db)
    await _profile(db, student_id, lock=True)
    plan_id = await plan_repository.replace_active_plan(
        db,
        plan_repository.NewPlan(
            student_id=student_id,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            schedule=plan.schedule_json(),
            topic_codes=topics,
            expected_marks=plan.expected_marks,
            baseline_marks=plan.baseline_marks,
            method=plan.method[:METHOD_LENGTH],
            exam_date=profile.exam_date,
            hours_per_week=profile.available_hours_per_week,
        ),
    )
    saved = await plan_repository.active_plan(db, student_id)
    assert saved is not None and saved.id == plan_id
    return plan_view(saved, [], now.date(), profile.target_marks)


async def replan_in_background(db: AsyncSession, student_id: uuid.UUID, now: datetime) -> str:
    """The job's replan: a student with nothing to plan is skipped, not an error (the job
    would only fail again)."""
    profile = await repository.profile(db, student_id)
    if profile is None:
        return "skipped: no such student"
    reason = _plannable(profile, now)
    if reason is not None:
        return f"skipped: {reason}"
    view = await replan(db, student_id, now)
    return f"plan {view.plan_id}: {view.expected_marks:.1f} expected marks"


# ---- the profile ---------------------------------------------------------------------------


def _profile_view(profile: ProfileRow) -> LearnerProfile:
    return LearnerProfile(
        student_id=profile.student_id,
        grade=profile.grade,
        exam_date=profile.exam_date,
        available_hours_per_week=profile.available_hours_per_week,
        target_marks=profile.target_marks,
        class_id=profile.class_id,
        updated_at=profile.updated_at,
    )


async def get_profile(db: AsyncSession, student_id: uuid.UUID) -> LearnerProfile:
    return _profile_view(await _profile(db, student_id))


def server_stamp(clocks: dict[str, str], now: datetime) -> str:
    """A stamp later than every stamp the profile holds, on the server's clock."""
    held = [Clock.decode(stamp) for stamp in clocks.values()]
    clock = HybridClock(SERVER_NODE, max(held) if held else None)
    return clock.now(int(now.timestamp() * 1000)).encode()


async def update_profile(
    db: AsyncSession, student_id: uuid.UUID, body: ProfileUpdate, now: datetime
) -> LearnerProfile:
    """Change the fields sent; a change queues the student's replan."""
    sent = body.model_fields_set
    if not sent:
        raise InvalidInput("send at least one of exam_date, available_hours_per_week, target_marks")
    if "available_hours_per_week" in sent and body.available_hours_per_week is None:
        raise InvalidInput("available_hours_per_week cannot be null; send 0 for no study time")
    if body.exam_date is not None and body.exam_date < now.date():
        raise InvalidInput("exam_date is in the past")
    await ledger.lock_change_log(db)
    profile = await _profile(db, student_id, lock=True)
    current = {name: getattr(profile, name) for name in DEVICE_FIELDS}
    stamp = server_stamp(profile.field_clocks, now)
    writes = {
        name: FieldWrite(getattr(body, name), stamp) for name in DEVICE_FIELDS if name in sent
    }
    changed, clocks = merge_profile_fields(current, profile.field_clocks, writes)
    if "target_marks" in sent and body.target_marks != profile.target_marks:
        changed["target_marks"] = body.target_marks
    if changed or clocks != profile.field_clocks:
        await repository.write_profile(db, profile.id, changed, clocks)
    if changed:
        await replanning.request_replan(db, student_id)
    return _profile_view(await _profile(db, student_id))


__all__ = [
    "SERVER_NODE",
    "current_plan",
    "get_profile",
    "plan_view",
    "replan",
    "replan_in_background",
    "server_stamp",
    "update_profile",
]
