"""Seed 002's eleven utility functions on a hand-built world whose answers are known."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.core.errors import InvalidInput, NotFound
from lyceum.tutormax import repository as repo
from lyceum.tutormax.enums import (
    EventType,
    InitiatedBy,
    InterventionStatus,
    InterventionType,
    MetricWindow,
    RiskLevel,
    SessionStatus,
    TutorStatus,
    risk_level_for,
)
from lyceum.tutormax.models import (
    ChurnPrediction,
    Intervention,
    Session,
    Student,
    StudentFeedback,
    Tutor,
    TutorEvent,
    TutorPerformanceMetric,
)

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def tutor(tutor_id: str, status: TutorStatus = TutorStatus.ACTIVE) -> Tutor:
    return Tutor(
        tutor_id=tutor_id,
        name=f"Tutor {tutor_id}",
        email=f"{tutor_id.lower()}@example.com",
        onboarding_date=days_ago(400),
        status=status,
        subjects=["Algebra"],
        churned_at=days_ago(10) if status == TutorStatus.CHURNED else None,
    )


def session_row(
    session_id: str,
    tutor_id: str,
    ago: float,
    status: SessionStatus = SessionStatus.COMPLETED,
    *,
    student_id: str = "S1",
    first: bool = False,
    no_show_by: InitiatedBy | None = None,
    rescheduled_by: InitiatedBy | None = None,
) -> Session:
    start = days_ago(ago)
    completed = status == SessionStatus.COMPLETED
    return Session(
        session_id=session_id,
        tutor_id=tutor_id,
        student_id=student_id,
        subject="Algebra",
        scheduled_start=start,
        duration_minutes=60,
        status=status,
        actual_start=start if completed else None,
        actual_duration_minutes=58 if completed else None,
        is_first_session=first,
        no_show_by=no_show_by,
        was_rescheduled=rescheduled_by is not None,
        rescheduled_by=rescheduled_by,
    )


def rating(session: Session, stars: int) -> StudentFeedback:
    return StudentFeedback(
        session_id=session.session_id,
        tutor_id=session.tutor_id,
        student_id=session.student_id,
        overall_rating=stars,
        submitted_at=session.scheduled_start + timedelta(hours=2),
    )


def prediction(tutor_id: str, ago: float, score: int) -> ChurnPrediction:
    probability = score / 100
    return ChurnPrediction(
        tutor_id=tutor_id,
        prediction_date=days_ago(ago),
        churn_probability_7d=probability / 3,
        churn_probability_30d=probability / 2,
        churn_probability_90d=probability,
        risk_score=score,
        risk_level=risk_level_for(score),
        contributing_factors={"reschedule_rate_30d": 0.2},
        model_version="test-1",
    )


@pytest.fixture
async def world(db_session: AsyncSession) -> AsyncSession:
    db = db_session
    db.add_all(
        [
            tutor("T1"),
            tutor("T2"),
            tutor("T3", TutorStatus.CHURNED),
            tutor("T4", TutorStatus.INACTIVE),
            Student(student_id="S1", name="Student One"),
            Student(student_id="S2", name="Student Two"),
        ]
    )
    await db.flush()
    t1 = [
        session_row("T1-a", "T1", 1, first=True),
        session_row("T1-b", "T1", 5, student_id="S2", first=True),
        session_row("T1-c", "T1", 8, SessionStatus.NO_SHOW, no_show_by=InitiatedBy.TUTOR),
        session_row("T1-d", "T1", 9, SessionStatus.NO_SHOW, no_show_by=InitiatedBy.STUDENT),
        session_row("T1-e", "T1", 12, rescheduled_by=InitiatedBy.TUTOR),
        session_row("T1-f", "T1", 20, SessionStatus.CANCELLED, rescheduled_by=InitiatedBy.STUDENT),
        # Outside a 30-day window, inside a 60-day one.
        session_row("T1-g", "T1", 40, rescheduled_by=InitiatedBy.TUTOR),
        # In the future of NOW: never counted.
        session_row("T1-h", "T1", -2, SessionStatus.SCHEDULED),
    ]
    t2 = [session_row("T2-a", "T2", 3, first=True, student_id="S2")]
    db.add_all([*t1, *t2])
    await db.flush()
    by_id = {s.session_id: s for s in [*t1, *t2]}
    db.add_all(
        [
            rating(by_id["T1-a"], 5),
            rating(by_id["T1-b"], 3),
            rating(by_id["T1-e"], 4),
            rating(by_id["T1-g"], 1),
            rating(by_id["T2-a"], 2),
        ]
    )
    db.add_all(
        [
            # T1 was High a month ago and is Low now: only the latest counts.
            prediction("T1", 30, 60),
            prediction("T1", 1, 10),
            prediction("T2", 1, 90),
            # Churned: no longer anyone's intervention target.
            prediction("T3", 1, 70),
            prediction("T4", 20, 40),
            prediction("T4", 2, 55),
        ]
    )
    db.add_all(
        [
            metric("T1", 14, MetricWindow.THIRTY_DAY, 3.9),
            metric("T1", 7, MetricWindow.THIRTY_DAY, 4.1),
            metric("T1", 1, MetricWindow.SEVEN_DAY, 4.8),
        ]
    )
    db.add_all(
        [
            intervention("T1", "p2-tomorrow", 2, NOW + timedelta(days=1)),
            # A tutor has at most one open intervention of a type: these are of others.
            intervention("T1", "p1-undated", 1, None, kind=InterventionType.TRAINING_MODULE),
            intervention("T2", "p2-today", 2, NOW),
            intervention("T2", "p3-undated", 3, None, kind=InterventionType.TRAINING_MODULE),
            intervention(
                "T1",
                "in-progress",
                1,
                NOW,
                InterventionStatus.IN_PROGRESS,
                kind=InterventionType.PEER_MENTORING,
            ),
            intervention("T2", "cancelled", 1, NOW, InterventionStatus.CANCELLED),
        ]
    )
    db.add_all(
        [
            TutorEvent(
                tutor_id="T1",
                event_type=EventType.LOGIN,
                event_timestamp=days_ago(d),
                event_metadata={"device": "web"},
            )
            for d in (1, 2, 3, 10)
        ]
        + [
            TutorEvent(
                tutor_id="T1",
                event_type=EventType.MESSAGE_RESPONSE,
                event_timestamp=days_ago(2.5),
                event_metadata={"response_minutes": 42},
            ),
            TutorEvent(tutor_id="T2", event_type=EventType.LOGIN, event_timestamp=days_ago(1)),
        ]
    )
    await db.flush()
    db.expunge_all()
    return db


def metric(tutor_id: str, ago: float, window: MetricWindow, avg: float) -> TutorPerformanceMetric:
    return TutorPerformanceMetric(
        tutor_id=tutor_id,
        # Metrics are per day: the row's date is midnight UTC.
        calculation_date=days_ago(ago).replace(hour=0),
        metric_window=window,
        sessions_completed=10,
        avg_rating=avg,
        reschedule_rate=0.1,
        no_show_count=0,
    )


def intervention(
    tutor_id: str,
    reason: str,
    priority: int,
    due: datetime | None,
    status: InterventionStatus = InterventionStatus.PENDING,
    kind: InterventionType = InterventionType.MANAGER_COACHING,
) -> Intervention:
    return Intervention(
        tutor_id=tutor_id,
        intervention_type=kind,
        trigger_reason=reason,
        status=status,
        priority=priority,
        due_date=due,
    )


async def test_get_tutor_by_id(world: AsyncSession) -> None:
    found = await repo.get_tutor_by_id(world, "T1")
    assert found is not None and found.email == "t1@example.com"
    assert await repo.get_tutor_by_id(world, "nobody") is None

    world.expunge_all()
    loaded = await repo.get_tutor_by_id(world, "T1", with_relations=True)
    assert loaded is not None
    assert len(loaded.sessions) == 8
    rated = {s.session_id: s.feedback.overall_rating for s in loaded.sessions if s.feedback}
    assert rated == {"T1-a": 5, "T1-b": 3, "T1-e": 4, "T1-g": 1}
    assert len(loaded.performance_metrics) == 3
    assert len(loaded.churn_predictions) == 2
    assert len(loaded.interventions) == 3
    assert len(loaded.events) == 5


async def test_get_active_tutors(world: AsyncSession) -> None:
    assert [t.tutor_id for t in await repo.get_active_tutors(world)] == ["T1", "T2"]
    assert [t.tutor_id for t in await repo.get_active_tutors(world, limit=1, offset=1)] == ["T2"]


async def test_get_tutors_by_risk_level_uses_each_tutors_latest_prediction(
    world: AsyncSession,
) -> None:
    assert [t.tutor_id for t in await repo.get_tutors_by_risk_level(world, "High")] == ["T4"]
    assert [t.tutor_id for t in await repo.get_tutors_by_risk_level(world, RiskLevel.LOW)] == ["T1"]
    assert [t.tutor_id for t in await repo.get_tutors_by_risk_level(world, "Critical")] == ["T2"]
    assert await repo.get_tutors_by_risk_level(world, "Medium") == []
    with pytest.raises(InvalidInput, match="unknown risk level 'Severe'"):
        await repo.get_tutors_by_risk_level(world, "Severe")


async def test_get_tutor_sessions_filters_by_time(world: AsyncSession) -> None:
    every = await repo.get_tutor_sessions(world, "T1")
    assert [s.session_id for s in every][:3] == ["T1-h", "T1-a", "T1-b"]
    window = await repo.get_tutor_sessions(world, "T1", start_date=days_ago(10), end_date=NOW)
    assert [s.session_id for s in window] == ["T1-a", "T1-b", "T1-c", "T1-d"]
    assert len(await repo.get_tutor_sessions(world, "T1", limit=2)) == 2
    with pytest.raises(InvalidInput, match="end_date is before start_date"):
        await repo.get_tutor_sessions(world, "T1", start_date=NOW, end_date=days_ago(1))
    with pytest.raises(InvalidInput, match="time zone"):
        await repo.get_tutor_sessions(world, "T1", start_date=datetime(2026, 1, 1))


async def test_get_first_sessions(world: AsyncSession) -> None:
    every = await repo.get_first_sessions(world)
    assert [s.session_id for s in every] == ["T1-a", "T2-a", "T1-b"]
    # Feedback comes loaded (first-session success is judged by it).
    assert [s.feedback.overall_rating for s in every if s.feedback] == [5, 2, 3]
    assert [s.session_id for s in await repo.get_first_sessions(world, tutor_id="T2")] == ["T2-a"]
    recent = await repo.get_first_sessions(world, start_date=days_ago(4))
    assert [s.session_id for s in recent] == ["T1-a", "T2-a"]


async def test_get_latest_performance_metrics_per_window(world: AsyncSession) -> None:
    latest = await repo.get_latest_performance_metrics(world, "T1")
    assert latest is not None and latest.avg_rating == 4.1
    weekly = await repo.get_latest_performance_metrics(world, "T1", window="7day")
    assert weekly is not None and weekly.avg_rating == 4.8
    assert await repo.get_latest_performance_metrics(world, "T1", MetricWindow.NINETY_DAY) is None
    assert await repo.get_latest_performance_metrics(world, "T2") is None
    with pytest.raises(InvalidInput, match="unknown metric window"):
        await repo.get_latest_performance_metrics(world, "T1", window="fortnight")


async def test_get_latest_churn_prediction(world: AsyncSession) -> None:
    latest = await repo.get_latest_churn_prediction(world, "T1")
    assert latest is not None and latest.risk_score == 10
    assert latest.risk_level == RiskLevel.LOW
    assert await repo.get_latest_churn_prediction(world, "nobody") is None


async def test_get_high_risk_tutors(world: AsyncSession) -> None:
    high = await repo.get_high_risk_tutors(world, min_score=51, limit=10)
    assert [(p.tutor_id, p.risk_score) for p in high] == [("T2", 90), ("T4", 55)]
    # The tutor comes loaded with its prediction.
    assert high[0].tutor.name == "Tutor T2"
    assert [p.tutor_id for p in await repo.get_high_risk_tutors(world, limit=1)] == ["T2"]
    assert [p.tutor_id for p in await repo.get_high_risk_tutors(world, min_score=5)] == [
        "T2",
        "T4",
        "T1",
    ]
    with pytest.raises(InvalidInput, match="min_score"):
        await repo.get_high_risk_tutors(world, min_score=101)
    with pytest.raises(InvalidInput, match="limit"):
        await repo.get_high_risk_tutors(world, limit=0)


async def test_get_pending_interventions_most_urgent_first(world: AsyncSession) -> None:
    queue = await repo.get_pending_interventions(world)
    assert [i.trigger_reason for i in queue] == [
        "p1-undated",
        "p2-today",
        "p2-tomorrow",
        "p3-undated",
    ]
    assert queue[0].tutor.tutor_id == "T1"
    mine = await repo.get_pending_interventions(world, tutor_id="T2")
    assert [i.trigger_reason for i in mine] == ["p2-today", "p3-undated"]


async def test_get_tutor_events(world: AsyncSession) -> None:
    every = await repo.get_tutor_events(world, "T1")
    assert [e.event_type for e in every] == [
        EventType.LOGIN,
        EventType.LOGIN,
        EventType.MESSAGE_RESPONSE,
        EventType.LOGIN,
        EventType.LOGIN,
    ]
    responses = await repo.get_tutor_events(world, "T1", event_type="message_response")
    assert [e.event_metadata for e in responses] == [{"response_minutes": 42}]
    recent = await repo.get_tutor_events(world, "T1", EventType.LOGIN, start_date=days_ago(2.5))
    assert [e.event_timestamp for e in recent] == [days_ago(1), days_ago(2)]
    assert len(await repo.get_tutor_events(world, "T1", limit=2)) == 2
    with pytest.raises(InvalidInput, match="unknown event type"):
        await repo.get_tutor_events(world, "T1", event_type="teleported")


async def test_get_tutor_statistics_counts_the_tutors_own_failures(world: AsyncSession) -> None:
    stats = await repo.get_tutor_statistics(world, "T1", days_back=30, now=NOW)
    assert stats == {
        "tutor_id": "T1",
        # a, b, c, d, e, f: not g (40 days ago) nor h (in the future).
        "total_sessions": 6,
        "average_rating": 4.0,  # (5 + 3 + 4) / 3
        "no_shows": 1,  # c (the tutor's); d was the student's
        "reschedules": 1,  # e (the tutor's); f was the student's
    }
    longer = await repo.get_tutor_statistics(world, "T1", days_back=60, now=NOW)
    assert longer["total_sessions"] == 7
    assert longer["average_rating"] == 3.25
    assert longer["reschedules"] == 2


async def test_get_tutor_statistics_without_sessions_and_unknown_tutors(
    world: AsyncSession,
) -> None:
    quiet = await repo.get_tutor_statistics(world, "T4", now=NOW)
    assert quiet == {
        "tutor_id": "T4",
        "total_sessions": 0,
        "average_rating": None,
        "no_shows": 0,
        "reschedules": 0,
    }
    # Default window ends at the database's clock: NOW is in the past, so T1's sessions are old.
    assert (await repo.get_tutor_statistics(world, "T1"))["total_sessions"] == 0
    with pytest.raises(NotFound, match="tutor 'nobody' not found"):
        await repo.get_tutor_statistics(world, "nobody")
    with pytest.raises(InvalidInput, match="days_back"):
        await repo.get_tutor_statistics(world, "T1", days_back=0)


@contextmanager
def counting_statements(connection: AsyncConnection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    engine = connection.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def add_busy_tutor(db: AsyncSession, tutor_id: str, sessions: int) -> None:
    db.add(tutor(tutor_id))
    await db.flush()
    rows = [session_row(f"{tutor_id}-{n}", tutor_id, n + 1) for n in range(sessions)]
    db.add_all(rows)
    await db.flush()
    db.add_all([rating(row, 4) for row in rows])
    db.add_all([prediction(tutor_id, n + 1, 20 + n) for n in range(sessions)])
    db.add_all(
        [
            TutorEvent(tutor_id=tutor_id, event_type=EventType.LOGIN, event_timestamp=days_ago(n))
            for n in range(sessions)
        ]
    )
    await db.flush()
    db.expunge_all()


async def test_relations_load_in_a_fixed_number_of_queries(
    world: AsyncSession, db_connection: AsyncConnection
) -> None:
    """No N+1: twenty sessions with feedback cost the same queries as one."""
    await add_busy_tutor(world, "SMALL", 1)
    await add_busy_tutor(world, "BIG", 20)
    counts = {}
    for tutor_id in ("SMALL", "BIG"):
        with counting_statements(db_connection) as statements:
            loaded = await repo.get_tutor_by_id(world, tutor_id, with_relations=True)
            assert loaded is not None
            assert all(s.feedback is not None for s in loaded.sessions)
        counts[tutor_id] = len(statements)
        world.expunge_all()
    assert counts["SMALL"] == counts["BIG"]
    # The tutor, then one query per relation (sessions, their feedback, metrics,
    # predictions, interventions, events).
    assert counts["BIG"] == 7
    with counting_statements(db_connection) as statements:
        high = await repo.get_high_risk_tutors(world, min_score=0, limit=50)
        assert {p.tutor.tutor_id for p in high} >= {"SMALL", "BIG"}
    assert len(statements) == 1
