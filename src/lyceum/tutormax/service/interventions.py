"""The intervention engine's use cases: apply the rules for a day, escalate what is overdue,
and the lifecycle people drive (create, assign, change status, complete), each change
audited, an assignment notified through the platform outbox, all in the caller's
transaction. Functions only flush; the edge (API route, CLI command, job) commits.

Entry points for the daily job (issue 14, item 6): `apply_rules(db, day)` then
`escalate_overdue(db, day)`. Both are idempotent for a day: a rerun changes nothing.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core import outbox
from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.tutormax import schemas
from lyceum.tutormax.enums import InterventionOutcome, InterventionStatus, InterventionType
from lyceum.tutormax.models import Intervention, InterventionRouting
from lyceum.tutormax.repository import interventions as repo
from lyceum.tutormax.rules.calendar import add_working_days
from lyceum.tutormax.rules.config import InterventionRules, RulesFileError, load_rules
from lyceum.tutormax.rules.lifecycle import OPEN_STATUSES, check_transition
from lyceum.tutormax.rules.plan import plan_day

RULES_PATH_VARIABLE = "TUTORMAX_INTERVENTION_RULES"
RULES_ACTOR = "system:rules"
ESCALATION_ACTOR = "system:escalation"
NOTIFY_SOURCE = "tutormax"
CSV_CAP = 100_000
CSV_COLUMNS = (
    "intervention_id",
    "tutor_id",
    "tutor_name",
    "intervention_type",
    "status",
    "priority",
    "overdue",
    "due_date",
    "assigned_to",
    "owner_queue",
    "escalation_level",
    "rule_id",
    "trigger_reason",
    "outcome",
    "notes",
    "completed_at",
    "created_at",
    "updated_at",
)


# ---- the rules ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _rules_at(path: str | None) -> InterventionRules:
    return load_rules(Path(path) if path else None)


def active_rules(path: Path | None = None) -> InterventionRules:
    """The rules in `path`, else in `TUTORMAX_INTERVENTION_RULES`, else the packaged ones
    (read once per process and path). A file that does not validate is InvalidInput."""
    chosen = path or os.environ.get(RULES_PATH_VARIABLE) or None
    try:
        return _rules_at(str(chosen) if chosen else None)
    except RulesFileError as exc:
        raise InvalidInput(str(exc)) from None


def today() -> date:
    return datetime.now(UTC).date()


# ---- applying the rules for a day -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyReport:
    day: date
    # Tutors with a recent prediction or metrics: the ones the rules looked at.
    tutors_considered: int
    # (tutor, type) pairs some rule picked, in both arms.
    matched: int
    # Of those, recorded by an earlier run of the day: left as they were.
    already_recorded: int
    held_out: int
    opened: int
    # Treated matches whose tutor already had an open intervention of the type.
    already_open: int


async def apply_rules(
    db: AsyncSession,
    day: date,
    *,
    rules: InterventionRules | None = None,
    actor: str = RULES_ACTOR,
) -> ApplyReport:
    """Match every tutor's latest prediction and 30-day metrics against the rules, record
    the matches (held-out tutors included, not intervened on) and open the treated ones'
    interventions. Three statements whatever the number of tutors; a rerun of the day finds
    its matches recorded and changes nothing."""
    rules = rules or active_rules()
    inputs = await repo.rule_inputs(db, day, rules.inputs.max_age_days)
    plan = plan_day(rules, day, inputs)
    recorded_now = await repo.record_matches(db, day, plan)
    fresh = [p for p in plan if (p.tutor_id, p.intervention_type.value) in recorded_now]
    treated = [p for p in fresh if p.arm == "treatment"]
    opened = await repo.open_planned(db, day, treated, actor)
    await db.flush()
    return ApplyReport(
        day=day,
        tutors_considered=len(inputs),
        matched=len(plan),
        already_recorded=len(plan) - len(fresh),
        held_out=sum(1 for p in fresh if p.arm == "holdout"),
        opened=len(opened),
        already_open=len(treated) - len(opened),
    )


# ---- escalation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscalationReport:
    day: date
    escalated: int
    notified: int


async def escalate_overdue(
    db: AsyncSession,
    day: date,
    *,
    rules: InterventionRules | None = None,
    now: datetime | None = None,
) -> EscalationReport:
    """Escalate the open interventions whose due day passed before `day`: priority one level
    more urgent, owned by the queue above (`[escalation.queues]`), due
    `extend_working_days` working days after `day`, escalation level + 1 (at most
    `max_level` times). Their assignees are told. A rerun of the day finds nothing overdue
    (the new due days are ahead), so it changes nothing."""
    rules = rules or active_rules()
    settings = rules.escalation
    if settings.max_level == 0:
        return EscalationReport(day, 0, 0)
    escalated = await repo.escalate_overdue(
        db,
        day=day,
        new_due_day=add_working_days(day, settings.extend_working_days, rules.holidays),
        max_level=settings.max_level,
        queues=dict(settings.queues),
        default_queue=rules.default_owner_queue,
        actor=ESCALATION_ACTOR,
        now=now or datetime.now(UTC),
    )
    drafts = [
        outbox.Draft(
            channel=outbox.EMAIL,
            recipient=row["assigned_to"],
            subject=f"Overdue and escalated: {_type_words(row['intervention_type'])} for "
            f"{row['tutor_name']}",
            body=(
                f"The {_type_words(row['intervention_type'])} for {row['tutor_name']} "
                f"({row['tutor_id']}) assigned to you is overdue. It is now priority "
                f"{row['priority']} and owned by {row['new_queue']} (escalation "
                f"{row['escalation_level']}).\n\nWhy it was opened: {row['trigger_reason']}"
            ),
            source=NOTIFY_SOURCE,
            reference=f"intervention:{row['intervention_id']}",
            dedupe_key=f"tutormax:intervention:{row['intervention_id']}:escalated:"
            f"{row['escalation_level']}",
        )
        for row in escalated
        if row["assigned_to"]
    ]
    notified = await outbox.enqueue_many(db, drafts)
    await db.flush()
    return EscalationReport(day, len(escalated), len(notified))


# ---- the lifecycle ---------------------------------------------------------------------------


def _type_words(intervention_type: str) -> str:
    return InterventionType(intervention_type).value.replace("_", " ")


def _due_day(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).date().isoformat()


async def _locked(
    db: AsyncSession, intervention_id: uuid.UUID
) -> tuple[Intervention, InterventionRouting | None]:
    found = await repo.lock_intervention(db, intervention_id)
    if found is None:
        raise NotFound(f"no intervention has the id {intervention_id}")
    return found


async def _notify_assignment(
    db: AsyncSession, intervention: Intervention, tutor_name: str, actor: str
) -> None:
    due = _due_day(intervention.due_date)
    await outbox.enqueue(
        db,
        outbox.EMAIL,
        str(intervention.assigned_to),
        f"Assigned to you: {_type_words(intervention.intervention_type)} for {tutor_name}",
        (
            f"{actor} assigned you the {_type_words(intervention.intervention_type)} for "
            f"{tutor_name} ({intervention.tutor_id}), priority {intervention.priority}"
            f"{f', due {due}' if due else ''}.\n\nWhy: {intervention.trigger_reason}\n\n"
            f"Intervention {intervention.intervention_id}"
        ),
        source=NOTIFY_SOURCE,
        reference=f"intervention:{intervention.intervention_id}",
    )


async def _out(db: AsyncSession, intervention_id: uuid.UUID) -> schemas.InterventionOut:
    row = await repo.intervention_row(db, intervention_id, as_of=today())
    if row is None:  # pragma: no cover - the caller has just written it
        raise NotFound(f"no intervention has the id {intervention_id}")
    return _model(row)


def _model(row: RowMapping) -> schemas.InterventionOut:
    """An intervention as the API shows it, from a row of the repository's listing."""
    values = dict(row)
    values["due_date"] = None if row["due_date"] is None else row["due_date"].astimezone(UTC).date()
    return schemas.InterventionOut.model_validate(values)


