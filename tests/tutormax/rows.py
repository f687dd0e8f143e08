"""Rows and catalog look-ups shared by the TutorMax schema tests (a helper, not a test module).

Rows go in through an untyped view of each table (no ORM types), so what the tests prove
refused or kept is the database's doing, not SQLAlchemy's.
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NamedTuple

import pytest
from sqlalchemy import column, func, insert, select, table, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import TableClause

from lyceum.tutormax.enums import (
    RISK_BANDS,
    EventType,
    InitiatedBy,
    InterventionOutcome,
    InterventionStatus,
    InterventionType,
    MetricWindow,
    PerformanceTier,
    RiskLevel,
    SessionStatus,
    StudentStatus,
    TutorStatus,
)
from lyceum.tutormax.models import (
    SCHEMA,
    ChurnPrediction,
    Intervention,
    Session,
    Student,
    StudentFeedback,
    Tutor,
    TutorEvent,
    TutorPerformanceMetric,
)

Row = dict[str, Any]

DAY = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
# Metrics are per day: their calculation_date must be the day's 00:00 UTC.
MIDNIGHT = datetime(2025, 3, 3, tzinfo=UTC)
LATER = DAY + timedelta(days=30)
COMPLETED: Row = {"status": "completed", "actual_start": DAY, "actual_duration_minutes": 45}
CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"
UNIQUE_VIOLATION = "23505"

PRIMARY_KEYS = {
    "tutors": "tutor_id",
    "students": "student_id",
    "sessions": "session_id",
    "student_feedback": "feedback_id",
    "tutor_performance_metrics": "metric_id",
    "churn_predictions": "prediction_id",
    "interventions": "intervention_id",
    "tutor_events": "event_id",
    # Not a seed table: the churn model registry (migration 0010).
    "churn_models": "version",
}
MODELS: dict[str, type[Any]] = {
    "tutors": Tutor,
    "students": Student,
    "sessions": Session,
    "student_feedback": StudentFeedback,
    "tutor_performance_metrics": TutorPerformanceMetric,
    "churn_predictions": ChurnPrediction,
    "interventions": Intervention,
    "tutor_events": TutorEvent,
}
JSONB_COLUMNS = frozenset(
    {"contributing_factors", "metadata", "features", "training", "evaluation"}
)
# The intervention engine's own tables (issue 14), specified in test_interventions_schema.py,
# and the API's tutor accounts, specified in test_api_profile.py; the seed's specifications
# here and in test_schema.py / test_types.py leave them out.
ENGINE_TABLES = frozenset({"intervention_rule_matches", "intervention_routing",
                           "intervention_audit", "tutor_accounts"})  # fmt: skip

# Every enum-typed column: (table, column, enum, the CHECK that lists its values).
ENUM_COLUMNS: list[tuple[str, str, type[enum.StrEnum], str]] = [
    ("tutors", "status", TutorStatus, "ck_tutors_tutor_status"),
    ("students", "status", StudentStatus, "ck_students_student_status"),
    ("sessions", "status", SessionStatus, "ck_sessions_session_status"),
    ("sessions", "no_show_by", InitiatedBy, "ck_sessions_no_show_by"),
    ("sessions", "rescheduled_by", InitiatedBy, "ck_sessions_rescheduled_by"),
    ("tutor_performance_metrics", "metric_window", MetricWindow,
     "ck_tutor_performance_metrics_metric_window"),
    ("tutor_performance_metrics", "performance_tier", PerformanceTier,
     "ck_tutor_performance_metrics_performance_tier"),
    ("churn_predictions", "risk_level", RiskLevel, "ck_churn_predictions_risk_level"),
    ("interventions", "intervention_type", InterventionType,
     "ck_interventions_intervention_type"),
    ("interventions", "status", InterventionStatus, "ck_interventions_intervention_status"),
    ("interventions", "outcome", InterventionOutcome, "ck_interventions_intervention_outcome"),
    ("tutor_events", "event_type", EventType, "ck_tutor_events_event_type"),
]  # fmt: skip

TUTOR_RELATIONSHIPS = (
    "feedback",
    "performance_metrics",
    "churn_predictions",
    "interventions",
    "events",
)


@dataclass(frozen=True)
class Parties:
    tutor_id: str
    student_id: str
    session_id: str


def tm_table(name: str, *columns: str) -> TableClause:
    """An untyped view of a table: values reach PostgreSQL exactly as given."""
    return table(name, *(column(c) for c in dict.fromkeys(columns)), schema=SCHEMA)


def _bind(values: Row) -> Row:
    # The asyncpg jsonb codec takes JSON text.
    return {k: json.dumps(v) if k in JSONB_COLUMNS else v for k, v in values.items()}


def base_row(name: str, parties: Parties | None = None) -> Row:
    """A valid row for `name`, with fresh unique keys, belonging to `parties`."""
    unique = uuid.uuid4().hex[:12]
    if name == "tutors":
        return {"tutor_id": f"T-{unique}", "name": "Ada", "email": f"ada-{unique}@example.com",
                "onboarding_date": DAY, "subjects": ["Math"]}  # fmt: skip
    if name == "students":
        return {"student_id": f"S-{unique}", "name": "Sam"}
    if name == "churn_models":
        return {"version": f"hazard-{unique}", "method": "logistic hazard", "as_of": MIDNIGHT,
                "artifact": "{}", "features": [], "training": {}}  # fmt: skip
    assert parties is not None, name
    tutor = {"tutor_id": parties.tutor_id}
    children: dict[str, Row] = {
        "sessions": {"session_id": f"X-{unique}", **tutor, "student_id": parties.student_id,
                     "subject": "Math", "scheduled_start": DAY, "duration_minutes": 60},
        "student_feedback": {"session_id": parties.session_id, **tutor,
                             "student_id": parties.student_id, "overall_rating": 4},
        "tutor_performance_metrics": {**tutor, "calculation_date": MIDNIGHT,
                                      "metric_window": "30day", "sessions_completed": 10,
                                      "reschedule_rate": 0.1, "no_show_count": 0},
        "churn_predictions": {**tutor, "prediction_date": DAY, "churn_probability_7d": 0.1,
                              "churn_probability_30d": 0.2, "churn_probability_90d": 0.3,
                              "risk_score": 20, "risk_level": "Low", "model_version": unique},
        "interventions": {**tutor, "intervention_type": "automated_coaching",
                          "trigger_reason": "3 tutor reschedules in 7 days"},
        "tutor_events": {**tutor, "event_type": "login", "event_timestamp": DAY},
    }  # fmt: skip
    return children[name]


async def insert_row(db: AsyncSession, name: str, values: Row) -> Any:
    key = PRIMARY_KEYS[name]
    target = tm_table(name, key, *values)
    statement = insert(target).values(_bind(values)).returning(target.c[key])
    return (await db.execute(statement)).scalar_one()


async def update_row(db: AsyncSession, name: str, key_value: Any, values: Row) -> None:
    key = PRIMARY_KEYS[name]
    target = tm_table(name, key, *values)
    await db.execute(update(target).where(target.c[key] == key_value).values(_bind(values)))


async def count(db: AsyncSession, name: str, **where: Any) -> int:
    target = tm_table(name, *where)
    query = select(func.count()).select_from(target)
    for name_, value in where.items():
        query = query.where(target.c[name_] == value)
    return int((await db.execute(query)).scalar_one())


async def add_parties(db: AsyncSession) -> Parties:
    tutor_id = await insert_row(db, "tutors", base_row("tutors"))
    student_id = await insert_row(db, "students", base_row("students"))
    half = Parties(tutor_id, student_id, "")
    session_id = await insert_row(db, "sessions", base_row("sessions", half))
    return Parties(tutor_id, student_id, session_id)


def refusal(error: IntegrityError) -> tuple[str | None, str | None]:
    """(SQLSTATE, constraint name) of the asyncpg error behind a refused statement."""
    cause = error.orig.__cause__ if error.orig is not None else None
    return getattr(cause, "sqlstate", None), getattr(cause, "constraint_name", None)


async def refused_insert(db: AsyncSession, name: str, values: Row) -> tuple[str | None, ...]:
    with pytest.raises(IntegrityError) as refused:
        async with db.begin_nested():
            await insert_row(db, name, values)
    return refusal(refused.value)


async def refused_update(
    db: AsyncSession, name: str, key_value: Any, values: Row
) -> tuple[str | None, ...]:
    with pytest.raises(IntegrityError) as refused:
        async with db.begin_nested():
            await update_row(db, name, key_value, values)
    return refusal(refused.value)


# --- the catalog --------------------------------------------------------------------------------

CONSTRAINTS_SQL = """
    SELECT t.relname, c.conname, c.contype::text, c.confdeltype::text,
           pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE c.connamespace = 'tutormax'::regnamespace
