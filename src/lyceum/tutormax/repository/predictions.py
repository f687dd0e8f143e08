"""Churn predictions and churn models: set-based writes and the model card's reads.

- `upsert_predictions`: one INSERT ... SELECT FROM unnest(...) for all tutors of a run,
  idempotent per (tutor, prediction date, model version): a rerun replaces the row;
- `fill_outcomes`: one UPDATE marks every earlier prediction whose 30 days have passed
  with whether the tutor churned in them;
- `save_model`, `get_model`, `latest_model`, `latest_evaluated_model`: `churn_models`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, null, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Float, Integer, String

from lyceum.tutormax.models import ChurnModel

# Reads refresh objects already in the session: an upsert may have changed the row.
_FRESH = {"populate_existing": True}


@dataclass(frozen=True)
class PredictionRows:
    """One run's predictions as columns (equal lengths)."""

    prediction_date: datetime
    model_version: str
    tutor_id: list[str]
    p7: list[float]
    p30: list[float]
    p90: list[float]
    risk_score: list[int]
    risk_level: list[str]
    factors: list[dict[str, Any]]


_UPSERT = text(
    """
    INSERT INTO tutormax.churn_predictions AS p (
        tutor_id, prediction_date, churn_probability_7d, churn_probability_30d,
        churn_probability_90d, risk_score, risk_level, contributing_factors, model_version
    )
    SELECT r.tutor_id, :prediction_date, r.p7, r.p30, r.p90, r.risk_score, r.risk_level,
           r.factors::jsonb, :model_version
    FROM unnest(:tutor_id, :p7, :p30, :p90, :risk_score, :risk_level, :factors)
         AS r(tutor_id, p7, p30, p90, risk_score, risk_level, factors)
    ON CONFLICT (tutor_id, prediction_date, model_version) DO UPDATE SET
        churn_probability_7d = excluded.churn_probability_7d,
        churn_probability_30d = excluded.churn_probability_30d,
        churn_probability_90d = excluded.churn_probability_90d,
        risk_score = excluded.risk_score,
        risk_level = excluded.risk_level,
        contributing_factors = excluded.contributing_factors
    """
).bindparams(
    bindparam("tutor_id", type_=ARRAY(String())),
    bindparam("p7", type_=ARRAY(Float())),
    bindparam("p30", type_=ARRAY(Float())),
    bindparam("p90", type_=ARRAY(Float())),
    bindparam("risk_score", type_=ARRAY(Integer())),
    bindparam("risk_level", type_=ARRAY(String())),
    bindparam("factors", type_=ARRAY(String())),
)


async def upsert_predictions(db: AsyncSession, rows: PredictionRows) -> int:
    """Write (or rewrite) one run's predictions in one statement; returns the row count."""
    if not rows.tutor_id:
        return 0
    await db.execute(
        _UPSERT,
        {
            "prediction_date": rows.prediction_date,
            "model_version": rows.model_version,
            "tutor_id": rows.tutor_id,
            "p7": rows.p7,
            "p30": rows.p30,
            "p90": rows.p90,
            "risk_score": rows.risk_score,
            "risk_level": rows.risk_level,
            "factors": [json.dumps(f, sort_keys=True) for f in rows.factors],
        },
    )
    return len(rows.tutor_id)


async def fill_outcomes(db: AsyncSession, now: datetime) -> int:
    """Set `outcome_churned_30d` on every prediction still without one whose 30 days had
    passed by `now`: whether the tutor's churn date falls within them. One UPDATE."""
    result = await db.execute(
        text(
            """
            UPDATE tutormax.churn_predictions AS p
            SET outcome_churned_30d = coalesce(
                t.churned_at >= p.prediction_date
                AND t.churned_at < p.prediction_date + interval '30 days', false)
            FROM tutormax.tutors AS t
            WHERE t.tutor_id = p.tutor_id
              AND p.outcome_churned_30d IS NULL
              AND p.prediction_date + interval '30 days' <= :now
            """
        ),
        {"now": now},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def save_model(
    db: AsyncSession,
    *,
    version: str,
    method: str,
    as_of: datetime,
    artifact: str,
    features: list[dict[str, Any]],
    training: dict[str, Any],
    evaluation: dict[str, Any] | None,
) -> None:
    """Insert the model, or refresh it when this version exists (the same data gives the
    same version); an existing evaluation is kept unless a new one is given."""
    values = {
        "version": version,
        "method": method,
        "as_of": as_of,
        "artifact": artifact,
        "features": features,
        "training": training,
        # SQL NULL, not the JSON value null (which the table's CHECK refuses).
        "evaluation": evaluation if evaluation is not None else null(),
    }
    statement = insert(ChurnModel).values(values)
    updates = {
        "method": statement.excluded.method,
        "artifact": statement.excluded.artifact,
        "features": statement.excluded.features,
        "training": statement.excluded.training,
        "trained_at": text("now()"),
    }
    if evaluation is not None:
        updates["evaluation"] = statement.excluded.evaluation
    await db.execute(statement.on_conflict_do_update(index_elements=["version"], set_=updates))
    await db.flush()


async def get_model(db: AsyncSession, version: str) -> ChurnModel | None:
    return await db.get(ChurnModel, version, populate_existing=True)


async def latest_model(
    db: AsyncSession, as_of_at_most: datetime | None = None
) -> ChurnModel | None:
    """The most recently trained model, or the latest trained on data ending no later
    than `as_of_at_most` (one that never saw that day's future)."""
    query = select(ChurnModel)
    if as_of_at_most is not None:
        query = query.where(ChurnModel.as_of <= as_of_at_most)
    query = query.order_by(ChurnModel.trained_at.desc(), ChurnModel.version.desc()).limit(1)
    return (await db.execute(query, execution_options=_FRESH)).scalar_one_or_none()


async def latest_evaluated_model(db: AsyncSession) -> ChurnModel | None:
    query = (
        select(ChurnModel)
        .where(ChurnModel.evaluation.is_not(None))
        .order_by(ChurnModel.trained_at.desc(), ChurnModel.version.desc())
        .limit(1)
    )
    return (await db.execute(query, execution_options=_FRESH)).scalar_one_or_none()


__all__ = [
    "PredictionRows",
    "fill_outcomes",
    "get_model",
    "latest_evaluated_model",
    "latest_model",
    "save_model",
    "upsert_predictions",
]