model_of = _model


async def create_intervention(
    db: AsyncSession,
    actor: str,
    request: schemas.InterventionCreate,
    *,
    rules: InterventionRules | None = None,
) -> schemas.InterventionOut:
    """Open an intervention by hand. Refused (409) while the tutor has an open one of that
    type: add to that one instead. Assigning it here notifies the owner, as assigning later
    does."""
    tutor_name = await repo.tutor_name(db, request.tutor_id)
    if tutor_name is None:
        raise NotFound(f"no tutor has the id {request.tutor_id!r}")
    owner_queue = request.owner_queue or (rules or active_rules()).default_owner_queue
    values: dict[str, Any] = {
        "tutor_id": request.tutor_id,
        "intervention_type": request.intervention_type,
        "trigger_reason": request.trigger_reason,
        "priority": request.priority,
        "assigned_to": request.assigned_to,
        "due_date": None if request.due_date is None else repo.day_start(request.due_date),
        "notes": request.notes,
    }
    intervention_id = await repo.insert_intervention(db, values)
    if intervention_id is None:
        existing = await repo.open_intervention_id(db, request.tutor_id, request.intervention_type)
        raise Conflict(
            f"tutor {request.tutor_id} already has an open "
            f"{_type_words(request.intervention_type)} intervention ({existing}); update that "
            "one or close it first",
            details={"intervention_id": str(existing) if existing else None},
        )
    await repo.insert_routing(db, intervention_id, owner_queue)
    await repo.add_audit(
        db,
        intervention_id,
        action="created",
        actor=actor,
        old_values={},
        new_values={
            **{key: value for key, value in values.items() if value is not None},
            "intervention_type": request.intervention_type.value,
            "status": InterventionStatus.PENDING.value,
            "due_date": None if request.due_date is None else request.due_date.isoformat(),
            "owner_queue": owner_queue,
        },
    )
    if request.assigned_to is not None:
        intervention, _ = await _locked(db, intervention_id)
        await _notify_assignment(db, intervention, tutor_name, actor)
    await db.flush()
    return await _out(db, intervention_id)


