"""How TutorMax's typed columns behave in PostgreSQL: string enums held by CHECKs, JSONB,
text arrays and time-zone-aware timestamps.

Enum rules are read from the catalog and proven with rows that bypass the ORM's own
validation (see rows.py); the other types are round-tripped through both the ORM and raw SQL.
"""

from __future__ import annotations

import enum
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import any_, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lyceum.tutormax.enums import ENUMS, RISK_BANDS, EventType, MetricWindow, RiskLevel
from lyceum.tutormax.models import ChurnPrediction, Tutor, TutorEvent, TutorPerformanceMetric
from tests.tutormax.rows import (
    CHECK_VIOLATION,
    DAY,
    ENGINE_TABLES,
    ENUM_COLUMNS,
    MODELS,
    PRIMARY_KEYS,
    Parties,
    Row,
    base_row,
    constraints,
    insert_row,
    refused_insert,
    refused_update,
    rows,
)

# --- the column types ---------------------------------------------------------------------------

AUDIT = ("created_at", "updated_at")
TIMESTAMPS = {
    "tutors": ("onboarding_date", "churned_at", *AUDIT),
    "students": AUDIT,
    "sessions": ("scheduled_start", "actual_start", *AUDIT),
    "student_feedback": ("submitted_at", *AUDIT),
    "tutor_performance_metrics": ("calculation_date", "created_at"),
    "churn_predictions": ("prediction_date", *AUDIT),
    "interventions": ("due_date", "completed_at", *AUDIT),
    "tutor_events": ("event_timestamp", "created_at"),
    "churn_models": ("as_of", "trained_at", "created_at"),
}


async def test_seed_types_timestamps_arrays_and_jsonb(db_session: AsyncSession) -> None:
    types = {
        (table, column): data_type
        for table, column, data_type in await rows(
            db_session,
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'tutormax'",
        )
        if table not in ENGINE_TABLES
    }
    lengths = await rows(
        db_session,
        "SELECT DISTINCT data_type, character_maximum_length FROM information_schema.columns "
        "WHERE table_schema = 'tutormax' AND column_name = 'tutor_id'",
    )
    timestamps = {key for key, data_type in types.items() if "time" in data_type}
    assert timestamps == {(table, column) for table, cs in TIMESTAMPS.items() for column in cs}
    # "All timestamps are timezone-aware"; no bare dates hide as timestamps either.
    assert {types[key] for key in timestamps} == {"timestamp with time zone"}
    assert "date" not in types.values()
    assert {key for key, data_type in types.items() if data_type == "ARRAY"} == {
        ("tutors", "subjects"),
        ("tutor_performance_metrics", "improvement_areas"),
    }
    assert {key for key, data_type in types.items() if data_type == "jsonb"} == {
        ("churn_predictions", "contributing_factors"),
        ("tutor_events", "metadata"),
        ("churn_models", "features"),
        ("churn_models", "training"),
        ("churn_models", "evaluation"),
    }
    # Every tutor_id, key or reference, is the seed's String(50).
    assert lengths == [("character varying", 50)]
    assert {t for t, c in types if c == "tutor_id"} == set(PRIMARY_KEYS) - {
        "students",
        "churn_models",
    }


# --- enums: the catalog -------------------------------------------------------------------------

ENUM_CHECK = re.compile(r"^CHECK \(\(\((\w+)\)::text = ANY \(\(ARRAY\[(.*)\]\)::text\[\]\)\)\)$")


async def test_each_enum_column_checks_exactly_the_enums_values(db_session: AsyncSession) -> None:
    checks = await constraints(db_session, "c")
    for table, column, enum_class, name in ENUM_COLUMNS:
        assert checks[name][0] == table, name
        parsed = ENUM_CHECK.match(checks[name][2])
        assert parsed is not None, checks[name][2]
        assert parsed.group(1) == column, name
        values = re.findall(r"'((?:[^']|'')*)'::character varying", parsed.group(2))
        assert values == [member.value for member in enum_class], name
    # Eleven enums, one of them (InitiatedBy) on two columns; nothing else lists values.
    assert {enum_class for _, _, enum_class, _ in ENUM_COLUMNS} == set(ENUMS)
    listed = {
        name
        for name, (table, _, d) in checks.items()
        if ENUM_CHECK.match(d) and table not in ENGINE_TABLES
    }
    assert listed == {name for *_, name in ENUM_COLUMNS}


