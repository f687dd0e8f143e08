"""TutorMax's daily job on a small generated history: the day's metrics, scores,
interventions and escalation in one run, on the platform's job queue, and a rerun of the
day changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.apps import APPS
from lyceum.core.appspec import GenerateOptions
from lyceum.core.jobs import build_job_app, next_run
from lyceum.core.settings import load_settings
from lyceum.tutormax.generate import generate
from lyceum.tutormax.service.daily import catch_up, data_day, run_day
from lyceum.tutormax.service.policysim import PRIORITY_STEP, daily_job_targeting
from lyceum.tutormax.synthetic import HISTORY_END
from lyceum.tutormax.tasks import DAILY_CRON, TIMEZONE

HISTORY = GenerateOptions(seed=5, scale="small", months=12)

# What a day's run writes, compared whole (the ids and timestamps of rows a rerun would
# rewrite are part of it: a rerun must leave them as they were).
SNAPSHOTS = {
    "metrics": "SELECT tutor_id, calculation_date, metric_window, sessions_completed, avg_rating,"
    " first_session_success_rate, reschedule_rate, no_show_count, engagement_score,"
    " response_time_avg_minutes, overall_score, performance_tier, improvement_areas, metric_id"
    " FROM tutormax.tutor_performance_metrics ORDER BY 1, 2, 3",
    "predictions": "SELECT tutor_id, prediction_date, model_version, churn_probability_7d,"
    " churn_probability_30d, churn_probability_90d, risk_score, risk_level,"
    " contributing_factors::text, outcome_churned_30d, prediction_id"
    " FROM tutormax.churn_predictions ORDER BY 1, 2, 3",
    "models": "SELECT version, as_of FROM tutormax.churn_models ORDER BY 1",
    "interventions": "SELECT intervention_id, tutor_id, intervention_type, status, priority,"
    " due_date, trigger_reason, updated_at FROM tutormax.interventions ORDER BY 1",
    "matches": "SELECT tutor_id, intervention_type, match_date, rule_id, arm, intervention_id"
    " FROM tutormax.intervention_rule_matches ORDER BY 1, 2, 3",
    "audit": "SELECT count(*) FROM tutormax.intervention_audit",
    "outbox": "SELECT count(*) FROM lyceum.outbox",
}


async def _snapshot(db: AsyncSession) -> dict[str, list[Any]]:
    return {name: list((await db.execute(text(sql))).all()) for name, sql in SNAPSHOTS.items()}


async def test_a_day_runs_every_engine_and_a_rerun_changes_nothing(
    db_session: AsyncSession,
) -> None:
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)
    # Today is long after the synthetic history: the day is the history's last.
    day = await data_day(db_session, datetime(2027, 6, 1, tzinfo=UTC).date())
    assert day == HISTORY_END

    first = await run_day(db_session, day)
    assert first.trained and first.metric_rows > 0 and first.predictions > 0
    assert first.interventions_opened > 0
    after_first = await _snapshot(db_session)
    assert len(after_first["metrics"]) == first.metric_rows
    assert len(after_first["predictions"]) == first.predictions
    # Every intervention the rules opened is a treated match; held-out matches opened none.
    opened = {row[5] for row in after_first["matches"] if row[5] is not None}
    assert len(opened) == first.interventions_opened
    assert opened <= {row[0] for row in after_first["interventions"]}
    assert all(row[5] is None for row in after_first["matches"] if row[4] == "holdout")

    again = await run_day(db_session, day)
    assert not again.trained and again.model_version == first.model_version
    assert again.interventions_opened == 0 and again.escalated == 0
    assert await _snapshot(db_session) == after_first


async def test_the_job_runs_each_morning_on_the_queue(db_session: AsyncSession) -> None:
    app = build_job_app(load_settings(), APPS.values())
    task = app.tasks["tutormax:daily"]
    [schedule] = [p for p in app.periodic_registry.periodic_tasks.values() if p.task is task]
    assert (DAILY_CRON, TIMEZONE) == ("0 5 * * *", "UTC")
    assert next_run(schedule.cron, datetime(2026, 12, 4, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 5, 5, 0, tzinfo=UTC
    )
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)
    # Run as the worker runs it (its session joins this test's transaction).
    said = await task.func(timestamp=int(datetime(2027, 1, 10, 5, tzinfo=UTC).timestamp()))
    assert said.startswith(f"{HISTORY_END}: ")
    [(predictions,)] = (
        await db_session.execute(text("SELECT count(*) FROM tutormax.churn_predictions"))
    ).all()
    assert predictions > 0


async def test_catch_up_writes_the_weeks_a_loaded_history_missed(db_session: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)
    today = datetime(2027, 6, 1, tzinfo=UTC).date()

    report = await catch_up(db_session, weeks=4, today=today)

    assert not report.skipped and report.day == HISTORY_END
    assert report.scored_days == 5 and report.evaluated
    assert report.daily is not None and report.daily.interventions_opened > 0
    days = (
        await db_session.execute(
            text("SELECT DISTINCT prediction_date::date FROM tutormax.churn_predictions ORDER BY 1")
        )
    ).scalars()
    assert [HISTORY_END - day for day in days] == [timedelta(weeks=w) for w in (4, 3, 2, 1, 0)]
    metric_days = (
        await db_session.execute(
            text("SELECT count(DISTINCT calculation_date) FROM tutormax.tutor_performance_metrics")
        )
    ).scalar_one()
    assert metric_days == 4 * 7 + 1
    # The model's card has held-out figures.
    evaluated = (
        await db_session.execute(
            text("SELECT count(*) FROM tutormax.churn_models WHERE evaluation IS NOT NULL")
        )
    ).scalar_one()
    assert evaluated == 1
    # Caught up: a second call does nothing.
    assert (await catch_up(db_session, weeks=4, today=today)).skipped


async def test_the_daily_jobs_targeting_ranks_the_rules_matches_first(
    db_session: AsyncSession,
) -> None:
    """What `policy-sim` asks of the database: the churn model's scores and the rules'
    picks on the history's last day."""
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)
    targeting = await daily_job_targeting(db_session, HISTORY_END)

    active = set(
        (
            await db_session.execute(
                text("SELECT tutor_id FROM tutormax.tutors WHERE status = 'active'")
            )
        ).scalars()
    )
    assert set(targeting.risk_score) <= active
    assert set(targeting.rules_rank) == set(targeting.risk_score)
    assert 0 < targeting.matched_tutors < len(targeting.risk_score)
    matched = {t for t, rank in targeting.rules_rank.items() if rank >= PRIORITY_STEP}
    assert len(matched) == targeting.matched_tutors
    lowest_matched = min(targeting.rules_rank[t] for t in matched)
    assert all(
        targeting.rules_rank[t] < lowest_matched for t in targeting.rules_rank if t not in matched
    )
    # Within the unmatched, the order is the churn model's.
    for tutor, rank in targeting.rules_rank.items():
        if tutor not in matched:
            assert rank == targeting.risk_score[tutor]
