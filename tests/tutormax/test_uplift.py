"""`lyceum tutormax uplift` over the database (issue 14 item 5): treated against held-out
tutors from the rules' recorded matches, each tutor once, outcomes only once known.

The world here is built with a planted effect: the held-out tutors churn at 30 %, the treated
at 15 %, so the truth is 15 churns prevented per 100 treated. (The estimator's coverage in
the simulated world's futures is tests/tutormax/test_policysim_uplift.py's.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import InvalidInput
from lyceum.tutormax.service.uplift import measure_uplift
from tests.tutormax.profile_rows import add_session, add_student, add_tutor

MATCHED = date(2026, 3, 2)
TODAY = date(2026, 9, 1)  # the day after the last completed session below
HELD_OUT_RULE = "critical-risk-retention-interview"
NO_HOLDOUT_RULE = "exemplary-recognition"


async def _match(
    db: AsyncSession, tutor: str, day: date, arm: str, rule: str = HELD_OUT_RULE
) -> None:
    await db.execute(
        text(
            "INSERT INTO tutormax.intervention_rule_matches"
            " (tutor_id, intervention_type, match_date, rule_id, arm)"
            " VALUES (:tutor, 'retention_interview', :day, :rule, :arm)"
        ),
        {"tutor": tutor, "day": day, "rule": rule, "arm": arm},
    )


async def _tutors(db: AsyncSession, arm: str, total: int, churned: int, day: date) -> None:
    """`total` tutors matched on `day` in `arm`, the first `churned` of whom leave 30 days
    later."""
    for index in range(total):
        gone = index < churned
        when = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=30)
        tutor = await add_tutor(
            db, status="churned" if gone else "active", churned_at=when if gone else None
        )
        await _match(db, tutor, day, arm)


async def _world(db: AsyncSession) -> None:
    await _tutors(db, "treatment", 200, 30, MATCHED)
    await _tutors(db, "holdout", 200, 60, MATCHED)
    # The data's today: a completed session the day before.
    tutor, student = await add_tutor(db), await add_student(db)
    await add_session(db, tutor, student, datetime(2026, 8, 31, 10, tzinfo=UTC))
    await db.execute(
        text(
            "UPDATE tutormax.sessions SET status = 'completed', actual_start = scheduled_start,"
            " actual_duration_minutes = 60 WHERE tutor_id = :t"
        ),
        {"t": tutor},
    )


async def test_uplift_recovers_the_planted_effect_within_its_interval(
    db_session: AsyncSession,
) -> None:
    await _world(db_session)
    # Counted once: a later match of a treated tutor, in either arm, changes nothing.
    first = (
        await db_session.execute(
            text(
                "SELECT tutor_id FROM tutormax.intervention_rule_matches"
                " WHERE arm = 'treatment' LIMIT 1"
            )
        )
    ).scalar_one()
    await _match(db_session, first, MATCHED + timedelta(days=7), "holdout")
    # A rule without a holdout has no control group: its matches are not compared.
    for _ in range(5):
        await _match(db_session, await add_tutor(db_session), MATCHED, "treatment", NO_HOLDOUT_RULE)
    # A match whose 90 days have not ended yet has no known outcome.
    await _match(db_session, await add_tutor(db_session), TODAY - timedelta(days=30), "holdout")
    await db_session.flush()

    report = await measure_uplift(db_session, today=date(2026, 12, 5))

    assert report.today == TODAY
    assert report.until == TODAY - timedelta(days=90)
    estimate = report.estimate
    assert (estimate.treated_churned, estimate.treated) == (30, 200)
    assert (estimate.holdout_churned, estimate.holdout) == (60, 200)
    assert estimate.prevented_per_100 == pytest.approx(15.0)
    low, high = estimate.prevented_per_100_interval
    assert low < 15.0 < high and low > 0  # the planted effect, and not nothing
    assert estimate.relative_reduction == pytest.approx(0.5)
    assert HELD_OUT_RULE in report.rules and NO_HOLDOUT_RULE not in report.rules


async def test_the_horizon_decides_what_counts_as_churned(db_session: AsyncSession) -> None:
    await _world(db_session)
    await db_session.flush()
    # Everyone who left did so 30 days after the match: within 20 days, nobody churned.
    report = await measure_uplift(db_session, horizon_days=20, today=date(2026, 12, 5))
    assert report.estimate.treated_churned == report.estimate.holdout_churned == 0


async def test_uplift_refuses_with_what_is_missing(db_session: AsyncSession) -> None:
    await _tutors(db_session, "treatment", 5, 1, MATCHED)
    tutor, student = await add_tutor(db_session), await add_student(db_session)
    await add_session(db_session, tutor, student, datetime(2026, 8, 31, 10, tzinfo=UTC))
    await db_session.execute(
        text(
            "UPDATE tutormax.sessions SET status = 'completed', actual_start = scheduled_start,"
            " actual_duration_minutes = 60 WHERE tutor_id = :t"
        ),
        {"t": tutor},
    )
    await db_session.flush()
    with pytest.raises(InvalidInput, match="no holdout tutor"):
        await measure_uplift(db_session, today=date(2026, 12, 5))
    with pytest.raises(InvalidInput, match="latest usable match day is 2026-06-03"):
        await measure_uplift(db_session, since=date(2026, 8, 1), today=date(2026, 12, 5))
