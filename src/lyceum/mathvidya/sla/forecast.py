"""When will each open evaluation be finished, who should take a new one, and what should move
so that none misses its deadline.

The model. A teacher works the evaluations they hold one at a time, only in working time,
from `now`: the ones they have started first, then the rest in deadline order (ties by
evaluation id, so the forecast is deterministic). An evaluation takes the teacher their
`minutes_per_evaluation` times its share still to do. All arithmetic is on the calendar's
working clock (`WorkingCalendar.clock`, integer microseconds), so a queue of n evaluations
costs n additions and one conversion per reported instant, and the forecast of a queue equals
`add_working_hours(now, <work ahead>)` for each of its evaluations.

Reassignment (`plan_reassignments`), greedy and most urgent first:
- an evaluation is *at risk* when it is forecast to finish later than its deadline less
  `margin_hours` of working time; it moves to the teacher (with room, under `max_active`) who
  would finish it soonest, when that teacher finishes it within the bound and no evaluation
  that teacher holds on time is pushed past its own bound by it (a move never creates a
  breach to cure one);
- an *orphan* (unassigned, or held by a teacher missing from `teachers`, i.e. deactivated) has
  nobody working on it, so it always goes somewhere: to the soonest finisher that pushes no one
  past their bound, else to the soonest finisher with room (it would certainly breach where it
  is). This is the bound rule relaxed on purpose: without it a pending evaluation no teacher
  can finish in time would never be picked up;
- an evaluation its (active) holder has started is never moved: they are marking it;
- each move updates both queues before the next evaluation is considered.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from lyceum.mathvidya.sla.calendar import WorkingCalendar, hours_to_microseconds

MICROSECONDS_PER_MINUTE = 60_000_000
# Share of a started evaluation still to do when the caller does not say (see OpenEvaluation).
STARTED_REMAINING_SHARE = 0.5


@dataclass(frozen=True)
class OpenEvaluation:
    """An evaluation not yet completed.

    `remaining_share` is the share of the work still to do. A started evaluation left at the
    default 1.0 counts as half done (`STARTED_REMAINING_SHARE`): the marks saved so far say
    little about the time left, and half is the expected value of a uniform guess. Pass any
    other value to say how much is left.
    """

    evaluation_id: UUID
    teacher_id: UUID | None
    deadline: datetime
    submitted_at: datetime
    started: bool
    remaining_share: float = 1.0

    def __post_init__(self) -> None:
        for name in ("deadline", "submitted_at"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must carry its time zone")
        if not 0.0 <= self.remaining_share <= 1.0:
            raise ValueError("remaining_share must be between 0 and 1")

    @property
    def share_to_do(self) -> float:
        if self.started and self.remaining_share == 1.0:
            return STARTED_REMAINING_SHARE
        return self.remaining_share


@dataclass(frozen=True)
class TeacherCapacity:
    teacher_id: UUID
    minutes_per_evaluation: float
    max_active: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.minutes_per_evaluation) and self.minutes_per_evaluation > 0):
            raise ValueError("minutes_per_evaluation must be a positive number")
        if self.max_active < 0:
            raise ValueError("max_active must not be negative")

    def work(self, share: float) -> int:
        """Working microseconds this teacher needs for `share` of an evaluation."""
        return round(share * self.minutes_per_evaluation * MICROSECONDS_PER_MINUTE)


@dataclass(frozen=True)
class Move:
    evaluation_id: UUID
    from_teacher: UUID | None
    to_teacher: UUID
    predicted_before: datetime | None
    predicted_after: datetime


@dataclass(frozen=True, slots=True)
class _Item:
    """An evaluation in a teacher's queue."""

    evaluation: OpenEvaluation
    started: bool  # started by this queue's teacher
    work: int  # working microseconds this teacher still needs

    @property
    def order(self) -> tuple[bool, datetime, UUID]:
        return (not self.started, self.evaluation.deadline, self.evaluation.evaluation_id)


