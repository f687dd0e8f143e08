"""Rows and rules the intervention tests share (a helper, not a test module).

Predictions and metrics are written straight into their tables, as the churn model and the
evaluation engine will write them: the intervention engine only reads them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import risk_level_for
from lyceum.tutormax.rules import InterventionRules, parse_rules
from tests.tutormax.rows import base_row, insert_row

# A Thursday: three working days later is Tuesday the 6th.
DAY = date(2026, 10, 1)

RULES_TOML = """
version = 1
default_owner_queue = "tutor-success"
[inputs]
max_age_days = 7
[holdout]
share = {share}
salt = "engine-tests-salt"
period = "month"
[escalation]
max_level = 2
extend_working_days = 2
[escalation.queues]
tutor-success = "tutor-success-leads"
tutor-success-leads = "head-of-tutor-success"

[[rules]]
id = "critical-interview"
intervention_type = "retention_interview"
priority = 1
owner_queue = "tutor-success"
due_in_working_days = 2
trigger_reason = "Critical risk {{risk_score}}: {{top_factors}}"
[rules.when]
risk_levels = ["Critical"]

[[rules]]
id = "high-coaching"
intervention_type = "manager_coaching"
priority = 2
owner_queue = "tutor-success"
due_in_working_days = 3
trigger_reason = "High risk {{risk_score}}"
[rules.when]
risk_levels = ["High", "Critical"]

[[rules]]
id = "reschedules"
intervention_type = "rescheduling_alert"
priority = 3
owner_queue = "tutor-success"
due_in_working_days = 3
trigger_reason = "Rescheduled {{reschedule_rate}} of sessions"
[rules.when]
metrics = [{{ metric = "reschedule_rate", min = 0.10 }}]
"""


def engine_rules(share: float = 0.0) -> InterventionRules:
    return parse_rules(RULES_TOML.format(share=share), "the tests' rules")


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


async def add_tutor(db: AsyncSession, **overrides: Any) -> str:
    row = base_row("tutors") | {"onboarding_date": midnight(date(2025, 1, 6))} | overrides
    return str(await insert_row(db, "tutors", row))


async def add_prediction(
    db: AsyncSession,
    tutor_id: str,
    day: date = DAY,
    *,
    score: int = 60,
    factors: dict[str, Any] | None = None,
    hour: int = 6,
) -> None:
    await insert_row(
        db,
        "churn_predictions",
        {
            "tutor_id": tutor_id,
            "prediction_date": midnight(day) + timedelta(hours=hour),
            "churn_probability_7d": 0.1,
            "churn_probability_30d": 0.2,
            "churn_probability_90d": 0.3,
            "risk_score": score,
            "risk_level": risk_level_for(score).value,
            "contributing_factors": factors or {"tutor_reschedule_rate_30d": 12.0},
            "model_version": f"test-{uuid.uuid4().hex[:8]}",
        },
    )


async def add_metrics(db: AsyncSession, tutor_id: str, day: date = DAY, **values: Any) -> None:
    row = {
        "tutor_id": tutor_id,
        "calculation_date": midnight(day),
        "metric_window": "30day",
        "sessions_completed": 12,
        "reschedule_rate": 0.02,
        "no_show_count": 0,
    } | values
    await insert_row(db, "tutor_performance_metrics", row)


async def fetch(db: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await db.execute(text(sql), params)).all())


async def interventions_of(db: AsyncSession, tutor_id: str) -> list[Any]:
    return await fetch(
        db,
        "SELECT i.intervention_type, i.status, i.priority, i.due_date, i.trigger_reason,"
        " r.owner_queue, r.rule_id, r.escalation_level, i.intervention_id, i.assigned_to"
        " FROM tutormax.interventions i"
        " LEFT JOIN tutormax.intervention_routing r USING (intervention_id)"
        " WHERE i.tutor_id = :tutor ORDER BY i.intervention_type, i.created_at",
        tutor=tutor_id,
    )


async def audit_of(db: AsyncSession, intervention_id: Any) -> list[Any]:
    return await fetch(
        db,
        "SELECT action, actor, old_values, new_values FROM tutormax.intervention_audit"
        " WHERE intervention_id = :id ORDER BY changed_at, audit_id",
        id=intervention_id,
    )


async def outbox_for(db: AsyncSession, reference: str) -> list[Any]:
    return await fetch(
        db,
        "SELECT channel, recipient, subject, body, status, dedupe_key FROM lyceum.outbox"
        " WHERE reference = :reference ORDER BY created_at, id",
        reference=reference,
    )


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
