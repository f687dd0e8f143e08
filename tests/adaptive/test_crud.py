"""The same create/read/update/delete tests on PostgreSQL and the local SQLite database:
types that differ between them (UUID, JSON, arrays, zoned timestamps) round-trip unchanged,
and both refuse the same bad rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import StudyPlanStatus
from lyceum.adaptive.models import (
    ConceptMastery,
    Question,
    QuestionAttempt,
    StudentProfile,
    StudyPlan,
    TopicPrerequisite,
    User,
)
from lyceum.adaptive.repository import add_prerequisite
from lyceum.core.errors import InvalidInput
from tests.adaptive.rows import add_question, add_student, add_topic

IST = timezone(timedelta(hours=5, minutes=30))


async def test_create_read_update_delete(any_db: AsyncSession) -> None:
    student = await add_student(any_db)
    profile = (
        await any_db.execute(select(StudentProfile).where(StudentProfile.user_id == student.id))
    ).scalar_one()
    profile.focus_topics = ["QUAD", "TRIG"]
    profile.exam_date = date(2027, 3, 2)
    await any_db.flush()
    any_db.expunge_all()

    again = await any_db.get(StudentProfile, profile.id)
    assert again is not None
    assert again.focus_topics == ["QUAD", "TRIG"]
    assert again.exam_date == date(2027, 3, 2)
    assert isinstance(again.id, uuid.UUID) and again.user_id == student.id

    await any_db.delete(again)
    await any_db.flush()
    assert await any_db.get(StudentProfile, profile.id) is None
    # The profile went with nothing else: the user stays.
    assert await any_db.get(User, student.id) is not None


async def test_zoned_timestamps_and_json_round_trip(any_db: AsyncSession) -> None:
    student = await add_student(any_db)
    question = await add_question(any_db)
    at = datetime(2026, 11, 21, 19, 45, 12, 250_000, tzinfo=IST)
    attempt = QuestionAttempt(
        student_id=student.id, question_id=question.id, answer="1", is_correct=True,
        time_taken_seconds=41.5, confidence=4, attempted_at=at, device_id="tablet-1",
    )  # fmt: skip
    plan = StudyPlan(
        student_id=student.id,
        status=StudyPlanStatus.ACTIVE,
        starts_on=date(2026, 11, 23),
        ends_on=date(2026, 12, 20),
        schedule=[{"date": "2026-11-23", "concept_codes": ["C-1", "C-2"], "minutes": 45}],
        topic_codes=["QUAD"],
    )
    any_db.add_all([attempt, plan])
    await any_db.flush()
    any_db.expunge_all()

    stored = await any_db.get(QuestionAttempt, attempt.id)
    assert stored is not None
    assert stored.attempted_at == at  # the same instant...
    assert stored.attempted_at.utcoffset() == timedelta(0)  # ...given back in UTC
    stored_plan = await any_db.get(StudyPlan, plan.id)
    assert stored_plan is not None
    assert stored_plan.schedule == plan.schedule and stored_plan.topic_codes == ["QUAD"]
    stored_question = await any_db.get(Question, question.id)
    assert stored_question is not None
    assert stored_question.options == ["0", "1", "2", "infinitely many"]


async def test_a_naive_timestamp_is_refused(any_db: AsyncSession) -> None:
    student = await add_student(any_db)
    question = await add_question(any_db)
    any_db.add(
        QuestionAttempt(
            student_id=student.id,
            question_id=question.id,
            answer="1",
            is_correct=True,
            time_taken_seconds=3,
            attempted_at=datetime(2026, 11, 21, 9, 0),
            device_id="d",
        )
    )
    with pytest.raises(StatementError, match="naive datetime"):
        await any_db.flush()


async def test_mastery_is_unique_per_student_and_concept(any_db: AsyncSession) -> None:
    student = await add_student(any_db)
    question = await add_question(any_db)
    any_db.add(ConceptMastery(student_id=student.id, concept_id=question.concept_id, mastery=0.4))
    await any_db.flush()
    any_db.add(ConceptMastery(student_id=student.id, concept_id=question.concept_id, mastery=0.5))
    with pytest.raises(IntegrityError, match=r"idx_mastery_student_concept|UNIQUE constraint"):
        await any_db.flush()


@pytest.mark.parametrize(
    "bad",
    [
        {"mastery": 1.2},
        {"mastery": 0.5, "attempts_count": 2, "correct_count": 3},
    ],
)
async def test_checks_hold_on_both(any_db: AsyncSession, bad: dict[str, float]) -> None:
    student = await add_student(any_db)
    question = await add_question(any_db)
    any_db.add(ConceptMastery(student_id=student.id, concept_id=question.concept_id, **bad))
    with pytest.raises(IntegrityError, match=r"CHECK constraint|check constraint"):
        await any_db.flush()


async def test_foreign_keys_hold_on_both(any_db: AsyncSession) -> None:
    student = await add_student(any_db)
    any_db.add(
        QuestionAttempt(
            student_id=student.id,
            question_id=uuid.uuid4(),
            answer="1",
            is_correct=False,
            time_taken_seconds=3,
            attempted_at=datetime.now(UTC),
            device_id="d",
        )
    )
    with pytest.raises(IntegrityError, match=r"FOREIGN KEY|foreign key"):
        await any_db.flush()


async def test_a_prerequisite_cycle_is_refused_on_both(any_db: AsyncSession) -> None:
    algebra, quadratics, calculus = [await add_topic(any_db) for _ in range(3)]
    await add_prerequisite(any_db, quadratics.id, algebra.id)
    await add_prerequisite(any_db, calculus.id, quadratics.id)
    with pytest.raises(InvalidInput, match="cycle"):
        await add_prerequisite(any_db, algebra.id, calculus.id)
    with pytest.raises(InvalidInput, match="cycle"):
        await add_prerequisite(any_db, algebra.id, algebra.id)
    # A second path to the same prerequisite is no cycle.
    await add_prerequisite(any_db, calculus.id, algebra.id)
    edges = (await any_db.execute(select(TopicPrerequisite))).scalars().all()
    assert len(edges) == 3


async def test_postgres_trigger_refuses_a_cycle_the_application_did_not_check(
    db_session: AsyncSession,
) -> None:
    first, second = await add_topic(db_session), await add_topic(db_session)
    db_session.add(TopicPrerequisite(topic_id=first.id, prerequisite_id=second.id))
    await db_session.flush()
    db_session.add(TopicPrerequisite(topic_id=second.id, prerequisite_id=first.id))
    with pytest.raises(IntegrityError, match="would make a cycle"):
        await db_session.flush()


async def test_a_self_loop_is_refused_by_the_check_on_both(any_db: AsyncSession) -> None:
    topic = await add_topic(any_db)
    any_db.add(TopicPrerequisite(topic_id=topic.id, prerequisite_id=topic.id))
    with pytest.raises(IntegrityError, match=r"no_self_loop|CHECK constraint"):
        await any_db.flush()