class _Queues:
    """Each active teacher's queue, in working order, on the working clock from `origin`."""

    def __init__(
        self,
        calendar: WorkingCalendar,
        now: datetime,
        evaluations: Sequence[OpenEvaluation],
        teachers: Sequence[TeacherCapacity],
    ) -> None:
        self.calendar = calendar
        self.now = now
        self.origin = calendar.clock(now)
        self.teachers: dict[UUID, TeacherCapacity] = {}
        for teacher in teachers:
            if teacher.teacher_id in self.teachers:
                raise ValueError(f"teacher {teacher.teacher_id} is listed twice")
            self.teachers[teacher.teacher_id] = teacher
        self.queues: dict[UUID, list[_Item]] = {t: [] for t in self.teachers}
        seen: set[UUID] = set()
        for evaluation in evaluations:
            if evaluation.evaluation_id in seen:
                raise ValueError(f"evaluation {evaluation.evaluation_id} is listed twice")
            seen.add(evaluation.evaluation_id)
            holder = evaluation.teacher_id
            if holder is not None and holder in self.teachers:
                item = _Item(
                    evaluation,
                    evaluation.started,
                    self.teachers[holder].work(evaluation.share_to_do),
                )
                self.queues[holder].append(item)
        for queue in self.queues.values():
            queue.sort(key=lambda item: item.order)

    def held(self, teacher_id: UUID) -> int:
        return len(self.queues[teacher_id])

    def finishes(self, teacher_id: UUID) -> list[int]:
        """Clock readings at which the teacher finishes each queued evaluation."""
        reading = self.origin
        readings = []
        for item in self.queues[teacher_id]:
            reading += item.work
            readings.append(reading)
        return readings

    def finish_of(self, teacher_id: UUID, evaluation_id: UUID) -> int:
        reading = self.origin
        for item in self.queues[teacher_id]:
            reading += item.work
            if item.evaluation.evaluation_id == evaluation_id:
                return reading
        raise KeyError(evaluation_id)

    def instant(self, reading: int) -> datetime:
        """The instant the clock reaches `reading`; `now` itself when no work lies ahead."""
        if reading <= self.origin:
            return self.now.astimezone(UTC)
        return self.calendar.instant_at_clock(reading)

    def insertion(
        self, teacher_id: UUID, deadline: datetime, evaluation_id: UUID | None
    ) -> tuple[int, int]:
        """Where an evaluation (not started by this teacher) goes in the queue, and the work
        ahead of it: (index, microseconds). An id of None sorts after equal deadlines."""
        ahead = 0
        for index, item in enumerate(self.queues[teacher_id]):
            if not item.started:
                key = item.evaluation.deadline
                if key > deadline or (
                    key == deadline
                    and evaluation_id is not None
                    and item.evaluation.evaluation_id > evaluation_id
                ):
                    return index, ahead
            ahead += item.work
        return len(self.queues[teacher_id]), ahead


def forecast_completions(
    calendar: WorkingCalendar,
    now: datetime,
    evaluations: Sequence[OpenEvaluation],
    teachers: Sequence[TeacherCapacity],
) -> dict[UUID, datetime]:
    """Forecast completion (UTC) of every evaluation held by one of `teachers`; unassigned
    evaluations and those of teachers not listed get none."""
    queues = _Queues(calendar, now, evaluations, teachers)
    forecast: dict[UUID, datetime] = {}
    for teacher_id, queue in queues.queues.items():
        for item, reading in zip(queue, queues.finishes(teacher_id), strict=True):
            forecast[item.evaluation.evaluation_id] = queues.instant(reading)
    return forecast


def choose_teacher(
    calendar: WorkingCalendar,
    now: datetime,
    deadline: datetime,
    evaluations: Sequence[OpenEvaluation],
    teachers: Sequence[TeacherCapacity],
    exclude: frozenset[UUID] = frozenset(),
) -> UUID | None:
    """The teacher to give a new evaluation due at `deadline`: among those under their
    `max_active` and not excluded, the one forecast to finish it first when it joins their
    queue in deadline order; ties go to the one holding fewer, then the lower teacher id.
    None when nobody has room."""
    queues = _Queues(calendar, now, evaluations, teachers)
    best: tuple[int, int, UUID] | None = None
    for teacher_id in sorted(queues.teachers):
        teacher = queues.teachers[teacher_id]
        held = queues.held(teacher_id)
        if teacher_id in exclude or held >= teacher.max_active:
            continue
        _index, ahead = queues.insertion(teacher_id, deadline, None)
        candidate = (queues.origin + ahead + teacher.work(1.0), held, teacher_id)
        if best is None or candidate < best:
            best = candidate
    return None if best is None else best[2]