"""


async def rows(session: AsyncSession, sql: str, **params: object) -> list[Any]:
    return list((await session.execute(text(sql), params)).all())


async def constraints(session: AsyncSession, kind: str) -> dict[str, tuple[str, str, str]]:
    """name -> (table, ON DELETE action, definition) of one constraint type."""
    return {
        name: (table_, on_delete, definition)
        for table_, name, contype, on_delete, definition in await rows(session, CONSTRAINTS_SQL)
        if contype == kind
    }


# --- rows each named CHECK refuses, and rows at its boundary it keeps ---------------------------


class Bad(NamedTuple):
    name: str
    overrides: Row
    constraint: str  # after the `ck_<table>_` prefix
    # Checks that a row breaking `constraint` cannot avoid breaking too; dropped inside the
    # savepoint (DDL is transactional) so the rule under test is the only one left to fire.
    shadowed_by: tuple[str, ...] = ()


RATINGS = ("overall", "subject_knowledge", "communication", "patience", "engagement",
           "helpfulness")  # fmt: skip
METRIC_RANGES = (("avg_rating", 1, 5), ("first_session_success_rate", 0, 1),
                 ("reschedule_rate", 0, 1), ("engagement_score", 0, 1),
                 ("overall_score", 0, 100))  # fmt: skip
# A local midnight east or west of Greenwich is another hour of some day in UTC.
PARIS = timezone(timedelta(hours=1))
BAD_EMAILS = ("ada.example.com", "@example.com", "a@", "@b", "a b@c", "a@b@c", "",
              "ada@example.com\n", "ada\t@example.com")  # fmt: skip
BAD_CALCULATION_DATES = (
    MIDNIGHT.replace(hour=6),
    MIDNIGHT + timedelta(microseconds=1),
    MIDNIGHT - timedelta(microseconds=1),
    datetime(2025, 3, 3, tzinfo=PARIS),
    datetime(2025, 3, 3, tzinfo=timezone(timedelta(hours=-5))),
)

BAD_ROWS: list[Bad] = [
    Bad("students", {"age": 4}, "age_range"),
    Bad("students", {"age": 101}, "age_range"),
    Bad("tutors", {"baseline_sessions_per_week": -0.5}, "baseline_sessions_per_week_range"),
    Bad("tutors", {"baseline_sessions_per_week": 100.5}, "baseline_sessions_per_week_range"),
    Bad("tutors", {"experience_years": -1}, "experience_years_range"),
    Bad("tutors", {"experience_years": 71}, "experience_years_range"),
    *(Bad("tutors", {"subjects": bad}, "subjects_not_empty")
      for bad in ([], [None], ["Math", None], [None, "Math"])),
    *(Bad("tutors", {"email": bad}, "email_format") for bad in BAD_EMAILS),
    Bad("tutors", {"status": "churned"}, "churned_at_iff_churned"),
    Bad("tutors", {"status": "inactive", "churned_at": LATER}, "churned_at_iff_churned"),
    Bad("tutors", {"status": "churned", "churned_at": DAY - timedelta(microseconds=1)},
        "churned_after_onboarding"),
    Bad("sessions", {"duration_minutes": 0}, "duration_range"),
    Bad("sessions", {"duration_minutes": 481}, "duration_range"),
    Bad("sessions", {"engagement_score": -0.01}, "engagement_score_range"),
    Bad("sessions", {"engagement_score": 1.01}, "engagement_score_range"),
    Bad("sessions", {"status": "completed"}, "actual_start_iff_completed"),
    Bad("sessions", {"actual_start": DAY, "actual_duration_minutes": 45},
        "actual_start_iff_completed"),
    Bad("sessions", {"status": "completed", "actual_start": DAY}, "actual_start_with_duration"),
    Bad("sessions", {"actual_duration_minutes": 45}, "actual_start_with_duration"),
    Bad("sessions", COMPLETED | {"actual_duration_minutes": -1},
        "actual_duration_minutes_non_negative"),
    Bad("sessions", {"status": "no_show"}, "no_show_by_iff_no_show"),
    Bad("sessions", {"status": "cancelled", "no_show_by": "tutor"}, "no_show_by_iff_no_show"),
    Bad("sessions", {"was_rescheduled": True}, "rescheduled_by_iff_rescheduled"),
    Bad("sessions", {"rescheduled_by": "student"}, "rescheduled_by_iff_rescheduled"),
    *(Bad("student_feedback", {f"{r}_rating": v}, f"{r}_rating_range")
      for r in RATINGS for v in (0, 6)),
    Bad("student_feedback", {"sentiment_score": -1.01}, "sentiment_score_range"),
    Bad("student_feedback", {"sentiment_score": 1.01}, "sentiment_score_range"),
    Bad("tutor_performance_metrics", {"sessions_completed": -1},
        "sessions_completed_non_negative"),
    Bad("tutor_performance_metrics", {"no_show_count": -1}, "no_show_count_non_negative"),
    *(Bad("tutor_performance_metrics", {column_: v}, f"{column_}_range")
      for column_, low, high in METRIC_RANGES for v in (low - 0.01, high + 0.01)),
    Bad("tutor_performance_metrics", {"response_time_avg_minutes": -0.01},
        "response_time_non_negative"),
    *(Bad("tutor_performance_metrics", {"calculation_date": bad}, "calculation_date_midnight_utc")
      for bad in BAD_CALCULATION_DATES),
    *(Bad("tutor_performance_metrics", {"improvement_areas": bad}, "improvement_areas_no_nulls")
      for bad in ([None], ["pacing", None], [None, None])),
    Bad("churn_predictions", {"churn_probability_7d": -0.01}, "churn_probability_7d_range"),
    Bad("churn_predictions", {"churn_probability_90d": 1.01}, "churn_probability_90d_range"),
    # The 30-day figure sits between the others, so leaving 0..1 breaks their order too.
    Bad("churn_predictions", {"churn_probability_30d": -0.01}, "churn_probability_30d_range",
        ("horizons_monotonic",)),
    Bad("churn_predictions", {"churn_probability_30d": 1.01}, "churn_probability_30d_range",
        ("horizons_monotonic",)),
    Bad("churn_predictions", {"churn_probability_7d": 0.25}, "horizons_monotonic"),
    Bad("churn_predictions", {"churn_probability_30d": 0.35}, "horizons_monotonic"),
    # Every score outside 0..100 is outside every band as well.
    Bad("churn_predictions", {"risk_score": -1}, "risk_score_range",
        ("risk_level_matches_score",)),
    Bad("churn_predictions", {"risk_score": 101, "risk_level": "Critical"}, "risk_score_range",
        ("risk_level_matches_score",)),
    *(Bad("churn_predictions", {"risk_score": score, "risk_level": level.value},
          "risk_level_matches_score")
      for level, low, high in RISK_BANDS for score in (low - 1, high + 1) if 0 <= score <= 100),
    Bad("churn_predictions", {"contributing_factors": []}, "contributing_factors_object"),
    Bad("churn_predictions", {"contributing_factors": None}, "contributing_factors_object"),
    Bad("interventions", {"priority": 0}, "priority_range"),
    Bad("interventions", {"priority": 5}, "priority_range"),
    Bad("interventions", {"status": "completed"}, "completed_at_iff_completed"),
    Bad("interventions", {"status": "in_progress", "completed_at": DAY},
        "completed_at_iff_completed"),
    Bad("interventions", {"outcome": "improved"}, "outcome_only_when_completed"),
    Bad("interventions", {"status": "cancelled", "outcome": "declined"},
        "outcome_only_when_completed"),
    *(Bad("tutor_events", {"metadata": bad}, "metadata_object")
      for bad in ([], None, "login", 1, [{"device": "web"}])),
    *(Bad("churn_models", {"as_of": bad}, "as_of_midnight_utc") for bad in BAD_CALCULATION_DATES),
    *(Bad("churn_models", {"features": bad}, "features_array") for bad in ({}, None, "auc")),
    *(Bad("churn_models", {"training": bad}, "training_object") for bad in ([], None, 1)),
    # JSON null is not SQL NULL: "no evaluation yet" is a missing value, not a JSON one.
    *(Bad("churn_models", {"evaluation": bad}, "evaluation_object") for bad in ([], None, 0.7)),
]  # fmt: skip

GOOD_ROWS: list[tuple[str, Row]] = [
    ("students", {"age": 5}),
    ("students", {"age": 100}),
    ("tutors", {"baseline_sessions_per_week": 0.0}),
    ("tutors", {"baseline_sessions_per_week": 100.0}),
    ("tutors", {"experience_years": 0}),
    ("tutors", {"experience_years": 70}),
    ("tutors", {"subjects": ["Physics"]}),
    # The word, not a NULL element.
    ("tutors", {"subjects": ["NULL"]}),
    ("tutors", {"email": "a@b"}),
    ("tutors", {"email": "jane@example.com"}),
    ("tutors", {"email": "o'brien+tutor@mail.example.co.uk"}),
    ("tutors", {"email": "élève@例え.jp"}),
    ("tutors", {"status": "churned", "churned_at": DAY}),
    ("tutors", {"status": "inactive"}),
    ("sessions", {"duration_minutes": 1}),
    ("sessions", {"duration_minutes": 480}),
    ("sessions", {"engagement_score": 0.0}),
    ("sessions", {"engagement_score": 1.0}),
    ("sessions", COMPLETED | {"actual_duration_minutes": 0}),
    ("sessions", {"status": "no_show", "no_show_by": "tutor"}),
    ("sessions", {"was_rescheduled": True, "rescheduled_by": "system"}),
    ("sessions", {"status": "cancelled"}),
    *(("student_feedback", {f"{r}_rating": v}) for r in RATINGS for v in (1, 5)),
    ("student_feedback", {"sentiment_score": -1.0}),
    ("student_feedback", {"sentiment_score": 1.0}),
    ("tutor_performance_metrics", {"sessions_completed": 0, "no_show_count": 0,
                                   "response_time_avg_minutes": 0.0}),
    *(("tutor_performance_metrics", {column_: float(v)})
      for column_, low, high in METRIC_RANGES for v in (low, high)),
    # 00:00 UTC however it is written: the check compares instants, not wall clocks.
    ("tutor_performance_metrics", {"calculation_date": datetime(2025, 3, 3, 1, tzinfo=PARIS)}),
    ("tutor_performance_metrics", {"calculation_date": datetime(2024, 2, 29, tzinfo=UTC)}),
    ("tutor_performance_metrics", {"improvement_areas": []}),
    ("tutor_performance_metrics", {"improvement_areas": ["pacing", "NULL", ""]}),
    *(("churn_predictions", {"churn_probability_7d": p, "churn_probability_30d": p,
                             "churn_probability_90d": p}) for p in (0.0, 0.5, 1.0)),
    *(("churn_predictions", {"risk_score": score, "risk_level": level.value})
      for level, low, high in RISK_BANDS for score in (low, high)),
    ("churn_predictions", {"contributing_factors": {}}),
    ("interventions", {"priority": 1}),
    ("interventions", {"priority": 4}),
    ("interventions", {"status": "completed", "completed_at": DAY, "outcome": "no_change"}),
    ("interventions", {"status": "cancelled"}),
    ("tutor_events", {"metadata": {}}),
    ("churn_models", {"evaluation": {"horizons": {"30": {"auc": 0.74}}}}),
    ("churn_models", {"features": [{"name": "logins_per_day_30d"}], "training": {"rows": 1}}),
    ("tutor_events", {"metadata": {"device": "ios", "minutes": [3, 4.5], "note": None}}),
]  # fmt: skip