async def test_enums_are_strings_not_postgresql_enum_types(db_session: AsyncSession) -> None:
    found = await rows(
        db_session,
        "SELECT typname FROM pg_type WHERE typnamespace = 'tutormax'::regnamespace "
        "AND typtype = 'e'",
    )
    assert found == []


# --- enums: the rows ----------------------------------------------------------------------------

# Other rules tie some enum values to companion columns; these satisfy them.
COLUMN_CONTEXT: dict[tuple[str, str], Row] = {
    ("sessions", "no_show_by"): {"status": "no_show"},
    ("sessions", "rescheduled_by"): {"was_rescheduled": True},
    ("interventions", "outcome"): {"status": "completed", "completed_at": DAY},
}
VALUE_CONTEXT: dict[tuple[str, str, str], Row] = {
    ("tutors", "status", "churned"): {"churned_at": DAY + timedelta(days=90)},
    ("sessions", "status", "completed"): {"actual_start": DAY, "actual_duration_minutes": 58},
    ("sessions", "status", "no_show"): {"no_show_by": "student"},
    ("interventions", "status", "completed"): {"completed_at": DAY},
    **{("churn_predictions", "risk_level", level.value): {"risk_score": low}
       for level, low, _ in RISK_BANDS},
}  # fmt: skip


def enum_row(name: str, column_: str, value: str, parties: Parties) -> Row:
    context = COLUMN_CONTEXT.get((name, column_), {}) | VALUE_CONTEXT.get(
        (name, column_, value), {}
    )
    return base_row(name, parties) | context | {column_: value}


VALID_ENUM_VALUES = [
    (name, column_, member) for name, column_, enum_, _ in ENUM_COLUMNS for member in enum_
]
INVALID_ENUM_VALUES = [
    (name, column_, bogus, constraint)
    for name, column_, enum_, constraint in ENUM_COLUMNS
    # Unknown, and a known value in the wrong case: the check is exact.
    for bogus in ("unknown", next(iter(enum_)).value.swapcase())
]


@pytest.mark.parametrize(
    ("name", "column_", "bogus", "constraint"),
    INVALID_ENUM_VALUES,
    ids=[f"{n}.{c}={b}" for n, c, b, _ in INVALID_ENUM_VALUES],
)
async def test_a_value_outside_the_enum_is_refused_on_insert_and_update(
    db_session: AsyncSession, parties: Parties, name: str, column_: str, bogus: str,
    constraint: str,
) -> None:  # fmt: skip
    row = enum_row(name, column_, bogus, parties)
    assert await refused_insert(db_session, name, row) == (CHECK_VIOLATION, constraint)
    key = await insert_row(db_session, name, base_row(name, parties))
    changes = COLUMN_CONTEXT.get((name, column_), {}) | {column_: bogus}
    assert await refused_update(db_session, name, key, changes) == (CHECK_VIOLATION, constraint)


@pytest.mark.parametrize(
    ("name", "column_", "member"),
    VALID_ENUM_VALUES,
    ids=[f"{n}.{c}={m.value}" for n, c, m in VALID_ENUM_VALUES],
)
async def test_every_enum_value_is_accepted_and_read_back_as_the_member(
    db_session: AsyncSession, parties: Parties, name: str, column_: str, member: enum.StrEnum
) -> None:
    key = await insert_row(db_session, name, enum_row(name, column_, member.value, parties))
    stored = await db_session.get_one(MODELS[name], key)
    assert getattr(stored, column_) is member


# --- JSONB, arrays and time zones ---------------------------------------------------------------

NESTED: dict[str, Any] = {
    "reschedule_rate_30d": 0.21,
    "no_shows_7d": 3,
    "note": 'Élève absent, 数学 😕 \\ "quoted"',
    "signals": {"late_logins": [1, 2.5, None, "22:40"], "flagged": True, "coach": None},
    "empty": {"list": [], "object": {}},
    "big": 12345678901234567,
}
SUBJECTS = ["Physics", "Maths, Advanced", 'Quote "this"', "It's", "Français", "数学",
            "{braces}", "back\\slash", "NULL", "  spaced  "]  # fmt: skip


