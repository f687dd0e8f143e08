"""What the `tutormax` database itself refuses and keeps, row by row.

Rows that must be refused go in through plain SQL constructs (no ORM types, see rows.py), so
the range rules proven here are the database's, not SQLAlchemy's. Each refusal is identified
by the constraint PostgreSQL names, so a row refused for another reason fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lyceum.tutormax.enums import (
    InterventionStatus,
    InterventionType,
    MetricWindow,
    RiskLevel,
    SessionStatus,
    TutorStatus,
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
from tests.tutormax.rows import (
    BAD_ROWS,
    CHECK_VIOLATION,
    COMPLETED,
    FOREIGN_KEY_VIOLATION,
    GOOD_ROWS,
    LATER,
    MIDNIGHT,
    PRIMARY_KEYS,
    TUTOR_RELATIONSHIPS,
    UNIQUE_VIOLATION,
    Bad,
    Parties,
    Row,
    add_parties,
    base_row,
    count,
    insert_row,
    refusal,
    refused_insert,
    refused_update,
    tm_table,
    update_row,
)

PARTY_KEYS = frozenset({"tutor_id", "student_id"})


# --- the ORM graph ----------------------------------------------------------------------------


async def test_one_row_per_model_round_trips_with_relationships_both_ways(
    db_session: AsyncSession,
) -> None:
    tutor = Tutor(**base_row("tutors") | {"subjects": ["Math", "Physics"]})
    student = Student(**base_row("students") | {"age": 15, "grade_level": "10"})
    ids = Parties(tutor.tutor_id, student.student_id, "")

    def fields(name: str) -> Row:
        # Wired through the relationships only: no foreign key value is set by hand.
        return {k: v for k, v in base_row(name, ids).items() if k not in PARTY_KEYS}

    session = Session(**fields("sessions") | COMPLETED, tutor=tutor, student=student)
    StudentFeedback(session=session, tutor=tutor, student=student, overall_rating=5)
    TutorPerformanceMetric(**fields("tutor_performance_metrics"), tutor=tutor)
    ChurnPrediction(**fields("churn_predictions"), tutor=tutor)
    Intervention(**fields("interventions"), tutor=tutor)
    TutorEvent(**fields("tutor_events"), tutor=tutor, event_metadata={"device": "web"})
    db_session.add(tutor)
    await db_session.flush()
    db_session.expunge_all()

    loaded = await db_session.get_one(
        Tutor,
        tutor.tutor_id,
        options=[
            selectinload(Tutor.sessions).selectinload(Session.feedback),
            selectinload(Tutor.sessions).selectinload(Session.student),
            *(selectinload(getattr(Tutor, r)) for r in TUTOR_RELATIONSHIPS),
        ],
    )
    [loaded_session] = loaded.sessions
    assert loaded_session.session_id == session.session_id
    assert loaded_session.status is SessionStatus.COMPLETED
    assert loaded_session.student.student_id == student.student_id
    assert loaded_session.feedback is not None and loaded_session.feedback.overall_rating == 5
    assert loaded.feedback == [loaded_session.feedback]
    assert [m.metric_window for m in loaded.performance_metrics] == [MetricWindow.THIRTY_DAY]
    assert [p.risk_level for p in loaded.churn_predictions] == [RiskLevel.LOW]
    assert [i.intervention_type for i in loaded.interventions] == [
        InterventionType.AUTOMATED_COACHING
    ]
    assert [e.event_metadata for e in loaded.events] == [{"device": "web"}]
    # Server defaults came from the database, not from Python.
    assert loaded.status is TutorStatus.ACTIVE and loaded.timezone == "America/New_York"
    assert loaded.interventions[0].status is InterventionStatus.PENDING
    assert loaded.interventions[0].priority == 3
    assert loaded.performance_metrics[0].improvement_areas == []
    assert isinstance(loaded.churn_predictions[0].prediction_id, uuid.UUID)

    children = {r: getattr(loaded, r)[0] for r in TUTOR_RELATIONSHIPS[1:]}
    # And back up from each child to its parents.
    feedback = await db_session.get_one(
        StudentFeedback,
        loaded_session.feedback.feedback_id,
        options=[
            selectinload(StudentFeedback.session).selectinload(Session.tutor),
            selectinload(StudentFeedback.student).selectinload(Student.sessions),
            selectinload(StudentFeedback.tutor),
        ],
        # Already in the identity map: without this, get() would skip the query.
        populate_existing=True,
    )
    assert feedback.session is loaded_session
    # Relationships are lazy="raise": a many-to-one already in the identity map is still
    # loaded explicitly, never implicitly on attribute access.
    await db_session.refresh(loaded_session, ["tutor"])
    assert feedback.session.tutor is loaded
    assert feedback.tutor is loaded and feedback.student.sessions == [loaded_session]
    for relationship, child in children.items():
        await db_session.refresh(child, ["tutor"])
        assert child.tutor is loaded, relationship


# --- foreign keys -----------------------------------------------------------------------------

PARENT_MISSING: list[tuple[str, str, set[str]]] = [
    ("sessions", "tutor_id", {"fk_sessions_tutor_id_tutors"}),
    ("sessions", "student_id", {"fk_sessions_student_id_students"}),
    ("tutor_performance_metrics", "tutor_id", {"fk_tutor_performance_metrics_tutor_id_tutors"}),
    ("churn_predictions", "tutor_id", {"fk_churn_predictions_tutor_id_tutors"}),
    ("interventions", "tutor_id", {"fk_interventions_tutor_id_tutors"}),
    ("tutor_events", "tutor_id", {"fk_tutor_events_tutor_id_tutors"}),
    # A feedback row naming a missing parent also fails the parties key; either may fire first.
    ("student_feedback", "session_id",
     {"fk_student_feedback_session_id_sessions", "fk_student_feedback_session_parties"}),
    ("student_feedback", "tutor_id",
     {"fk_student_feedback_tutor_id_tutors", "fk_student_feedback_session_parties"}),
    ("student_feedback", "student_id",
     {"fk_student_feedback_student_id_students", "fk_student_feedback_session_parties"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "key", "constraints"), PARENT_MISSING, ids=[f"{n}.{k}" for n, k, _ in PARENT_MISSING]
)
async def test_a_row_whose_parent_does_not_exist_is_refused(
    db_session: AsyncSession, parties: Parties, name: str, key: str, constraints: set[str]
) -> None:
    row = base_row(name, parties) | {key: "missing-parent"}
    state, constraint = await refused_insert(db_session, name, row)
    assert state == FOREIGN_KEY_VIOLATION and constraint in constraints


@pytest.mark.parametrize("party", ["tutor_id", "student_id"])
async def test_feedback_must_name_the_sessions_own_tutor_and_student(
    db_session: AsyncSession, parties: Parties, party: str
) -> None:
    other = await add_parties(db_session)
    row = base_row("student_feedback", parties) | {party: getattr(other, party)}
    assert await refused_insert(db_session, "student_feedback", row) == (
        FOREIGN_KEY_VIOLATION,
        "fk_student_feedback_session_parties",
    )


async def test_a_session_with_feedback_cannot_move_to_another_tutor(
    db_session: AsyncSession, parties: Parties
) -> None:
    await insert_row(db_session, "student_feedback", base_row("student_feedback", parties))
    other = await add_parties(db_session)
    with pytest.raises(IntegrityError) as refused:
        async with db_session.begin_nested():
            await update_row(db_session, "sessions", parties.session_id,
                             {"tutor_id": other.tutor_id})  # fmt: skip
    assert refusal(refused.value) == (FOREIGN_KEY_VIOLATION, "fk_student_feedback_session_parties")


async def test_a_second_feedback_for_one_session_is_refused(
    db_session: AsyncSession, parties: Parties
) -> None:
    await insert_row(db_session, "student_feedback", base_row("student_feedback", parties))
    assert await refused_insert(
        db_session, "student_feedback", base_row("student_feedback", parties)
    ) == (UNIQUE_VIOLATION, "ix_student_feedback_session_id")


# --- cascades ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Graph:
    tutor_id: str
    kept: Parties  # a session of the same tutor with another student
    dropped: Parties


async def build_graph(db: AsyncSession) -> Graph:
    """A tutor with two students, a session and its feedback with each, and one row of
    every other child table."""
    dropped = await add_parties(db)
    student_id = await insert_row(db, "students", base_row("students"))
    half = Parties(dropped.tutor_id, student_id, "")
    kept = Parties(dropped.tutor_id, student_id,
                   await insert_row(db, "sessions", base_row("sessions", half)))  # fmt: skip
    for sides in (kept, dropped):
        await insert_row(db, "student_feedback", base_row("student_feedback", sides))
    for name in ("tutor_performance_metrics", "churn_predictions", "interventions", "tutor_events"):
        await insert_row(db, name, base_row(name, kept))
    return Graph(dropped.tutor_id, kept, dropped)


TUTOR_CHILDREN = (
    "sessions",
    "student_feedback",
    "tutor_performance_metrics",
    "churn_predictions",
    "interventions",
    "tutor_events",
)


async def tutor_rows(db: AsyncSession, tutor_id: str) -> dict[str, int]:
    return {name: await count(db, name, tutor_id=tutor_id) for name in ("tutors", *TUTOR_CHILDREN)}


@pytest.mark.parametrize("how", ["sql", "orm", "orm-loaded"])
async def test_deleting_a_tutor_removes_everything_that_belongs_to_them(
    db_session: AsyncSession, how: str
) -> None:
    graph = await build_graph(db_session)
    bystander = await build_graph(db_session)
    assert await tutor_rows(db_session, graph.tutor_id) == {
        "tutors": 1, "sessions": 2, "student_feedback": 2, "tutor_performance_metrics": 1,
        "churn_predictions": 1, "interventions": 1, "tutor_events": 1,
    }  # fmt: skip
    if how == "sql":
        await db_session.execute(
            text("DELETE FROM tutormax.tutors WHERE tutor_id = :id"), {"id": graph.tutor_id}
        )
    else:
        options = (
            [selectinload(getattr(Tutor, r)) for r in TUTOR_RELATIONSHIPS]
            + [selectinload(Tutor.sessions).selectinload(Session.feedback)]
            if how == "orm-loaded"
            else []
        )
        tutor = await db_session.get(Tutor, graph.tutor_id, options=options)
        assert tutor is not None
        await db_session.delete(tutor)
        await db_session.flush()
    assert set((await tutor_rows(db_session, graph.tutor_id)).values()) == {0}
    # Students are not the tutor's: they stay.
    assert await count(db_session, "students", student_id=graph.kept.student_id) == 1
    assert await tutor_rows(db_session, bystander.tutor_id) == {
        "tutors": 1, "sessions": 2, "student_feedback": 2, "tutor_performance_metrics": 1,
        "churn_predictions": 1, "interventions": 1, "tutor_events": 1,
    }  # fmt: skip


@pytest.mark.parametrize("how", ["sql", "orm"])
async def test_deleting_a_student_removes_their_sessions_and_feedback_only(
    db_session: AsyncSession, how: str
) -> None:
    graph = await build_graph(db_session)
    student_id = graph.dropped.student_id
    if how == "sql":
        await db_session.execute(
            text("DELETE FROM tutormax.students WHERE student_id = :id"), {"id": student_id}
        )
    else:
        await db_session.delete(await db_session.get_one(Student, student_id))
        await db_session.flush()
    assert await count(db_session, "sessions", session_id=graph.dropped.session_id) == 0
    assert await count(db_session, "student_feedback", student_id=student_id) == 0
    assert await tutor_rows(db_session, graph.tutor_id) == {
        "tutors": 1, "sessions": 1, "student_feedback": 1, "tutor_performance_metrics": 1,
        "churn_predictions": 1, "interventions": 1, "tutor_events": 1,
    }  # fmt: skip
    assert await count(db_session, "student_feedback", session_id=graph.kept.session_id) == 1


async def test_deleting_a_session_removes_its_feedback(
    db_session: AsyncSession, parties: Parties
) -> None:
    await insert_row(db_session, "student_feedback", base_row("student_feedback", parties))
    await db_session.execute(
        text("DELETE FROM tutormax.sessions WHERE session_id = :id"), {"id": parties.session_id}
    )
    assert await count(db_session, "student_feedback", session_id=parties.session_id) == 0
    assert await count(db_session, "tutors", tutor_id=parties.tutor_id) == 1


# --- named checks ------------------------------------------------------------------------------


def _case_id(name: str, overrides: Row) -> str:
    return f"{name}-" + "-".join(f"{key}={value}" for key, value in overrides.items())


@pytest.mark.parametrize("bad", BAD_ROWS, ids=[_case_id(b.name, b.overrides) for b in BAD_ROWS])
async def test_a_row_breaking_a_named_check_is_refused_by_that_check(
    db_session: AsyncSession, parties: Parties, bad: Bad
) -> None:
    with pytest.raises(IntegrityError) as refused:
        async with db_session.begin_nested():
            for shadow in bad.shadowed_by:
                await db_session.execute(
                    text(f"ALTER TABLE tutormax.{bad.name} DROP CONSTRAINT ck_{bad.name}_{shadow}")
                )
            await insert_row(db_session, bad.name, base_row(bad.name, parties) | bad.overrides)
    assert refusal(refused.value) == (CHECK_VIOLATION, f"ck_{bad.name}_{bad.constraint}")
    # The savepoint kept the transaction usable, and the shadowing checks are back.
    await insert_row(db_session, bad.name, base_row(bad.name, parties))


@pytest.mark.parametrize(
    ("name", "overrides"), GOOD_ROWS, ids=[_case_id(name, o) for name, o in GOOD_ROWS]
)
async def test_a_row_at_the_boundary_is_accepted_as_given(
    db_session: AsyncSession, parties: Parties, name: str, overrides: Row
) -> None:
    key = await insert_row(db_session, name, base_row(name, parties) | overrides)
    target = tm_table(name, PRIMARY_KEYS[name], *overrides)
    stored = (
        await db_session.execute(
            select(*(target.c[c] for c in overrides)).where(target.c[PRIMARY_KEYS[name]] == key)
        )
    ).one()
    assert list(stored) == list(overrides.values())


UNIQUE_RUNS: list[tuple[str, str, Row, Row]] = [
    ("tutor_performance_metrics", "uq_tutor_performance_metrics_day",
     {"metric_window": "7day"}, {"calculation_date": MIDNIGHT + timedelta(days=1)}),
    ("churn_predictions", "uq_churn_predictions_run", {"model_version": "v2"},
     {"prediction_date": LATER}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "constraint", "differing", "moved"), UNIQUE_RUNS)
async def test_one_row_per_tutor_date_and_run_key(
    db_session: AsyncSession, parties: Parties, name: str, constraint: str, differing: Row,
    moved: Row,
) -> None:  # fmt: skip
    first = base_row(name, parties)
    await insert_row(db_session, name, first)
    assert await refused_insert(db_session, name, first) == (UNIQUE_VIOLATION, constraint)
    # Change any one part of the key and the row is a different one.
    for change in (differing, moved):
        await insert_row(db_session, name, first | change)
    assert await count(db_session, name, tutor_id=parties.tutor_id) == 3


# --- metrics: one row per tutor, window and day -------------------------------------------------


async def test_a_tutor_window_day_holds_one_metrics_row_whatever_the_hour(
    db_session: AsyncSession, parties: Parties
) -> None:
    metrics = "tutor_performance_metrics"
    first = base_row(metrics, parties)
    assert first["calculation_date"] == MIDNIGHT
    await insert_row(db_session, metrics, first)
    # Before the midnight rule, 06:00Z made a second row for the same day slip past the key.
    six = first | {"calculation_date": MIDNIGHT + timedelta(hours=6)}
    assert await refused_insert(db_session, metrics, six) == (
        CHECK_VIOLATION,
        "ck_tutor_performance_metrics_calculation_date_midnight_utc",
    )
    assert await refused_insert(db_session, metrics, first | {"sessions_completed": 11}) == (
        UNIQUE_VIOLATION,
        "uq_tutor_performance_metrics_day",
    )
    assert await count(db_session, metrics, tutor_id=parties.tutor_id) == 1


async def test_an_update_cannot_move_a_metrics_row_off_midnight_or_add_a_null_area(
    db_session: AsyncSession, parties: Parties
) -> None:
    metrics = "tutor_performance_metrics"
    key = await insert_row(db_session, metrics, base_row(metrics, parties))
    for change, constraint in (
        ({"calculation_date": MIDNIGHT + timedelta(minutes=1)}, "calculation_date_midnight_utc"),
        ({"improvement_areas": ["pacing", None]}, "improvement_areas_no_nulls"),
    ):
        assert await refused_update(db_session, metrics, key, change) == (
            CHECK_VIOLATION,
            f"ck_{metrics}_{constraint}",
        )
    next_day = MIDNIGHT + timedelta(days=1)
    await update_row(db_session, metrics, key, {"calculation_date": next_day})
    assert await count(db_session, metrics, metric_id=key, calculation_date=next_day) == 1


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
async def test_midnight_means_utc_whatever_the_session_time_zone(
    db_session: AsyncSession, parties: Parties, zone: str
) -> None:
    # date_trunc is given 'UTC' explicitly: without it, the session's zone would pick the day.
    await db_session.execute(text("SELECT set_config('TimeZone', :zone, true)"), {"zone": zone})
    row = base_row("tutor_performance_metrics", parties)
    key = await insert_row(db_session, "tutor_performance_metrics", row)
    assert await count(db_session, "tutor_performance_metrics", metric_id=key) == 1
    local_midnight = await db_session.scalar(
        text("SELECT date_trunc('day', CAST(:t AS timestamptz))"), {"t": MIDNIGHT}
    )
    assert (local_midnight == MIDNIGHT) is (zone == "UTC")
    if zone != "UTC":
        assert await refused_insert(
            db_session,
            "tutor_performance_metrics",
            row | {"metric_window": "7day", "calculation_date": local_midnight},
        ) == (CHECK_VIOLATION, "ck_tutor_performance_metrics_calculation_date_midnight_utc")
