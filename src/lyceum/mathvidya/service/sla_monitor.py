"""The SLA monitor (issue 16, the job `mathvidya:monitor_sla` every 5 minutes): one pass over
every open evaluation, in this order, each step idempotent so a second run at the same moment
changes nothing:

1. claims that expired before the holder started go back to the pool (`evaluation.claim_expired`)
   and on to another teacher when one has room (the former holder is passed over in this run);
2. pending evaluations (and those just released) are given to the teacher forecast to finish
   them first, as at hand-in; re-evaluation requests waiting for a teacher likewise;
3. `sla.plan_reassignments` with `sla.reassign_margin_hours`: evaluations forecast to finish
   too close to their deadline (or after it) move to a teacher who can finish them in time
   (`evaluation.reassigned`, reason `predicted_breach`, both forecasts; both teachers told);
4. every held evaluation's forecast completion is stored (`predicted_completion_at`; the time
   of the forecast, `predicted_at`, changes only when the forecast does);
5. evaluations past their deadline and still open are flagged `sla_breached` once, with one
   `evaluation.sla_breached` audit row (the UPDATE matches only unflagged rows);
6. the holder of an evaluation within `sla.warning_hours_before_deadline` working hours of its
   deadline is warned once (the outbox's dedupe key is per evaluation and holder).

Two workers: the run holds a try-only advisory lock for its transaction (a second worker
skips the run) and the load lock every assignment takes; each row it moves is re-read
`FOR UPDATE SKIP LOCKED` and re-checked, so a row a teacher is writing is left for the next
run and nothing is moved twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import outbox
from lyceum.mathvidya.enums import EvaluationStatus
from lyceum.mathvidya.repository import evaluations as repository
from lyceum.mathvidya.repository import reevaluations as requests
from lyceum.mathvidya.service.audit import SYSTEM, record
from lyceum.mathvidya.service.evaluations import (
    Workload,
    assign,
    give,
    load_workload,
    notify,
    spoken,
    working_hours_left,
)
from lyceum.mathvidya.service.exam_generation import now_or
from lyceum.mathvidya.service.reevaluations import give_to_teacher
from lyceum.mathvidya.sla import forecast_completions, plan_reassignments

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MonitorRun:
    """What one run did (all zero when another worker held the run)."""

    ran: bool = True
    claims_expired: int = 0
    assigned: int = 0
    moved: int = 0
    forecasts_changed: int = 0
    breaches: int = 0
    warnings: int = 0
    reevaluations_assigned: int = 0

    @property
    def changed(self) -> int:
        return (
            self.claims_expired
            + self.assigned
            + self.moved
            + self.forecasts_changed
            + self.breaches
            + self.warnings
            + self.reevaluations_assigned
        )


async def _release_expired_claims(
    db: AsyncSession, workload: Workload, now: datetime
) -> dict[uuid.UUID, uuid.UUID]:
    """Take back evaluations whose claim ran out before the holder started: {id: holder}."""
    released: dict[uuid.UUID, uuid.UUID] = {}
    for row in list(workload.rows.values()):
        if row.status is not EvaluationStatus.ASSIGNED or row.claim_expires_at is None:
            continue
        if row.claim_expires_at > now:
            continue
        evaluation = await repository.lock_open(db, row.id)
        if (
            evaluation is None
            or evaluation.status is not EvaluationStatus.ASSIGNED
            or evaluation.teacher_user_id is None
            or evaluation.claim_expires_at is None
            or evaluation.claim_expires_at > now
        ):
            continue
        holder = evaluation.teacher_user_id
        await repository.update_evaluation(
            db,
            evaluation.id,
            status=EvaluationStatus.PENDING,
            teacher_user_id=None,
            assigned_at=None,
            claim_expires_at=None,
            predicted_completion_at=None,
            predicted_at=None,
        )
        workload.hold(evaluation.id, None)
        workload.rows[evaluation.id] = _as_pending(row)
        await record(
            db,
            "evaluation.claim_expired",
            "evaluation",
            evaluation.id,
            actor=None,
            origin=SYSTEM,
            details={
                "teacher_id": str(holder),
                "claim_expires_at": evaluation.claim_expires_at.isoformat(),
            },
        )
        released[evaluation.id] = holder
    return released


def _as_pending(row: repository.OpenRow) -> repository.OpenRow:
    return repository.OpenRow(
        row.id,
        None,
        EvaluationStatus.PENDING,
        row.submitted_at,
        row.sla_deadline,
        None,
        row.sla_breached,
        0.0,
    )


async def _assign_pending(
    db: AsyncSession, workload: Workload, now: datetime, released: dict[uuid.UUID, uuid.UUID]
) -> int:
    assigned = 0
    for row in list(workload.rows.values()):
        if row.status is not EvaluationStatus.PENDING:
            continue
        evaluation = await repository.lock_open(db, row.id)
        if evaluation is None or evaluation.status is not EvaluationStatus.PENDING:
            continue
        former = released.get(row.id)
        teacher = await assign(
            db,
            workload,
            evaluation,
            now,
            actor=None,
            origin=SYSTEM,
            exclude=frozenset({former}) if former else frozenset(),
            count_as_reassignment=former is not None,
        )
        if teacher is not None:
            assigned += 1
            workload.rows[row.id] = repository.OpenRow(
                row.id,
                teacher,
                EvaluationStatus.ASSIGNED,
                row.submitted_at,
                row.sla_deadline,
                None,
                row.sla_breached,
                0.0,
            )
    return assigned


async def _move_predicted_breaches(
    db: AsyncSession, workload: Workload, now: datetime, passed_over: set[uuid.UUID]
) -> int:
    # An evaluation released in this run that nobody else could take is left out: the
    # planner would hand an orphan straight back to the holder whose claim just ran out.
    moves = plan_reassignments(
        workload.calendar,
        now,
        [e for key, e in workload.open.items() if key not in passed_over],
        workload.capacities,
        float(workload.settings.reassign_margin_hours),
    )
    moved = 0
    for move in moves:
        evaluation = await repository.lock_open(db, move.evaluation_id)
        # The plan was made on the rows as read; one a teacher has since started, or that
        # someone else moved, stays where it is.
        if (
            evaluation is None
            or evaluation.teacher_user_id != move.from_teacher
            or evaluation.status is EvaluationStatus.IN_PROGRESS
        ):
            continue
        given = await give(
            db,
            workload,
            evaluation,
            move.to_teacher,
            now,
            actor=None,
            origin=SYSTEM,
            action="evaluation.reassigned",
            details={
                "reason": "predicted_breach" if move.from_teacher else "unassigned",
                "predicted_before": (
                    move.predicted_before.isoformat() if move.predicted_before else None
                ),
                "predicted_after": move.predicted_after.isoformat(),
            },
            count_as_reassignment=move.from_teacher is not None,
        )
        moved += 1
        if move.from_teacher is not None:
            await notify(
                db,
                workload.teachers.get(move.from_teacher)
                or await repository.person(db, move.from_teacher),
                "An exam was moved to a colleague",
                f"A class {given.student_class} exam due by {spoken(given.sla_deadline)} was"
                " forecast to miss its deadline in your queue and has been given to a"
                " colleague who can mark it sooner.",
                reference=f"evaluations/{given.id}",
                dedupe_key=f"mathvidya:evaluation_moved:{given.id}:{move.from_teacher}:"
                f"{given.assigned_at.isoformat() if given.assigned_at else ''}",
            )
    return moved


async def _record_breaches(db: AsyncSession, now: datetime) -> int:
    flagged = await repository.mark_breaches(db, now)
    for evaluation_id, deadline in flagged:
        await record(
            db,
            "evaluation.sla_breached",
            "evaluation",
            evaluation_id,
            actor=None,
            origin=SYSTEM,
            details={"sla_deadline": deadline.isoformat(), "noticed_at": now.isoformat()},
        )
    return len(flagged)


async def _warn_holders(db: AsyncSession, workload: Workload, now: datetime) -> int:
    warned = 0
    threshold = float(workload.settings.warning_hours_before_deadline)
    for evaluation in await repository.held_by(db, None):
        teacher = evaluation.teacher_user_id
        if teacher is None:
            continue
        left = working_hours_left(workload.calendar, now, evaluation.sla_deadline)
        if left > threshold:
            continue
        person = workload.teachers.get(teacher) or await repository.person(db, teacher)
        if person is None:
            continue
        written = await outbox.enqueue(
            db,
            outbox.EMAIL,
            person.email,
            "An exam is near its deadline",
            f"Dear {person.name},\n\nA class {evaluation.student_class} exam you hold is due by"
            f" {spoken(evaluation.sla_deadline)} ({max(left, 0):.1f} working hours left)."
            "\n\nMathvidya",
            source="mathvidya",
            reference=f"evaluations/{evaluation.id}",
            dedupe_key=f"mathvidya:sla_warning:{evaluation.id}:{teacher}",
        )
        warned += written is not None
    return warned


async def _assign_reevaluations(db: AsyncSession, workload: Workload, now: datetime) -> int:
    given = 0
    for waiting in await requests.unassigned_reevaluations(db):
        if await give_to_teacher(db, workload, waiting, now, SYSTEM) is not None:
            given += 1
    return given


async def run(db: AsyncSession, *, now: datetime | None = None) -> MonitorRun:
    """One pass of the monitor in the caller's transaction (see the module's docstring)."""
    at = now_or(now)
    if not await repository.try_lock_monitor(db):
        logger.info("another worker is running the SLA monitor; skipping")
        return MonitorRun(ran=False)
    await repository.lock_assignment(db)
    workload = await load_workload(db)
    released = await _release_expired_claims(db, workload, at)
    assigned = await _assign_pending(db, workload, at, released)
    reevaluations = await _assign_reevaluations(db, workload, at)
    still_pending = {
        key for key in released if workload.rows[key].status is EvaluationStatus.PENDING
    }
    moved = await _move_predicted_breaches(db, workload, at, still_pending)
    forecasts = forecast_completions(
        workload.calendar, at, list(workload.open.values()), workload.capacities
    )
    changed = await repository.store_forecasts(db, forecasts, at)
    breaches = await _record_breaches(db, at)
    warnings = await _warn_holders(db, workload, at)
    return MonitorRun(
        claims_expired=len(released),
        assigned=assigned,
        moved=moved,
        forecasts_changed=changed,
        breaches=breaches,
        warnings=warnings,
        reevaluations_assigned=reevaluations,
    )


__all__ = ["MonitorRun", "run"]
