"""TutorMax's own decisions as targeting policies for the policy simulation.

`lyceum tutormax policy-sim` continues the synthetic world past the history's end and treats
the tutors each policy picks. When the database holds that very history (the same seed,
scale and months, recorded by `lyceum generate tutormax`), `daily_job_targeting` asks the
daily job what it would decide on the history's last day — the evaluation engine's metrics,
the churn model's scores (training a model on what was known then when none is recent), the
intervention rules' matches — and returns two per-tutor scores:

- **churn model**: the risk score (0-100);
- **rules**: the tutors the rules match, most urgent rule first (priority 1 before 4), then
  by risk score; the tutors no rule matches follow by risk score, so a capacity larger than
  the rules' matches is filled as a team would fill it.

Nothing is kept: the caller rolls the transaction back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.generation_runs import latest_generation_run
from lyceum.tutormax.repository import interventions as intervention_sql
from lyceum.tutormax.repository import predictions as prediction_sql
from lyceum.tutormax.rules import plan_day
from lyceum.tutormax.service import churn, interventions, metrics
from lyceum.tutormax.service.daily import RETRAIN_AFTER_DAYS, data_day

APP = "tutormax"
# A matched tutor's rank: this much per priority level above the unmatched, then the risk
# score (0-100) within a level.
PRIORITY_STEP = 1_000.0


@dataclass(frozen=True)
class DailyJobTargeting:
    day: date
    model_version: str
    risk_score: dict[str, float]
    rules_rank: dict[str, float]
    matched_tutors: int


async def history_in_database(db: AsyncSession, scale: str, seed: int, months: int) -> str | None:
    """None when the database holds the generated history for these parameters, else why
    it does not (in words)."""
    run = await latest_generation_run(db, APP)
    if run is None:
        return "the database holds no generated TutorMax history"
    if (run.scale, run.seed, run.months) != (scale, seed, months):
        return (
            f"the database holds the history of seed {run.seed}, scale {run.scale}, "
            f"{run.months} months, not seed {seed}, scale {scale}, {months} months"
        )
    return None


async def daily_job_targeting(db: AsyncSession, day: date | None = None) -> DailyJobTargeting:
    """What the daily job decides on `day` (the history's last day by default); writes in
    the caller's transaction, which the caller rolls back (module docstring)."""
    when = day or await data_day(db)
    await metrics.compute_day(db, when)
    model = await prediction_sql.latest_model(db, as_of_at_most=churn.midnight(when))
    if model is None or (when - model.as_of.date()).days > RETRAIN_AFTER_DAYS:
        await churn.train_model(db, when)
    scored = await churn.score_day(db, when)
    risk = {
        tutor: float(score)
        for tutor, score in zip(
            scored.predictions.tutor_id, scored.predictions.risk_score, strict=True
        )
    }
    rules = interventions.active_rules()
    inputs = await intervention_sql.rule_inputs(db, when, rules.inputs.max_age_days)
    urgency: dict[str, int] = {}
    for match in plan_day(rules, when, inputs):
        urgency[match.tutor_id] = min(urgency.get(match.tutor_id, 5), match.priority)
    rank = {
        tutor: score + PRIORITY_STEP * (5 - urgency[tutor] if tutor in urgency else 0)
        for tutor, score in risk.items()
    }
    return DailyJobTargeting(
        day=when,
        model_version=scored.version,
        risk_score=risk,
        rules_rank=rank,
        matched_tutors=len(urgency),
    )


__all__ = ["DailyJobTargeting", "daily_job_targeting", "history_in_database"]