def plan_reassignments(
    calendar: WorkingCalendar,
    now: datetime,
    evaluations: Sequence[OpenEvaluation],
    teachers: Sequence[TeacherCapacity],
    margin_hours: float,
) -> list[Move]:
    """The moves that keep evaluations within their deadline less `margin_hours` of working
    time, most urgent first (see the module's docstring for the rules)."""
    if not (math.isfinite(margin_hours) and margin_hours >= 0):
        raise ValueError("margin_hours must be a non-negative number")
    margin = hours_to_microseconds(margin_hours) if margin_hours > 0 else 0
    queues = _Queues(calendar, now, evaluations, teachers)
    bounds: dict[UUID, int] = {
        e.evaluation_id: calendar.clock(e.deadline) - margin for e in evaluations
    }
    moves: list[Move] = []
    for evaluation in sorted(evaluations, key=lambda e: (e.deadline, e.evaluation_id)):
        holder = evaluation.teacher_id
        active_holder = holder is not None and holder in queues.teachers
        bound = bounds[evaluation.evaluation_id]
        current: int | None = None
        if active_holder:
            assert holder is not None
            if evaluation.started:
                continue
            current = queues.finish_of(holder, evaluation.evaluation_id)
            if current <= bound:
                continue
        target = _best_target(queues, evaluation, bounds, orphan=not active_holder)
        if target is None:
            continue
        teacher_id, index, finish = target
        if current is not None and not (finish <= bound and finish < current):
            continue
        if active_holder:
            assert holder is not None
            queues.queues[holder] = [
                item
                for item in queues.queues[holder]
                if item.evaluation.evaluation_id != evaluation.evaluation_id
            ]
        work = queues.teachers[teacher_id].work(evaluation.share_to_do)
        queues.queues[teacher_id].insert(index, _Item(evaluation, False, work))
        moves.append(
            Move(
                evaluation_id=evaluation.evaluation_id,
                from_teacher=holder,
                to_teacher=teacher_id,
                predicted_before=None if current is None else queues.instant(current),
                predicted_after=queues.instant(finish),
            )
        )
    return moves


def _best_target(
    queues: _Queues, evaluation: OpenEvaluation, bounds: Mapping[UUID, int], *, orphan: bool
) -> tuple[UUID, int, int] | None:
    """(teacher, queue index, finish reading) of the soonest finisher with room other than the
    holder; one who would push an on-time evaluation past its bound only for an orphan, and
    only when every teacher with room would."""
    safe: tuple[int, int, UUID, int] | None = None
    unsafe: tuple[int, int, UUID, int] | None = None
    for teacher_id in sorted(queues.teachers):
        teacher = queues.teachers[teacher_id]
        held = queues.held(teacher_id)
        if teacher_id == evaluation.teacher_id or held >= teacher.max_active:
            continue
        index, ahead = queues.insertion(teacher_id, evaluation.deadline, evaluation.evaluation_id)
        work = teacher.work(evaluation.share_to_do)
        finish = queues.origin + ahead + work
        queue = queues.queues[teacher_id]
        readings = queues.finishes(teacher_id)
        pushes_past = any(
            readings[i] <= bounds[queue[i].evaluation.evaluation_id] < readings[i] + work
            for i in range(index, len(queue))
        )
        candidate = (finish, held, teacher_id, index)
        if pushes_past:
            if unsafe is None or candidate < unsafe:
                unsafe = candidate
        elif safe is None or candidate < safe:
            safe = candidate
    chosen = safe if safe is not None else (unsafe if orphan else None)
    if chosen is None:
        return None
    finish, _held, teacher_id, index = chosen
    return teacher_id, index, finish


def estimate_minutes_per_evaluation(
    durations_minutes: Sequence[float], prior_minutes: float, prior_weight: float = 5.0
) -> float:
    """A teacher's marking time per evaluation (working minutes), measured and shrunk.

    The centre of the teacher's past durations is their median: robust to the evaluation
    left open over a long interruption, which a mean would let dominate. It is shrunk towards
    the prior as if the prior were `prior_weight` extra observations:
    (n * median + w * prior) / (n + w). A new teacher gets the prior; after 5 evaluations the
    measurement has half the say, after 45 nine tenths. Durations that are not positive finite
    numbers are ignored.
    """
    if not (math.isfinite(prior_minutes) and prior_minutes > 0):
        raise ValueError("prior_minutes must be a positive number")
    if not (math.isfinite(prior_weight) and prior_weight >= 0):
        raise ValueError("prior_weight must be a non-negative number")
    measured = [d for d in durations_minutes if math.isfinite(d) and d > 0]
    if not measured:
        return float(prior_minutes)
    count = len(measured)
    centre = statistics.median(measured)
    return (count * centre + prior_weight * prior_minutes) / (count + prior_weight)


__all__ = [
    "STARTED_REMAINING_SHARE",
    "Move",
    "OpenEvaluation",
    "TeacherCapacity",
    "choose_teacher",
    "estimate_minutes_per_evaluation",
    "forecast_completions",
    "plan_reassignments",
]
