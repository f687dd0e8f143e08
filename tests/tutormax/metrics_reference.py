"""The evaluation engine's metric definitions written out as plain Python over one tutor's raw
rows (a helper for the tests, not a test module): what docs/tutormax.md says each column means,
computed without any of the SQL's machinery (running totals, grids, unpivots)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import MetricWindow
from lyceum.tutormax.scorecard import WINDOW_DAYS, WindowMetrics

MAX_RESPONSE_MINUTES = 30 * 24 * 60


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class TutorRows:
    sessions: list[Any]  # rows of tutormax.sessions
    ratings: list[Any]  # (overall_rating, submitted_at)
    responses: list[Any]  # (event_timestamp, metadata)


async def tutor_rows(db: AsyncSession, tutor_id: str) -> TutorRows:
    """Everything the definitions read about one tutor (a query per tutor: test code)."""
    sessions = (
        await db.execute(
            text("SELECT * FROM tutormax.sessions WHERE tutor_id = :t"), {"t": tutor_id}
        )
    ).all()
    ratings = (
        await db.execute(
            text(
                "SELECT overall_rating, submitted_at FROM tutormax.student_feedback"
                " WHERE tutor_id = :t"
            ),
            {"t": tutor_id},
        )
    ).all()
    responses = (
        await db.execute(
            text(
                "SELECT event_timestamp, metadata FROM tutormax.tutor_events"
                " WHERE tutor_id = :t AND event_type = 'message_response'"
            ),
            {"t": tutor_id},
        )
    ).all()
    return TutorRows(list(sessions), list(ratings), list(responses))


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _response_minutes(metadata: Any) -> float | None:
    value = metadata.get("response_minutes") if isinstance(metadata, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= MAX_RESPONSE_MINUTES else None


def reference_metrics(
    rows: TutorRows, day: date, window: MetricWindow, judge_days: int
) -> WindowMetrics:
    """The window's metrics as of `day` 00:00 UTC, from the definitions."""
    end = midnight(day)
    start = end - timedelta(days=WINDOW_DAYS[window])
    in_window = [s for s in rows.sessions if start <= s.scheduled_start < end]
    completed = [s for s in in_window if s.status == "completed"]
    tutor_no_shows = sum(1 for s in in_window if s.no_show_by == "tutor")
    tutor_reschedules = sum(1 for s in in_window if s.rescheduled_by == "tutor")
    ratings = [float(r.overall_rating) for r in rows.ratings if start <= r.submitted_at < end]
    engagement = [s.engagement_score for s in completed if s.engagement_score is not None]
    minutes = [
        m
        for event in rows.responses
        if start <= event.event_timestamp < end
        and (m := _response_minutes(event.metadata)) is not None
    ]
    judged = 0
    rebooked = 0
    for first in rows.sessions:
        if not first.is_first_session:
            continue
        if not (first.status == "completed" or first.no_show_by == "tutor"):
            continue
        verdict_day = first.scheduled_start.astimezone(UTC).date() + timedelta(days=judge_days)
        if not start <= midnight(verdict_day) < end:
            continue
        judged += 1
        deadline = midnight(verdict_day + timedelta(days=1))
        rebooked += any(
            later.student_id == first.student_id
            and later.scheduled_start > first.scheduled_start
            and later.created_at < deadline
            for later in rows.sessions
        )
    return WindowMetrics(
        window=window,
        sessions_completed=len(completed),
        avg_rating=_mean(ratings),
        first_session_success_rate=rebooked / judged if judged else None,
        reschedule_rate=tutor_reschedules / len(in_window) if in_window else 0.0,
        no_show_count=tutor_no_shows,
        engagement_score=_mean(engagement),
        response_time_avg_minutes=_mean(minutes),
    )


def stored_metrics(row: Any) -> WindowMetrics:
    """A `tutor_performance_metrics` row as the scorecard's input."""
    return WindowMetrics(
        window=MetricWindow(row.metric_window),
        sessions_completed=row.sessions_completed,
        avg_rating=row.avg_rating,
        first_session_success_rate=row.first_session_success_rate,
        reschedule_rate=row.reschedule_rate,
        no_show_count=row.no_show_count,
        engagement_score=row.engagement_score,
        response_time_avg_minutes=row.response_time_avg_minutes,
    )