async def assign_intervention(
    db: AsyncSession, actor: str, intervention_id: uuid.UUID, owner: str
) -> schemas.InterventionOut:
    """Give an open intervention to `owner` and notify them (in this transaction). Assigning
    it to its current owner changes nothing and sends nothing."""
    intervention, _ = await _locked(db, intervention_id)
    if intervention.status not in OPEN_STATUSES:
        raise Conflict(
            f"a {intervention.status.value} intervention cannot be reassigned; it is closed",
            details={"status": intervention.status.value},
        )
    previous = intervention.assigned_to
    if previous == owner:
        return await _out(db, intervention_id)
    intervention.assigned_to = owner
    await repo.add_audit(
        db,
        intervention_id,
        action="assigned",
        actor=actor,
        old_values={"assigned_to": previous},
        new_values={"assigned_to": owner},
    )
    tutor_name = await repo.tutor_name(db, intervention.tutor_id)
    await _notify_assignment(db, intervention, tutor_name or intervention.tutor_id, actor)
    await db.flush()
    return await _out(db, intervention_id)


async def change_status(
    db: AsyncSession,
    actor: str,
    intervention_id: uuid.UUID,
    status: InterventionStatus,
    notes: str | None = None,
) -> schemas.InterventionOut:
    """Move an intervention along its lifecycle (409 with a sentence when the move is not
    allowed). Completing needs an outcome: `complete_intervention`."""
    intervention, _ = await _locked(db, intervention_id)
    if status == InterventionStatus.COMPLETED:
        check_transition(intervention.status, status)  # refuses from anywhere but in_progress
        raise InvalidInput(
            "completing an intervention needs its outcome: use the complete action "
            "(POST /interventions/{id}/complete with an outcome)"
        )
    check_transition(intervention.status, status)
    old: dict[str, Any] = {"status": intervention.status.value}
    new: dict[str, Any] = {"status": status.value}
    intervention.status = status
    if notes is not None:
        old["notes"], new["notes"] = intervention.notes, notes
        intervention.notes = notes
    await repo.add_audit(
        db, intervention_id, action="status_changed", actor=actor, old_values=old, new_values=new
    )
    await db.flush()
    return await _out(db, intervention_id)


