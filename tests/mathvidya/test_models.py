"""The ORM side of Mathvidya's models: what Python code writes is what the CHECKs expect
(None is SQL NULL in JSONB columns), enums come back as enums, relationships load."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lyceum.mathvidya import (
    ExamInstance,
    ExamStatus,
    Question,
    QuestionDifficulty,
    QuestionStatus,
    QuestionType,
    StudentMCQAnswer,
    SubscriptionPlan,
)
from tests.mathvidya.rows import add_exam, add_question


async def test_a_written_question_from_the_orm_stores_sql_nulls(db_session: AsyncSession) -> None:
    question = Question(
        question_code="X-ALG-ORM-1",
        class_level="X",
        unit="Algebra",
        chapter="Quadratic Equations",
        question_type=QuestionType.SA,
        difficulty=QuestionDifficulty.MEDIUM,
        marks=3,
        question_text="Find the roots of x^2 - 5x + 6 = 0.",
        mcq_choices=None,
        correct_option=None,
        marking_scheme=None,
    )
    db_session.add(question)
    await db_session.flush()
    stored = await db_session.execute(
        text(
            "SELECT mcq_choices IS NULL, marking_scheme IS NULL, status::text"
            " FROM mathvidya.questions WHERE id = :id"
        ),
        {"id": question.id},
    )
    assert tuple(stored.one()) == (True, True, "draft")


async def test_enums_and_numbers_come_back_typed(db_session: AsyncSession) -> None:
    plan = (
        await db_session.execute(select(SubscriptionPlan).where(SubscriptionPlan.sla_hours == 24))
    ).scalar_one()
    assert plan.plan_type.value == "centum"
    assert plan.annual_price_inr == Decimal("14999.00")
    question = await db_session.get(Question, await add_question(db_session, "LA"))
    assert question is not None
    assert question.question_type is QuestionType.LA
    assert question.status is QuestionStatus.ACTIVE


async def test_an_exam_loads_its_answers(db_session: AsyncSession) -> None:
    exam_id = await add_exam(db_session, "submitted")
    question_id = await add_question(db_session, "MCQ")
    db_session.add(
        StudentMCQAnswer(
            exam_instance_id=exam_id,
            question_id=question_id,
            unit="Algebra",
            question_number=1,
            selected_option="B",
        )
    )
    await db_session.flush()
    exam = (
        await db_session.execute(
            select(ExamInstance)
            .where(ExamInstance.id == exam_id)
            .options(selectinload(ExamInstance.mcq_answers))
        )
    ).scalar_one()
    assert exam.status is ExamStatus.SUBMITTED
    assert [answer.selected_option for answer in exam.mcq_answers] == ["B"]
    assert exam.mcq_answers[0].question_type is QuestionType.MCQ
