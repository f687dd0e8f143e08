"""Rows for the API's tutor list, profile and queue tests: tutors with predictions, metrics,
sessions, events and interventions, and tutor accounts (issue 14 item 7)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import risk_level_for
from tests.fixtures.tokens import token_for
from tests.tutormax.rows import DAY, MIDNIGHT, Parties, base_row, insert_row


async def add_tutor(db: AsyncSession, **overrides: Any) -> str:
    return str(await insert_row(db, "tutors", {**base_row("tutors"), **overrides}))


async def add_student(db: AsyncSession) -> str:
    return str(await insert_row(db, "students", base_row("students")))


def factor(points: float, reason: str) -> dict[str, Any]:
    return {"points": points, "value": 1.0, "median": 1.0, "reason": reason}


async def add_prediction(
    db: AsyncSession,
    tutor_id: str,
    score: int,
    *,
    day: datetime = DAY,
    factors: dict[str, Any] | None = None,
) -> None:
    parties = Parties(tutor_id, "", "")
    await insert_row(
        db,
        "churn_predictions",
        {
            **base_row("churn_predictions", parties),
            "prediction_date": day,
            "risk_score": score,
            "risk_level": risk_level_for(score).value,
            # Monotone horizons (a CHECK): 7 days <= 30 days <= 90 days.
            "churn_probability_7d": score / 400,
            "churn_probability_30d": score / 200,
            "churn_probability_90d": score / 100,
            "contributing_factors": factors or {},
        },
    )


async def add_metrics(
    db: AsyncSession,
    tutor_id: str,
    *,
    window: str = "30day",
    day: datetime = MIDNIGHT,
    score: float | None = None,
    tier: str | None = None,
    **columns: Any,
) -> None:
    parties = Parties(tutor_id, "", "")
    await insert_row(
        db,
        "tutor_performance_metrics",
        {
            **base_row("tutor_performance_metrics", parties),
            "metric_window": window,
            "calculation_date": day,
            "overall_score": score,
            "performance_tier": tier,
            **columns,
        },
    )


async def add_session(
    db: AsyncSession, tutor_id: str, student_id: str, start: datetime, rating: int | None = None
) -> str:
    parties = Parties(tutor_id, student_id, "")
    session_id = str(
        await insert_row(
            db, "sessions", {**base_row("sessions", parties), "scheduled_start": start}
        )
    )
    if rating is not None:
        await insert_row(
            db,
            "student_feedback",
            {
                **base_row("student_feedback", Parties(tutor_id, student_id, session_id)),
                "overall_rating": rating,
            },
        )
    return session_id


async def add_event(db: AsyncSession, tutor_id: str, when: datetime) -> None:
    parties = Parties(tutor_id, "", "")
    await insert_row(
        db, "tutor_events", {**base_row("tutor_events", parties), "event_timestamp": when}
    )


async def add_intervention(
    db: AsyncSession, tutor_id: str, *, kind: str, status: str, created: datetime
) -> str:
    parties = Parties(tutor_id, "", "")
    extra: dict[str, Any] = {}
    if status == "completed":
        extra = {"completed_at": created + timedelta(days=1), "outcome": "improved"}
    row = {
        **base_row("interventions", parties),
        "intervention_type": kind,
        "status": status,
        "created_at": created,
        **extra,
    }
    return str(await insert_row(db, "interventions", row))


async def add_account(db: AsyncSession, roles: list[str], tutor_id: str | None = None) -> uuid.UUID:
    """A platform account holding `roles`, linked to `tutor_id` when given."""
    unique = uuid.uuid4().hex[:10]
    operator_id: uuid.UUID = (
        await db.execute(
            text(
                "INSERT INTO lyceum.operators (email, display_name, password_hash, roles)"
                " VALUES (:email, 'Tutor', 'x', :roles) RETURNING id"
            ),
            {"email": f"tutor-{unique}@example.com", "roles": roles},
        )
    ).scalar_one()
    if tutor_id is not None:
        await db.execute(
            text("INSERT INTO tutormax.tutor_accounts (operator_id, tutor_id) VALUES (:o, :t)"),
            {"o": operator_id, "t": tutor_id},
        )
    return operator_id


def tutor_token(operator_id: uuid.UUID) -> dict[str, str]:
    return token_for("tutormax:tutor", subject=str(operator_id))
