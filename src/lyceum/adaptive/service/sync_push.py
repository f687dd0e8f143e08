"""Applying a device's push: every operation once, whatever arrives twice, late or out of
order; an answer per operation; and a rejected operation never holding up the others.

One transaction per push (the edge commits), in this order:

1. take the change-log lock (pushes are serialised; see `repository/sync.py`);
2. record each operation in the ledger by its id — one applied before is a *duplicate*
   (success, nothing changes), one rejected before is tried again (its cause may be fixed);
3. check each payload (`sync/operations.py`) and what it names (the question exists, the
   plan is the student's, the profile exists): a failing operation is *rejected* with a
   sentence, the others go on;
4. apply the rest in bulk — attempts and plan events are inserted if their id is new (an id
   already stored with the same content is a duplicate; with other content, a rejection),
   profile fields merge last-writer-wins by clock — then update the mastery of every
   (student, concept) that gained an attempt (`service/tracing.py`: one knowledge-tracing
   step per new attempt, or a replay of the pair's history when an attempt arrives older
   than the newest the server holds), and queue the student's replan if anything applied;
5. settle the ledger (completed or failed, with the reason).

Should the database refuse the bulk statement (a constraint the checks did not foresee), the
batch is done again one operation at a time, each in a savepoint, so only the offending
operation is rejected.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.enums import SyncOperationKind, UserRole
from lyceum.adaptive.mastery.bkt import Observation
from lyceum.adaptive.repository import sync as ledger
from lyceum.adaptive.repository.mastery import Pair
from lyceum.adaptive.service import replanning, tracing
from lyceum.adaptive.sync import (
    AttemptPayload,
    FieldWrite,
    PlanEventPayload,
    ProfilePayload,
    Rejection,
    answers_match,
    merge_profile_fields,
    parse_payload,
)
from lyceum.core.errors import Forbidden

Outcome = schemas.OperationOutcome
OPERATION_KINDS = frozenset(kind.value for kind in SyncOperationKind)


@dataclass
class _Batch:
    """What one pass of applying decided, by operation id."""

    reasons: dict[uuid.UUID, str | None] = field(default_factory=dict)
    duplicates: set[uuid.UUID] = field(default_factory=set)
    # The attempts inserted, by (student, concept): what mastery is updated from.
    touched: dict[Pair, list[Observation]] = field(default_factory=dict)
    # Whether a profile field changed (the plan is redone).
    profile_changed: bool = False


async def push(
    db: AsyncSession, student_id: uuid.UUID, request: schemas.PushRequest
) -> schemas.PushResponse:
    account = await ledger.student_account(db, student_id)
    if account is None or account[0] != UserRole.STUDENT.value or not account[1]:
        raise Forbidden("only an active student's device pushes its own practice")
    await ledger.lock_change_log(db)
    now = datetime.now(UTC)

    unique: dict[uuid.UUID, schemas.PushedOperation] = {}
    for operation in request.operations:
        unique.setdefault(operation.id, operation)
    results: dict[uuid.UUID, schemas.OperationResult] = {}
    storable = []
    for op in unique.values():
        if op.operation not in OPERATION_KINDS:
            results[op.id] = _rejected(op.id, f"unknown operation {op.operation!r}")
        else:
            storable.append(
                ledger.LedgerEntry(op.id, op.entity_type, op.entity_id, op.operation, op.payload)
            )
    to_process = await ledger.register_operations(db, request.device_id, student_id, storable)
    others = [entry.id for entry in storable if entry.id not in to_process]
    for op_id, (status, owner, device) in (await ledger.ledger_owners(db, others)).items():
        if owner == student_id and device == request.device_id and status == "completed":
            results[op_id] = schemas.OperationResult(id=op_id, status=Outcome.DUPLICATE)
        else:
            results[op_id] = _rejected(op_id, "this operation id was sent by another device")

    parsed: dict[uuid.UUID, AttemptPayload | PlanEventPayload | ProfilePayload] = {}
    refused: dict[uuid.UUID, str | None] = {}
    for op_id in (op_id for op_id in unique if op_id in to_process):
        op = unique[op_id]
        payload = parse_payload(
            op.entity_type,
            op.operation,
            op.entity_id,
            request.device_id,
            student_id,
            op.payload,
            now,
        )
        if isinstance(payload, Rejection):
            refused[op_id] = payload.reason
        else:
            parsed[op_id] = payload

    batch = _Batch(reasons=dict(refused))
    try:
        async with db.begin_nested():
            await _apply(db, parsed, batch)
    except IntegrityError:
        # The slow path: one savepoint per operation, so only the offender is rejected.
        batch = _Batch(reasons=dict(refused))
        for op_id, payload in parsed.items():
            try:
                async with db.begin_nested():
                    await _apply(db, {op_id: payload}, batch)
            except IntegrityError as exc:
                batch.reasons[op_id] = f"the database refused it: {_constraint(exc)}"

    await tracing.record_attempts(db, batch.touched)
    if batch.touched or batch.profile_changed:
        await replanning.request_replan(db, student_id)
    settled = [(op_id, batch.reasons.get(op_id)) for op_id in unique if op_id in to_process]
    await ledger.settle_operations(db, settled)
    for op_id, reason in settled:
        if reason is not None:
            results[op_id] = _rejected(op_id, reason)
        elif op_id in batch.duplicates:
            results[op_id] = schemas.OperationResult(id=op_id, status=Outcome.DUPLICATE)
        else:
            results[op_id] = schemas.OperationResult(id=op_id, status=Outcome.APPLIED)

    ordered = [results[op.id] for op in request.operations]
    counts = {outcome: 0 for outcome in Outcome}
    for result in results.values():
        counts[result.status] += 1
    await ledger.record_push(
        db,
        student_id,
        request.device_id,
        counts[Outcome.APPLIED],
        request.pending_operations,
        request.dead_letters,
    )
    return schemas.PushResponse(
        results=ordered,
        applied=counts[Outcome.APPLIED],
        duplicates=counts[Outcome.DUPLICATE],
        rejected=counts[Outcome.REJECTED],
    )


def _rejected(op_id: uuid.UUID, reason: str) -> schemas.OperationResult:
    return schemas.OperationResult(id=op_id, status=Outcome.REJECTED, reason=reason)


def _constraint(exc: IntegrityError) -> str:
    name = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    return f"constraint {name}" if name else str(exc.orig).splitlines()[0][:200]


async def _apply(
    db: AsyncSession,
    parsed: dict[uuid.UUID, AttemptPayload | PlanEventPayload | ProfilePayload],
    batch: _Batch,
) -> None:
    attempts = {k: v for k, v in parsed.items() if isinstance(v, AttemptPayload)}
    events = {k: v for k, v in parsed.items() if isinstance(v, PlanEventPayload)}
    profiles = {k: v for k, v in parsed.items() if isinstance(v, ProfilePayload)}
    await _apply_attempts(db, attempts, batch)
    await _apply_plan_events(db, events, batch)
    for op_id, profile in profiles.items():
        await _apply_profile(db, op_id, profile, batch)


async def _apply_attempts(
    db: AsyncSession, attempts: dict[uuid.UUID, AttemptPayload], batch: _Batch
) -> None:
    if not attempts:
        return
    questions = await ledger.questions_by_id(db, (a.question_id for a in attempts.values()))
    rows: list[ledger.AttemptRow] = []
    by_attempt: dict[uuid.UUID, uuid.UUID] = {}
    concept_of: dict[uuid.UUID, uuid.UUID] = {}
    for op_id, attempt in attempts.items():
        question = questions.get(attempt.question_id)
        if question is None:
            batch.reasons[op_id] = (
                f"question {attempt.question_id} is not on the server (retired, or not yet "
                "published); send it again once it is"
            )
            continue
        if attempt.id in by_attempt:
            batch.reasons[op_id] = "the same attempt id appears twice in this batch"
            continue
        by_attempt[attempt.id] = op_id
        concept_of[attempt.id] = question.concept_id
        # The server decides correctness from the question's answer, not the device's claim.
        correct = answers_match(question.kind, attempt.answer, question.correct_answer)
        rows.append(
            ledger.AttemptRow(
                attempt.id,
                attempt.student_id,
                attempt.question_id,
                attempt.answer,
                correct,
                attempt.time_taken_seconds,
                attempt.confidence,
                attempt.attempted_at.astimezone(UTC),
                attempt.device_id,
                op_id,
            )
        )
    inserted = await ledger.insert_attempts(db, rows)
    for row in rows:
        if row.id in inserted:
            pair = (row.student_id, concept_of[row.id])
            facts = questions[row.question_id]
            observation = Observation(
                row.id, row.attempted_at, row.is_correct, facts.kind, facts.answer_offset
            )
            batch.touched.setdefault(pair, []).append(observation)
    stored = await ledger.existing_attempts(db, set(by_attempt) - inserted)
    for attempt_id, (student, question_id, answer, attempted_at) in stored.items():
        op_id = by_attempt[attempt_id]
        mine = attempts[op_id]
        same = (student, question_id, answer) == (mine.student_id, mine.question_id, mine.answer)
        if same and attempted_at == mine.attempted_at:
            batch.duplicates.add(op_id)
        else:
            batch.reasons[op_id] = "an attempt with this id is already stored with other content"


async def _apply_plan_events(
    db: AsyncSession, events: dict[uuid.UUID, PlanEventPayload], batch: _Batch
) -> None:
    if not events:
        return
    owners = await ledger.plan_owners(db, (e.plan_id for e in events.values()))
    rows: list[ledger.PlanEventRow] = []
    by_event: dict[uuid.UUID, uuid.UUID] = {}
    for op_id, event in events.items():
        if owners.get(event.plan_id) != event.student_id:
            batch.reasons[op_id] = f"study plan {event.plan_id} is not one of this student's"
            continue
        if event.id in by_event:
            batch.reasons[op_id] = "the same event id appears twice in this batch"
            continue
        by_event[event.id] = op_id
        rows.append(
            ledger.PlanEventRow(
                event.id,
                event.plan_id,
                event.student_id,
                event.kind.value,
                event.day,
                event.concept_code,
                event.minutes,
                event.occurred_at.astimezone(UTC),
                event.device_id,
                op_id,
            )
        )
    inserted = await ledger.insert_plan_events(db, rows)
    stored = await ledger.existing_plan_events(db, set(by_event) - inserted)
    for event_id, (plan, student, kind, occurred_at) in stored.items():
        op_id = by_event[event_id]
        mine = events[op_id]
        if (plan, student, kind, occurred_at) == (
            mine.plan_id, mine.student_id, mine.kind.value, mine.occurred_at,
        ):  # fmt: skip
            batch.duplicates.add(op_id)
        else:
            batch.reasons[op_id] = "a plan event with this id is already stored with other content"


async def _apply_profile(
    db: AsyncSession, op_id: uuid.UUID, change: ProfilePayload, batch: _Batch
) -> None:
    found = await ledger.profile_for_update(db, change.student_id)
    if found is None:
        batch.reasons[op_id] = "this student has no profile on the server yet"
        return
    profile_id, current, clocks = found
    writes = {name: FieldWrite(value, change.clock) for name, value in change.written().items()}
    changed, new_clocks = merge_profile_fields(current, clocks, writes)
    if new_clocks != clocks:
        await ledger.update_profile(db, profile_id, changed, new_clocks)
    if changed:
        batch.profile_changed = True


__all__ = ["push"]
