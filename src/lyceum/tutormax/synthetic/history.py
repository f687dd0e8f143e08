"""`simulate_history`: the whole synthetic history as table columns, plus its ground truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from lyceum.tutormax.synthetic.catalog import (
    HISTORY_END,
    SCALES,
    TRUTH_HORIZON_DAYS,
    DayArray,
    FloatArray,
    IntArray,
    StrArray,
    TutorMaxScale,
    demand_shape,
    history_start,
    midnight_micros,
)
from lyceum.tutormax.synthetic.events import event_rows
from lyceum.tutormax.synthetic.feedback import feedback_rows
from lyceum.tutormax.synthetic.forward import World
from lyceum.tutormax.synthetic.people import departure_times, student_rows, tutor_rows
from lyceum.tutormax.synthetic.population import CHURNED, INACTIVE
from lyceum.tutormax.synthetic.sessions import Columns, session_rows, tutor_ids
from lyceum.tutormax.synthetic.simulate import run_market

# Tables in insert order (foreign keys point backwards); the last three stay empty here.
TABLES = (
    "tutors",
    "students",
    "sessions",
    "student_feedback",
    "tutor_events",
    "tutor_performance_metrics",
    "churn_predictions",
    "interventions",
)
# The share of `report`'s progress the day loop stands for; building the rows is the rest.
LOOP_SHARE = 0.75


@dataclass(frozen=True)
class GroundTruth:
    """What the product tables do not say, for scoring models honestly.

    Rows follow the tutors table. Day `k` is `start + k days`; the days run
    `TRUTH_HORIZON_DAYS` past the history's end, so a prediction made at the end can be
    scored against what followed. `hazard[i, k]` is the probability tutor i churned on day
    k given they were active that morning (NaN when they were not); `motivation` is their
    latent day-to-day engagement (NaN likewise).
    """

    tutor_id: StrArray
    reliability: FloatArray
    quality: FloatArray
    engagement: FloatArray
    start: date
    history_days: int
    joined_day: IntArray
    churn_day: IntArray  # -1: did not churn within the simulated days
    pause_day: IntArray  # -1: did not pause
    hazard: FloatArray
    motivation: FloatArray

    @property
    def days(self) -> DayArray:
        return np.datetime64(self.start, "D") + np.arange(self.hazard.shape[1])

    @property
    def churn_date(self) -> DayArray:
        """The churn date (UTC day), NaT for tutors who did not churn."""
        dates = np.datetime64(self.start, "D") + np.maximum(self.churn_day, 0)
        return np.where(self.churn_day >= 0, dates, np.datetime64("NaT"))

    def churns_within(self, day: date, horizon_days: int) -> IntArray:
        """1 for tutors who churn in [day, day + horizon_days), else 0."""
        first = (day - self.start).days
        hit = (self.churn_day >= first) & (self.churn_day < first + horizon_days)
        return hit.astype(np.int64)

    def churn_probability(self, day: date, horizon_days: int) -> FloatArray:
        """The probability of churning in [day, day + horizon_days) for tutors active on
        `day` (NaN for others), from the hazards along the path actually taken: hindsight
        (it uses days after `day`), a ceiling for calibration checks, not a forecast."""
        first = (day - self.start).days
        window = self.hazard[:, first : first + horizon_days]
        survive = np.nanprod(1.0 - np.nan_to_num(window, nan=0.0), axis=1)
        active = ~np.isnan(self.hazard[:, first])
        return np.where(active, 1.0 - survive, np.nan)


@dataclass(frozen=True)
class TutorMaxHistory:
    """One dict of columns per table (keys are the table's column names, `<name>_null`
    masks mark NULLs), ready for `lyceum.core.db.bulk.copy_table`, and the ground truth.

    UUID keys (`feedback_id`, `event_id`) are left to the loader: it assigns time-ordered
    ones from the seed (and the database default would do too).

    `world` is the model's state at the end, kept when asked for (`keep_world`), from which
    `forward.continue_world` runs futures with interventions.
    """

    scale: str
    seed: int
    months: int
    start: date
    end: date
    tutors: Columns
    students: Columns
    sessions: Columns
    student_feedback: Columns
    tutor_events: Columns
    truth: GroundTruth
    tutor_performance_metrics: Columns = field(default_factory=dict)
    churn_predictions: Columns = field(default_factory=dict)
    interventions: Columns = field(default_factory=dict)
    world: World | None = None

    def table(self, name: str) -> Columns:
        if name not in TABLES:
            raise KeyError(name)
        columns: Columns = getattr(self, name)
        return columns

    def row_counts(self) -> dict[str, int]:
        counts = {}
        for name in TABLES:
            columns = self.table(name)
            first: Any = next((v for k, v in columns.items() if not k.endswith("_null")), [])
            counts[name] = len(first)
        return counts


def _scale(scale: str | TutorMaxScale) -> TutorMaxScale:
    if isinstance(scale, TutorMaxScale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None


def simulate_history(
    scale: str | TutorMaxScale,
    seed: int,
    months: int = 12,
    end: date = HISTORY_END,
    report: Callable[[float], None] | None = None,
    keep_world: bool = False,
) -> TutorMaxHistory:
    """The history of `months` months ending at `end` (exclusive, midnight UTC).

    Deterministic: the same arguments give identical arrays. With `keep_world`, the result
    also holds the model's state at the end (`TutorMaxHistory.world`); the arrays are the
    same either way.
    """
    spec = _scale(scale)
    start = history_start(end, months)
    days = (end - start).days
    shape = demand_shape(start, days + TRUTH_HORIZON_DAYS)
    shape /= shape[:days].mean()

    def loop_report(fraction: float) -> None:
        if report is not None:
            report(LOOP_SHARE * fraction)

    raw = run_market(spec, seed, shape, days, loop_report, keep_end_state=keep_world)
    tutors = int((raw.tutors.joined_day < days).sum())
    left_at = departure_times(raw, tutors, start, seed)

    pairing_student = raw.pairings.column("student")
    students = np.unique(
        pairing_student[np.concatenate([raw.session_pairing, raw.scheduled_pairing])]
    )
    student_number = np.full(raw.student_created_day.shape[0], -1)
    student_number[students] = np.arange(students.shape[0])
    sessions, facts = session_rows(raw, start, end, seed, student_number)
    end_micros = midnight_micros(end)
    feedback = feedback_rows(raw, sessions, facts, end_micros, seed)
    events = event_rows(raw, tutors, sessions, facts, left_at, start, end_micros, seed)

    table = raw.tutors
    left_day = table.left_day[:tutors]
    status = table.status[:tutors]
    within = left_day < raw.total_days
    truth = GroundTruth(
        tutor_id=tutor_ids(np.arange(tutors)),
        reliability=table.reliability[:tutors].copy(),
        quality=table.quality[:tutors].copy(),
        engagement=table.engagement[:tutors].copy(),
        start=start,
        history_days=days,
        joined_day=table.joined_day[:tutors].copy(),
        churn_day=np.where(within & (status == CHURNED), left_day, -1),
        pause_day=np.where(within & (status == INACTIVE), left_day, -1),
        hazard=raw.hazard[:tutors].copy(),
        motivation=raw.motivation[:tutors].copy(),
    )
    history = TutorMaxHistory(
        scale=spec.name,
        seed=seed,
        months=months,
        start=start,
        end=end,
        tutors=tutor_rows(raw, tutors, start, left_at),
        students=student_rows(raw, students, facts, start, seed),
        sessions=sessions,
        student_feedback=feedback,
        tutor_events=events,
        truth=truth,
        world=(
            World(spec, seed, start, days, shape, raw.end_state)
            if raw.end_state is not None
            else None
        ),
    )
    if report is not None:
        report(1.0)
    return history


__all__ = ["TABLES", "GroundTruth", "TutorMaxHistory", "simulate_history"]
