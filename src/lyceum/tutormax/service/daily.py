"""TutorMax's morning: one day's metrics, churn scores and interventions, in order.

`run_day(db, day)` is what the daily job runs (`tasks.py`) and `lyceum tutormax daily` runs
by hand, in one transaction committed by its caller:

1. the evaluation engine writes every tutor's 7-, 30- and 90-day metrics for the day;
2. the churn model scores every active tutor. The model used is the latest one trained on
   data up to the day; when there is none, or it is older than `RETRAIN_AFTER_DAYS`, a
   model is trained on what was known at the day first (deterministic: the same data give
   the same version, so a rerun finds it and trains nothing);
3. the intervention rules run on those scores and metrics (matches recorded, holdout kept
   aside, interventions opened);
4. overdue interventions are escalated.

Every step is idempotent per day, so rerunning a day changes nothing (tested), and a job
that crashed half-way leaves nothing: the caller's one commit is at the end.

The day is a calendar day whose data end at its midnight (UTC). The job asks for today, but
never for a day past the recorded history: on a history that stopped (the synthetic one ends
on 2 November 2026) it keeps recomputing its last day, which changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.repository import dashboard as dashboard_sql
from lyceum.tutormax.repository import predictions as prediction_sql
from lyceum.tutormax.service import churn, interventions, metrics

# A model older than this (its training data ending this many days before the day) is
# retrained before scoring: four weeks keeps it on recent behaviour without retraining daily.
RETRAIN_AFTER_DAYS = 28


@dataclass(frozen=True, slots=True)
class DailyReport:
    day: date
    metric_rows: int
    model_version: str
    trained: bool
    predictions: int
    outcomes_filled: int
    interventions_opened: int
    held_out: int
    escalated: int
    seconds: float


async def data_day(db: AsyncSession, today: date | None = None) -> date:
    """The day a run computes when asked for `today`: today, or the day after the last
    recorded activity if the history stops earlier."""
    return await metrics.default_day(db, today=today)


async def run_day(db: AsyncSession, day: date) -> DailyReport:
    """Metrics, scores, rules and escalation for `day` (see the module docstring)."""
    started = time.perf_counter()
    computed = await metrics.compute_day(db, day)
    model = await prediction_sql.latest_model(db, as_of_at_most=churn.midnight(day))
    trained = model is None or (day - model.as_of.date()).days > RETRAIN_AFTER_DAYS
    if trained:
        await churn.train_model(db, day)
    scored = await churn.score_day(db, day)
    applied = await interventions.apply_rules(db, day)
    escalated = await interventions.escalate_overdue(db, day)
    await db.flush()
    return DailyReport(
        day=day,
        metric_rows=computed.rows,
        model_version=scored.version,
        trained=trained,
        predictions=scored.written,
        outcomes_filled=scored.outcomes_filled,
        interventions_opened=applied.opened,
        held_out=applied.held_out,
        escalated=escalated.escalated,
        seconds=round(time.perf_counter() - started, 1),
    )


async def _score_week(db: AsyncSession, day: date) -> None:
    """Score `day` as `run_day` does (training first when the model is missing or old)."""
    model = await prediction_sql.latest_model(db, as_of_at_most=churn.midnight(day))
    if model is None or (day - model.as_of.date()).days > RETRAIN_AFTER_DAYS:
        await churn.train_model(db, day)
    await churn.score_day(db, day)


# How far back `catch_up` goes: half a year of daily metrics and weekly scores, enough for
# the pages' trends (they show the last 26 weeks).
CATCH_UP_WEEKS = 26


@dataclass(frozen=True, slots=True)
class CatchUpReport:
    day: date
    skipped: bool
    metric_rows: int = 0
    scored_days: int = 0
    evaluated: bool = False
    daily: DailyReport | None = None
    seconds: float = 0.0

    def describe(self) -> str:
        if self.skipped:
            return f"TutorMax: already caught up to {self.day}"
        opened = f", {self.daily.interventions_opened:,} interventions opened" if self.daily else ""
        evaluated = ", the model evaluated on held-out weeks" if self.evaluated else ""
        return (
            f"TutorMax: caught up to {self.day}: {self.metric_rows:,} metric rows, "
            f"{self.scored_days} scoring days{evaluated}{opened} ({self.seconds:.1f} s)"
        )


async def catch_up(
    db: AsyncSession, *, weeks: int = CATCH_UP_WEEKS, today: date | None = None
) -> CatchUpReport:
    """What the daily job would have written had it run through the last `weeks` weeks of
    the history: every day's metrics, a scoring each week (models trained as `run_day`
    trains them), then the last day in full (`run_day`: rules and escalation included),
    and a held-out evaluation for the model's card when no model has one. For a history
    loaded at once (the generator, an import), so the pages open on trends rather than on
    one day. Skipped when the last day is scored already; one transaction, committed by
    the caller."""
    started = time.perf_counter()
    last = await data_day(db, today)
    latest = await dashboard_sql.latest_prediction_day(db)
    if latest is not None and latest.date() >= last:
        return CatchUpReport(day=last, skipped=True)
    first = last - timedelta(weeks=weeks)
    computed = await metrics.backfill(db, first, last)
    scored = [first + timedelta(weeks=week) for week in range(weeks)]
    for day in scored:
        await _score_week(db, day)
    daily = await run_day(db, last)
    evaluated = await prediction_sql.latest_evaluated_model(db) is None
    if evaluated:
        await churn.evaluate_holdout(db)
    await db.flush()
    return CatchUpReport(
        day=last,
        skipped=False,
        metric_rows=computed.rows,
        scored_days=len(scored) + 1,
        evaluated=evaluated,
        daily=daily,
        seconds=round(time.perf_counter() - started, 1),
    )


__all__ = [
    "CATCH_UP_WEEKS",
    "RETRAIN_AFTER_DAYS",
    "CatchUpReport",
    "DailyReport",
    "catch_up",
    "data_day",
    "run_day",
]