async def test_jsonb_round_trips_and_answers_containment(
    db_session: AsyncSession, parties: Parties
) -> None:
    prediction = ChurnPrediction(**base_row("churn_predictions", parties) | {
        "contributing_factors": NESTED, "risk_level": RiskLevel.LOW})  # fmt: skip
    event = TutorEvent(**base_row("tutor_events", parties) | {
        "event_type": EventType.MESSAGE_RESPONSE, "event_metadata": NESTED})  # fmt: skip
    db_session.add_all([prediction, event])
    await db_session.flush()
    db_session.expunge_all()
    stored_prediction = await db_session.get_one(ChurnPrediction, prediction.prediction_id)
    stored_event = await db_session.get_one(TutorEvent, event.event_id)
    assert stored_prediction.contributing_factors == NESTED
    assert stored_event.event_metadata == NESTED

    probe = {"signals": {"flagged": True}}
    found = await db_session.scalars(
        select(ChurnPrediction.prediction_id).where(
            ChurnPrediction.contributing_factors.contains(probe)
        )
    )
    assert list(found) == [prediction.prediction_id]
    raw = await db_session.execute(
        text(
            "SELECT count(*) FILTER (WHERE metadata @> CAST(:hit AS jsonb)), "
            "count(*) FILTER (WHERE metadata @> CAST(:miss AS jsonb)) "
            "FROM tutormax.tutor_events WHERE tutor_id = :tutor"
        ),
        {"hit": json.dumps(probe), "miss": json.dumps({"signals": {"flagged": False}}),
         "tutor": parties.tutor_id},
    )  # fmt: skip
    assert raw.one() == (1, 0)


async def test_text_arrays_round_trip_and_answer_any(db_session: AsyncSession) -> None:
    tutor = Tutor(**base_row("tutors") | {"subjects": SUBJECTS})
    db_session.add(tutor)
    await db_session.flush()
    db_session.expunge_all()
    assert (await db_session.get_one(Tutor, tutor.tutor_id)).subjects == SUBJECTS
    for subject in ("Physics", "NULL", 'Quote "this"', "Maths, Advanced"):
        matched = await db_session.execute(
            text("SELECT tutor_id FROM tutormax.tutors WHERE :s = ANY(subjects)"), {"s": subject}
        )
        assert matched.scalars().all() == [tutor.tutor_id], subject
    for probe, expected in (("数学", [tutor.tutor_id]), ("Maths", []), ("physics", [])):
        orm_match = await db_session.scalars(
            select(Tutor.tutor_id).where(literal(probe) == any_(Tutor.subjects))
        )
        assert list(orm_match) == expected, probe


async def test_improvement_areas_default_to_an_empty_array(
    db_session: AsyncSession, parties: Parties
) -> None:
    raw_id = await insert_row(
        db_session, "tutor_performance_metrics", base_row("tutor_performance_metrics", parties)
    )
    given = TutorPerformanceMetric(
        **base_row("tutor_performance_metrics", parties)
        | {"metric_window": MetricWindow.SEVEN_DAY, "improvement_areas": ["patience", "pacing"]}
    )
    defaulted = TutorPerformanceMetric(**base_row("tutor_performance_metrics", parties) | {
        "metric_window": MetricWindow.NINETY_DAY})  # fmt: skip
    db_session.add_all([given, defaulted])
    await db_session.flush()
    db_session.expunge_all()
    areas = {
        metric_id: (await db_session.get_one(TutorPerformanceMetric, metric_id)).improvement_areas
        for metric_id in (raw_id, given.metric_id, defaulted.metric_id)
    }
    assert areas == {raw_id: [], given.metric_id: ["patience", "pacing"], defaulted.metric_id: []}


async def test_timestamps_keep_the_instant_whatever_the_offset(db_session: AsyncSession) -> None:
    kolkata = datetime(2025, 3, 3, 9, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    tutor = Tutor(**base_row("tutors") | {"onboarding_date": kolkata})
    db_session.add(tutor)
    await db_session.flush()
    # The server's session zone must not shift what is stored or read.
    await db_session.execute(text("SET LOCAL TIME ZONE 'Pacific/Auckland'"))
    await db_session.execute(
        text(
            "INSERT INTO tutormax.tutor_events (tutor_id, event_type, event_timestamp) "
            "VALUES (:tutor, 'login', '2025-03-03 09:30:00-05:00')"
        ),
        {"tutor": tutor.tutor_id},
    )
    db_session.expunge_all()
    stored = await db_session.get_one(Tutor, tutor.tutor_id, options=[selectinload(Tutor.events)])
    for value, instant in (
        (stored.onboarding_date, datetime(2025, 3, 3, 4, 0, tzinfo=UTC)),
        (stored.events[0].event_timestamp, datetime(2025, 3, 3, 14, 30, tzinfo=UTC)),
    ):
        assert value.tzinfo is not None and value.utcoffset() is not None
        assert value == instant
    assert stored.onboarding_date == kolkata
    assert stored.events[0].event_timestamp == datetime(
        2025, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=-5))
    )
