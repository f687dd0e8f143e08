"""The churn model's features are point-in-time: a snapshot at D reads only what was known
at D's midnight (UTC). Changing or adding anything dated after D (sessions, ratings,
events, a tutor leaving) changes no feature; a change before D does."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.tutormax.churn.features import FEATURE_NAMES, build_features
from lyceum.tutormax.generate import generate
from lyceum.tutormax.repository.features import (
    AGGREGATE_COLUMNS,
    data_span,
    snapshot_aggregates,
    utc_midnight,
)

HISTORY = GenerateOptions(seed=5, scale="small", months=6)
D = date(2026, 8, 3)
AT = utc_midnight(D)


async def _snapshot(db: AsyncSession, first: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    aggregates = await snapshot_aggregates(db, [D, D - timedelta(days=14)])
    return aggregates, build_features(aggregates, first)


async def _run(db: AsyncSession, sql: str, **params: object) -> None:
    await db.execute(text(sql), params)


async def _rewrite_everything_after_d(db: AsyncSession, tutor: str) -> None:
    later = AT + timedelta(hours=2)
    # Every session on or after D is cancelled; one new one is added, rated 1, with a
    # tutor reschedule and a tutor no-show's worth of bad news.
    await _run(
        db,
        """UPDATE tutormax.sessions SET status = 'cancelled', actual_start = NULL,
               actual_duration_minutes = NULL, no_show_by = NULL, engagement_score = NULL,
               learning_objectives_met = NULL
           WHERE scheduled_start >= :at""",
        at=AT,
    )
    await _run(
        db,
        """INSERT INTO tutormax.sessions (session_id, tutor_id, student_id, subject,
               scheduled_start, duration_minutes, status, actual_start, actual_duration_minutes,
               was_rescheduled, rescheduled_by, engagement_score, is_first_session)
           SELECT 'LATE-1', :tutor, student_id, 'Algebra', :later, 60, 'completed', :later, 5,
                  true, 'tutor', 0.01, true
           FROM tutormax.students ORDER BY student_id LIMIT 1""",
        tutor=tutor,
        later=later,
    )
    await _run(
        db,
        """INSERT INTO tutormax.student_feedback (session_id, tutor_id, student_id,
               overall_rating, submitted_at)
           SELECT session_id, tutor_id, student_id, 1, :later FROM tutormax.sessions
           WHERE session_id = 'LATE-1'""",
        later=later,
    )
    # Logins, slow answers, cancellations and a break for everyone after D; some events
    # after D deleted.
    await _run(
        db,
        """INSERT INTO tutormax.tutor_events (tutor_id, event_type, event_timestamp, metadata)
           SELECT tutor_id, kind, :later, meta::jsonb
           FROM tutormax.tutors,
                (VALUES ('login', '{}'), ('message_response', '{"response_minutes": 5000}'),
                        ('session_cancelled', '{"initiated_by": "tutor"}'),
                        ('availability_changed', '{"change": "decrease"}'),
                        ('status_changed', '{"from": "active", "to": "inactive"}'))
                AS e(kind, meta)""",
        later=later,
    )
    await _run(
        db,
        "DELETE FROM tutormax.tutor_events WHERE event_timestamp >= :cut",
        cut=AT + timedelta(days=20),
    )
    # A tutor active at D leaves three days later.
    await _run(
        db,
        """UPDATE tutormax.tutors SET status = 'churned', churned_at = :gone
           WHERE tutor_id = :tutor""",
        tutor=tutor,
        gone=AT + timedelta(days=3),
    )


async def test_data_after_the_snapshot_day_changes_no_feature(db_session: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)
    span = await data_span(db_session, datetime.now(AT.tzinfo))
    assert span.first is not None
    first = span.first.date()
    aggregates, features = await _snapshot(db_session, first)
    at_d = features[features["day"] == pd.Timestamp(D)]
    assert len(at_d) > 30
    tutor = str(at_d["tutor_id"].iloc[0])
    # The snapshot is not empty of signal: these counts are what the model reads.
    assert aggregates["logins_30d"].sum() > 0 and aggregates["booked_30d"].sum() > 0

    await _rewrite_everything_after_d(db_session, tutor)
    aggregates_after, features_after = await _snapshot(db_session, first)
    pd.testing.assert_frame_equal(aggregates, aggregates_after)
    pd.testing.assert_frame_equal(features, features_after)

    # The same kind of change a day *before* D does move that tutor's features.
    await _run(
        db_session,
        """INSERT INTO tutormax.tutor_events (tutor_id, event_type, event_timestamp, metadata)
           VALUES (:tutor, 'login', :before, '{}'), (:tutor, 'login', :before, '{}')""",
        tutor=tutor,
        before=AT - timedelta(hours=5),
    )
    _, features_moved = await _snapshot(db_session, first)
    row = features_moved[
        (features_moved["tutor_id"] == tutor) & (features_moved["day"] == pd.Timestamp(D))
    ]
    before = at_d[at_d["tutor_id"] == tutor]
    assert float(row["logins_per_day_7d"].iloc[0]) == pytest.approx(
        float(before["logins_per_day_7d"].iloc[0]) + 2 / 7
    )


async def test_a_tutor_appears_only_while_active(db_session: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(HISTORY, progress)
    gone = (
        await db_session.execute(
            text(
                "SELECT tutor_id, churned_at FROM tutormax.tutors WHERE churned_at IS NOT NULL "
                "ORDER BY churned_at LIMIT 1"
            )
        )
    ).one()
    day_before = gone.churned_at.date()
    day_after = day_before + timedelta(days=1)
    aggregates = await snapshot_aggregates(db_session, [day_before, day_after])
    present = aggregates.groupby("day")["tutor_id"].apply(set).to_dict()
    assert gone.tutor_id in present[day_before]
    assert gone.tutor_id not in present[day_after]
    assert set(AGGREGATE_COLUMNS) <= set(aggregates.columns)
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))
