"""What each kind of operation a device pushes may carry, and the checks that need no
database. An operation is `(entity_type, operation, payload)`; anything else is rejected
with a sentence the dead-letter list shows.

| entity_type | operation | merge rule |
|---|---|---|
| `question_attempt` | `create` | an append-only fact: applied once, deduplicated by id |
| `study_plan_event` | `create` | an append-only fact: applied once, deduplicated by id |
| `student_profile` | `update` | last writer wins per field, by hybrid logical clock |

Mastery is never pushed: the server recomputes it from attempts and sends it back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Annotated, Any

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from lyceum.adaptive.enums import PlanEventKind, QuestionKind
from lyceum.adaptive.sync.clock import Clock, ClockError

ATTEMPT = ("question_attempt", "create")
PLAN_EVENT = ("study_plan_event", "create")
PROFILE = ("student_profile", "update")
KINDS = (ATTEMPT, PLAN_EVENT, PROFILE)

# A fact stamped further ahead than this was made on a device whose clock is wrong.
FUTURE_TOLERANCE = timedelta(days=1)
DeviceId = Annotated[str, Field(min_length=1, max_length=100)]


class _Payload(BaseModel):
    # Strict, as JSON: a UUID or a date as text, a boolean only as true/false.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AttemptPayload(_Payload):
    id: uuid.UUID
    student_id: uuid.UUID
    question_id: uuid.UUID
    answer: Annotated[str, Field(min_length=1, max_length=200)]
    # What the device decided; the server decides again from the question's answer.
    is_correct: bool
    time_taken_seconds: Annotated[float, Field(ge=0, le=86_400)]
    confidence: Annotated[int, Field(ge=1, le=5)] | None = None
    attempted_at: AwareDatetime
    device_id: DeviceId


class PlanEventPayload(_Payload):
    id: uuid.UUID
    plan_id: uuid.UUID
    student_id: uuid.UUID
    kind: PlanEventKind
    day: date
    concept_code: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    minutes: Annotated[int, Field(ge=0, le=1440)] = 0
    occurred_at: AwareDatetime
    device_id: DeviceId


class ProfileFields(_Payload):
    exam_date: date | None = None
    available_hours_per_week: Annotated[float, Field(ge=0, le=168)] | None = None


class ProfilePayload(_Payload):
    student_id: uuid.UUID
    # Only the fields named here are written ("exam_date": null clears the date).
    fields: ProfileFields
    clock: Annotated[str, Field(min_length=26, max_length=130)]

    def written(self) -> dict[str, Any]:
        return {name: getattr(self.fields, name) for name in self.fields.model_fields_set}


Payload = AttemptPayload | PlanEventPayload | ProfilePayload


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an operation cannot be applied, in a sentence for the dead-letter list."""

    reason: str


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    return f"{where}: {error['msg']}"


def parse_payload(
    entity_type: str,
    operation: str,
    entity_id: uuid.UUID,
    device_id: str,
    student_id: uuid.UUID,
    payload: dict[str, Any],
    now: datetime,
) -> Payload | Rejection:
    """The operation's payload, checked against everything that needs no database: its shape,
    that it is the pushing device's and student's, that its entity id is the row's, that a
    fact is not stamped in the future. A payload naming another student is rejected whole."""
    kind = (entity_type, operation)
    model: type[Payload]
    if kind == ATTEMPT:
        model = AttemptPayload
    elif kind == PLAN_EVENT:
        model = PlanEventPayload
    elif kind == PROFILE:
        model = ProfilePayload
    else:
        return Rejection(f"unsupported operation {operation!r} on {entity_type!r}")
    try:
        parsed = model.model_validate_json(orjson.dumps(payload))
    except ValidationError as exc:
        return Rejection(f"invalid {entity_type}: {_first_error(exc)}")
    if parsed.student_id != student_id:
        return Rejection("the operation names another student; a device sends only its own")
    if isinstance(parsed, ProfilePayload):
        if not parsed.fields.model_fields_set:
            return Rejection("a profile update must change at least one field")
        try:
            stamp = Clock.decode(parsed.clock)
        except ClockError as exc:
            return Rejection(str(exc))
        if stamp.wall_ms > (now + FUTURE_TOLERANCE).timestamp() * 1000:
            return Rejection("the profile change is stamped more than a day in the future")
        return parsed
    if parsed.id != entity_id:
        return Rejection("the operation's entity_id is not the id in its payload")
    if parsed.device_id != device_id:
        return Rejection("the payload was recorded on another device than the one sending it")
    stamped = parsed.attempted_at if isinstance(parsed, AttemptPayload) else parsed.occurred_at
    if stamped.astimezone(UTC) > now + FUTURE_TOLERANCE:
        return Rejection(f"the {entity_type} is stamped more than a day in the future")
    return parsed


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(text.replace(" ", ""))
    except (ValueError, ZeroDivisionError):
        return None


def answers_match(kind: QuestionKind, given: str, correct: str) -> bool:
    """Whether `given` is the right answer: an option's text compared without case or
    surrounding space; a number by value ("0.50", "1/2" and ".5" are the same)."""
    left, right = " ".join(given.split()).casefold(), " ".join(correct.split()).casefold()
    if left == right:
        return True
    if kind is QuestionKind.NUMERIC:
        a, b = _number(left), _number(right)
        return a is not None and b is not None and a == b
    return False


__all__ = [
    "ATTEMPT",
    "FUTURE_TOLERANCE",
    "KINDS",
    "PLAN_EVENT",
    "PROFILE",
    "AttemptPayload",
    "Payload",
    "PlanEventPayload",
    "ProfileFields",
    "ProfilePayload",
    "Rejection",
    "answers_match",
    "parse_payload",
]
