"""The reads behind TutorMax's pages that the list and profile queries do not cover: the risk
distribution of the latest scoring and its trend, a tutor's metric and risk history, and where
a tutor stands among their peers.

Each is one statement, whatever the number of tutors: the distribution groups the latest
day's predictions, the trend groups predictions by day, and the peer standing compares the
tutor's latest row of each window with every other tutor's row of that window and day (the
`calculation_date` index finds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class PeerMetric:
    """A metric compared with peers: its key, its SQL over a metrics row (alias `{row}`), and
    which way is better."""

    key: str
    expression: str
    higher_is_better: bool

    def over(self, alias: str) -> str:
        return self.expression.format(row=alias)


RISK_DISTRIBUTION = text(
    """
    WITH latest AS (SELECT max(prediction_date) AS day FROM tutormax.churn_predictions),
    scored AS (
        SELECT DISTINCT ON (p.tutor_id) p.risk_level::text AS risk_level, p.risk_score
        FROM tutormax.churn_predictions p
        JOIN latest ON p.prediction_date = latest.day
        JOIN tutormax.tutors t ON t.tutor_id = p.tutor_id AND t.status <> 'churned'
        ORDER BY p.tutor_id, p.created_at DESC
    )
    SELECT (SELECT day FROM latest) AS day, risk_level,
           least(risk_score / 10, 9) AS bucket, count(*) AS tutors
    FROM scored
    GROUP BY risk_level, bucket
    ORDER BY bucket, risk_level
    """
)


async def risk_distribution(db: AsyncSession) -> list[RowMapping]:
    """The latest scoring day's predictions of tutors who have not churned, counted by risk
    level and ten-point score bucket (0: 0-9 … 9: 90-100). Empty before any scoring."""
    rows = list((await db.execute(RISK_DISTRIBUTION)).mappings())
    return [row for row in rows if row["day"] is not None]


RISK_TREND = text(
    """
    SELECT prediction_date AS day, risk_level::text AS risk_level,
           count(DISTINCT tutor_id) AS tutors
    FROM tutormax.churn_predictions
    WHERE prediction_date >= :since
    GROUP BY prediction_date, risk_level
    ORDER BY prediction_date, risk_level
    """
)


async def risk_trend(db: AsyncSession, since: datetime) -> list[RowMapping]:
    """Tutors per risk level on each scoring day since `since`."""
    return list((await db.execute(RISK_TREND, {"since": since})).mappings())


async def latest_prediction_day(db: AsyncSession) -> datetime | None:
    day: datetime | None = (
        await db.execute(text("SELECT max(prediction_date) FROM tutormax.churn_predictions"))
    ).scalar_one()
    return day


METRIC_HISTORY = text(
    """
    SELECT calculation_date, metric_window::text AS metric_window, sessions_completed,
           avg_rating, first_session_success_rate, reschedule_rate, no_show_count,
           engagement_score, response_time_avg_minutes, overall_score,
           performance_tier::text AS performance_tier
    FROM tutormax.tutor_performance_metrics
    WHERE tutor_id = :tutor
      AND calculation_date >= (
          SELECT max(calculation_date) FROM tutormax.tutor_performance_metrics
          WHERE tutor_id = :tutor
      ) - make_interval(days => :days)
    ORDER BY calculation_date, metric_window
    """
)


async def metric_history(db: AsyncSession, tutor_id: str, days: int) -> list[RowMapping]:
    """The tutor's metrics rows of every window in the `days` days up to their latest (a
    history that stopped still shows its last months), oldest first."""
    params = {"tutor": tutor_id, "days": days}
    return list((await db.execute(METRIC_HISTORY, params)).mappings())


RISK_HISTORY = text(
    """
    SELECT DISTINCT ON (prediction_date) prediction_date, risk_score,
           risk_level::text AS risk_level, churn_probability_7d, churn_probability_30d,
           churn_probability_90d
    FROM tutormax.churn_predictions
    WHERE tutor_id = :tutor
      AND prediction_date >= (
          SELECT max(prediction_date) FROM tutormax.churn_predictions WHERE tutor_id = :tutor
      ) - make_interval(days => :days)
    ORDER BY prediction_date, created_at DESC
    """
)


async def risk_history(db: AsyncSession, tutor_id: str, days: int) -> list[RowMapping]:
    """The tutor's predictions in the `days` days up to their latest, one per day (the newest
    model's), oldest first."""
    params = {"tutor": tutor_id, "days": days}
    return list((await db.execute(RISK_HISTORY, params)).mappings())


def _peer_sql(metrics: tuple[PeerMetric, ...]) -> str:
    shares = []
    for metric in metrics:
        mine, peer = metric.over("mine"), metric.over("peer")
        worse = f"{peer} < {mine}" if metric.higher_is_better else f"{peer} > {mine}"
        # Ties count half: a tutor level with every peer stands at the 50th percentile.
        shares.append(
            f"avg(CASE WHEN {worse} THEN 1.0 WHEN {peer} = {mine} THEN 0.5 ELSE 0.0 END)"
            f" FILTER (WHERE {peer} IS NOT NULL AND {mine} IS NOT NULL) AS {metric.key}"
        )
    # The metrics' SQL comes from the constants in `service/dashboard.py`, never from input.
    return f"""
    WITH mine AS (
        SELECT DISTINCT ON (metric_window) *
        FROM tutormax.tutor_performance_metrics
        WHERE tutor_id = :tutor
        ORDER BY metric_window, calculation_date DESC, created_at DESC
    )
    SELECT mine.metric_window::text AS metric_window, mine.calculation_date,
           count(peer.tutor_id) AS peers, {", ".join(shares)}
    FROM mine
    LEFT JOIN tutormax.tutor_performance_metrics peer
      ON peer.metric_window = mine.metric_window
     AND peer.calculation_date = mine.calculation_date
     AND peer.tutor_id <> mine.tutor_id
     AND peer.overall_score IS NOT NULL
    GROUP BY mine.metric_window, mine.calculation_date
    ORDER BY mine.metric_window
    """  # noqa: S608


async def peer_standing(
    db: AsyncSession, tutor_id: str, metrics: tuple[PeerMetric, ...]
) -> list[RowMapping]:
    """For each window, on the day of the tutor's latest row: how many scored peers there
    were and, per metric, the share of them the tutor does better than (ties half; None when
    the tutor or every peer has no value)."""
    statement = text(_peer_sql(metrics))  # built from our constants, never from input
    return list((await db.execute(statement, {"tutor": tutor_id})).mappings())


__all__ = [
    "PeerMetric",
    "latest_prediction_day",
    "metric_history",
    "peer_standing",
    "risk_distribution",
    "risk_history",
    "risk_trend",
]