async def complete_intervention(
    db: AsyncSession,
    actor: str,
    intervention_id: uuid.UUID,
    outcome: InterventionOutcome,
    notes: str | None = None,
    *,
    now: datetime | None = None,
) -> schemas.InterventionOut:
    """Close an in-progress intervention with its outcome (what the uplift estimate reads)."""
    intervention, _ = await _locked(db, intervention_id)
    check_transition(intervention.status, InterventionStatus.COMPLETED)
    completed_at = now or datetime.now(UTC)
    old: dict[str, Any] = {
        "status": intervention.status.value,
        "outcome": None,
        "completed_at": None,
    }
    new: dict[str, Any] = {
        "status": InterventionStatus.COMPLETED.value,
        "outcome": outcome.value,
        "completed_at": completed_at.isoformat(),
    }
    intervention.status = InterventionStatus.COMPLETED
    intervention.outcome = outcome
    intervention.completed_at = completed_at
    if notes is not None:
        old["notes"], new["notes"] = intervention.notes, notes
        intervention.notes = notes
    await repo.add_audit(
        db, intervention_id, action="completed", actor=actor, old_values=old, new_values=new
    )
    await db.flush()
    return await _out(db, intervention_id)


# ---- reads -----------------------------------------------------------------------------------


async def intervention_page(
    db: AsyncSession,
    filters: repo.InterventionFilters,
    *,
    as_of: date | None,
    limit: int,
    offset: int,
) -> schemas.InterventionPage:
    day = as_of or today()
    total, rows = await repo.list_interventions(db, filters, as_of=day, limit=limit, offset=offset)
    return schemas.InterventionPage(
        total=total,
        limit=limit,
        offset=offset,
        as_of=day,
        interventions=[_model(row) for row in rows],
    )


async def intervention(
    db: AsyncSession, intervention_id: uuid.UUID, *, as_of: date | None = None
) -> schemas.InterventionOut:
    row = await repo.intervention_row(db, intervention_id, as_of=as_of or today())
    if row is None:
        raise NotFound(f"no intervention has the id {intervention_id}")
    return _model(row)


def _csv_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, InterventionType | InterventionStatus | InterventionOutcome):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def to_csv(items: Iterable[schemas.InterventionOut]) -> str:
    """The interventions as CSV (RFC 4180: a header row, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        fields = item.model_dump()
        writer.writerow([_csv_value(fields[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


async def interventions_csv(
    db: AsyncSession, filters: repo.InterventionFilters, *, as_of: date | None
) -> str:
    """Every intervention the filters select (up to CSV_CAP), in the list's order."""
    rows = await repo.all_interventions(db, filters, as_of=as_of or today(), cap=CSV_CAP)
    return to_csv(_model(row) for row in rows)


async def audit_trail(
    db: AsyncSession, intervention_id: uuid.UUID
) -> schemas.InterventionAuditTrail:
    if not await repo.intervention_exists(db, intervention_id):
        raise NotFound(f"no intervention has the id {intervention_id}")
    entries = await repo.audit_trail(db, intervention_id)
    return schemas.InterventionAuditTrail(
        intervention_id=intervention_id,
        entries=[schemas.InterventionAuditEntry.model_validate(entry) for entry in entries],
    )


__all__ = [
    "ESCALATION_ACTOR",
    "RULES_ACTOR",
    "RULES_PATH_VARIABLE",
    "ApplyReport",
    "EscalationReport",
    "active_rules",
    "apply_rules",
    "assign_intervention",
    "audit_trail",
    "change_status",
    "complete_intervention",
    "create_intervention",
    "escalate_overdue",
    "intervention",
    "intervention_page",
    "interventions_csv",
    "model_of",
    "to_csv",
]
