"""All of Nerdboard's SQL for the dashboard and the simulation clock.

Dashboard reads lean on the small tables (capacity_snapshots: one row per subject and day;
the latest week of health_metrics) and on index ranges of sessions, never on a scan of the
whole history. Functions flush at most; the caller's edge commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import NotFound
from lyceum.core.generation_runs import latest_generation_run
from lyceum.nerdboard.simulation.clock import midnight


@dataclass(frozen=True, slots=True)
class ClockRow:
    current_date: datetime
    speed_multiplier: int
    is_running: bool
    last_event: str | None
    updated_at: datetime


_CLOCK_COLUMNS = '"current_date", speed_multiplier, is_running, last_event, updated_at'
_READ_CLOCK = text(
    'SELECT "current_date", speed_multiplier, is_running, last_event, updated_at'
    " FROM nerdboard.simulation_state WHERE id = 1"
)
_READ_CLOCK_FOR_UPDATE = text(
    'SELECT "current_date", speed_multiplier, is_running, last_event, updated_at'
    " FROM nerdboard.simulation_state WHERE id = 1 FOR UPDATE"
)


async def read_clock(session: AsyncSession, *, for_update: bool = False) -> ClockRow:
    query = _READ_CLOCK_FOR_UPDATE if for_update else _READ_CLOCK
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise NotFound("the simulation clock row is missing; run `lyceum db upgrade`")
    return ClockRow(*row)


async def write_clock(
    session: AsyncSession,
    *,
    current_date: datetime | None = None,
    speed_multiplier: int | None = None,
    is_running: bool | None = None,
    last_event: str | None = None,
) -> ClockRow:
    assignments: list[str] = ["updated_at = clock_timestamp()"]
    params: dict[str, Any] = {}
    for column, value in (
        ("current_date", current_date),
        ("speed_multiplier", speed_multiplier),
        ("is_running", is_running),
        ("last_event", last_event),
    ):
        if value is not None:
            assignments.append(f'"{column}" = :{column}')
            params[column] = value[:500] if isinstance(value, str) else value
    row = (
        await session.execute(
            text(
                # Column names come from the fixed list above, never from the caller.
                f"UPDATE nerdboard.simulation_state SET {', '.join(assignments)}"  # noqa: S608
                f" WHERE id = 1 RETURNING {_CLOCK_COLUMNS}"
            ),
            params,
        )
    ).one()
    return ClockRow(*row)


async def history_run(session: AsyncSession) -> str:
    """The id of the latest generated Nerdboard history ("none" before any)."""
    run = await latest_generation_run(session, "nerdboard")
    return "none" if run is None else str(run.id)


async def notify_tick(session: AsyncSession, payload: str) -> None:
    """Tell every listening process that the simulation advanced; delivered on commit."""
    await session.execute(
        text("SELECT pg_notify('nerdboard_tick', :payload)"), {"payload": payload}
    )


# ---- dashboard reads -------------------------------------------------------------


async def subjects(session: AsyncSession) -> list[str]:
    """Subjects the marketplace tracks: those with capacity snapshots."""
    rows = await session.execute(
        text(
            "WITH RECURSIVE s AS ("
            " (SELECT subject FROM nerdboard.capacity_snapshots ORDER BY subject LIMIT 1)"
            " UNION ALL SELECT (SELECT c.subject FROM nerdboard.capacity_snapshots c"
            "   WHERE c.subject > s.subject ORDER BY c.subject LIMIT 1) FROM s"
            "   WHERE s.subject IS NOT NULL)"
            " SELECT subject FROM s WHERE subject IS NOT NULL"
        )
    )
    # A loose index scan: one index probe per subject instead of a scan of every snapshot.
    return [row[0] for row in rows]


async def session_window_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, float]:
    row = (
        await session.execute(
            text(
                "SELECT count(*), count(*) FILTER (WHERE tutor_id IS NULL),"
                " coalesce(sum(duration_minutes) FILTER (WHERE tutor_id IS NOT NULL), 0) / 60.0,"
                " count(DISTINCT student_id)"
                " FROM nerdboard.sessions WHERE scheduled_time >= :start AND scheduled_time < :end"
            ),
            {"start": start, "end": end},
        )
    ).one()
    return {
        "sessions": int(row[0]),
        "unassigned": int(row[1]),
        "booked_hours": float(row[2]),
        "students": int(row[3]),
    }


async def tutor_supply(session: AsyncSession) -> dict[str, float]:
    row = (
        await session.execute(
            text(
                "SELECT count(*) FILTER (WHERE weekly_capacity_hours > 0),"
                " coalesce(sum(weekly_capacity_hours), 0),"
                " avg(utilization_rate) FILTER (WHERE weekly_capacity_hours > 0)"
                " FROM nerdboard.tutors"
            )
        )
    ).one()
    return {
        "active_tutors": int(row[0]),
        "weekly_capacity_hours": float(row[1]),
        "mean_tutor_utilization": float(row[2] or 0.0),
    }


async def capacity_series(
    session: AsyncSession, start: datetime, end: datetime, subject: str | None
) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT subject, date, total_capacity_hours, used_capacity_hours,"
            " available_tutors_count, utilization_rate FROM nerdboard.capacity_snapshots"
            " WHERE date >= :start AND date < :end"
            " AND (CAST(:subject AS text) IS NULL OR subject = :subject)"
            " ORDER BY subject, date"
        ),
        {"start": start, "end": end, "subject": subject},
    )
    return [
        {
            "subject": r[0],
            "date": r[1].date(),
            "total_capacity_hours": r[2],
            "used_capacity_hours": r[3],
            "available_tutors_count": r[4],
            "utilization_rate": r[5],
        }
        for r in rows
    ]


async def latest_health_date(session: AsyncSession, until: datetime) -> datetime | None:
    value = (
        await session.execute(
            text("SELECT max(date) FROM nerdboard.health_metrics WHERE date <= :until"),
            {"until": until},
        )
    ).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


async def health_summary(session: AsyncSession, now: datetime) -> tuple[float | None, int]:
    """The latest week's average health score (None before any) and how many customers
    score below 40, as of `now`."""
    row = (
        await session.execute(
            text(
                "SELECT avg(health_score), count(*) FILTER (WHERE health_score < 40)"
                " FROM nerdboard.health_metrics WHERE date = ("
                "  SELECT max(date) FROM nerdboard.health_metrics WHERE date <= :now)"
            ),
            {"now": now},
        )
    ).one()
    return (None if row[0] is None else float(row[0])), int(row[1])


async def health_scores(session: AsyncSession, on: datetime) -> npt.NDArray[np.float64]:
    rows = await session.execute(
        text("SELECT health_score FROM nerdboard.health_metrics WHERE date = :on"), {"on": on}
    )
    return np.fromiter((r[0] for r in rows), dtype=np.float64)


async def at_risk_customers(
    session: AsyncSession, on: datetime, below: float, limit: int
) -> list[dict[str, Any]]:
    rows = await session.execute(
        text(
            "SELECT h.customer_id, h.health_score, h.engagement_level, h.support_ticket_count,"
            " h.session_completion_rate,"
            " (SELECT p.health_score FROM nerdboard.health_metrics p"
            "   WHERE p.customer_id = h.customer_id AND p.date < h.date"
            "   ORDER BY p.date DESC LIMIT 1) AS previous_score"
            " FROM nerdboard.health_metrics h"
            " WHERE h.date = :on AND h.health_score < :below"
            " ORDER BY h.health_score, h.customer_id LIMIT :limit"
        ),
        {"on": on, "below": below, "limit": limit},
    )
    return [
        {
            "customer_id": r[0],
            "health_score": r[1],
            "engagement_level": r[2],
            "support_ticket_count": r[3],
            "session_completion_rate": r[4],
            "previous_health_score": r[5],
        }
        for r in rows
    ]


async def daily_demand_hours(
    session: AsyncSession, start: date, end: date
) -> tuple[list[str], list[date], npt.NDArray[np.float64]]:
    """Demand per subject and day in [start, end): booked hours from the snapshots plus the
    hours of sessions no tutor could take (unmet demand is demand too)."""
    start_ts, end_ts = midnight(start), midnight(end)
    booked = await session.execute(
        text(
            "SELECT subject, date, used_capacity_hours FROM nerdboard.capacity_snapshots"
            " WHERE date >= :start AND date < :end"
        ),
        {"start": start_ts, "end": end_ts},
    )
    unmet = await session.execute(
        text(
            "SELECT subject, date_trunc('day', scheduled_time AT TIME ZONE 'UTC'),"
            " sum(duration_minutes) / 60.0 FROM nerdboard.sessions"
            " WHERE tutor_id IS NULL AND scheduled_time >= :start AND scheduled_time < :end"
            " GROUP BY 1, 2"
        ),
        {"start": start_ts, "end": end_ts},
    )
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    booked_rows = booked.all()
    unmet_rows = unmet.all()
    names = sorted({r[0] for r in booked_rows} | {r[0] for r in unmet_rows})
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(names), len(days)), dtype=np.float64)
    for subject, day, hours in booked_rows:
        matrix[index[subject], (day.astimezone(UTC).date() - start).days] += hours
    for subject, day, hours in unmet_rows:
        matrix[index[subject], (day.date() - start).days] += float(hours)
    return names, days, matrix


async def tutor_skills(session: AsyncSession) -> list[tuple[list[str], int, float]]:
    """Active tutors: (subjects, weekly capacity hours, utilization)."""
    rows = await session.execute(
        text(
            "SELECT subjects, weekly_capacity_hours, utilization_rate FROM nerdboard.tutors"
            " WHERE weekly_capacity_hours > 0"
        )
    )
    return [(list(r[0]), int(r[1]), float(r[2])) for r in rows]


__all__ = [
    "ClockRow",
    "at_risk_customers",
    "capacity_series",
    "daily_demand_hours",
    "health_scores",
    "health_summary",
    "history_run",
    "latest_health_date",
    "notify_tick",
    "read_clock",
    "session_window_counts",
    "subjects",
    "tutor_skills",
    "tutor_supply",
    "write_clock",
]
