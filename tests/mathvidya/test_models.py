"""The ORM side of Mathvidya's models: what Python code writes is what the CHECKs expect
(None is SQL NULL in JSONB columns), enums come back as enums, relationships load; and the
product's models (`AccountToken`, `Payment`, migration 0013; `ReevaluationRequest`,
`LeaderboardEntry`, `AnalyticsSnapshot`, migration 0014) round-trip the same way."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
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
from lyceum.mathvidya.enums import UserRole
from lyceum.mathvidya.models import (
    AccountToken,
    AnalyticsSnapshot,
    LeaderboardEntry,
    Payment,
    ReevaluationRequest,
)
from lyceum.mathvidya.models.payment import INVOICE_SEQUENCE
from tests.mathvidya.rows import (
    PAID,
    REEVALUATION_DEADLINE,
    REEVALUATION_REQUESTED,
    add_exam,
    add_marked_evaluation,
    add_question,
    add_subscription,
    add_user,
    fetch_row,
)


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


async def test_an_account_token_from_the_orm_is_stored_unspent(db_session: AsyncSession) -> None:
    student = await add_user(db_session, "student")
    token = AccountToken(
        user_id=student,
        purpose="family_invite",
        token_hash=hashlib.sha256(b"an invite code").hexdigest(),
        # created_at is the database's now(): the expiry must come after it.
        expires_at=datetime.now(UTC) + timedelta(hours=48),
    )
    db_session.add(token)
    await db_session.flush()
    stored = await fetch_row(db_session, "account_tokens", token.id)
    assert stored is not None
    # The database made the key and the issue time; nothing is spent yet.
    assert stored["id"] == token.id and stored["created_at"] is not None
    assert (stored["used_at"], stored["used_by_user_id"]) == (None, None)
    assert stored["token_hash"] == hashlib.sha256(b"an invite code").hexdigest()


async def test_a_payment_from_the_orm_numbers_its_invoice_from_the_sequence(
    db_session: AsyncSession,
) -> None:
    subscription = await add_subscription(db_session)
    payments = [
        Payment(
            provider_payment_id=f"pay_orm_{n}",
            subscription_id=subscription,
            payer_user_id=None,
            amount_inr=Decimal("4999.00"),
            taxable_value_inr=Decimal("4236.44"),
            gst_inr=Decimal("762.56"),
            invoice_number="MV/2025-26/"
            + str(await db_session.scalar(select(INVOICE_SEQUENCE.next_value()))),
            paid_at=PAID,
        )
        for n in range(2)
    ]
    db_session.add_all(payments)
    await db_session.flush()
    numbers = [int(p.invoice_number.rsplit("/", 1)[1]) for p in payments]
    assert numbers[1] > numbers[0]
    stored = (
        await db_session.execute(select(Payment).where(Payment.subscription_id == subscription))
    ).scalars()
    amounts = {(p.amount_inr, p.taxable_value_inr + p.gst_inr) for p in stored}
    assert amounts == {(Decimal("4999.00"), Decimal("4999.00"))}


async def test_a_reevaluation_request_from_the_orm_takes_the_defaults(
    db_session: AsyncSession,
) -> None:
    marked = await add_marked_evaluation(db_session)
    mark = await fetch_row(db_session, "question_marks", marked.question_mark_ids[0])
    evaluation = await fetch_row(db_session, "evaluations", marked.evaluation_id)
    exam = await fetch_row(db_session, "exam_instances", marked.exam_instance_id)
    assert mark is not None and evaluation is not None and exam is not None
    request = ReevaluationRequest(
        evaluation_id=marked.evaluation_id,
        question_mark_id=mark["id"],
        question_number=mark["question_number"],
        student_user_id=exam["student_user_id"],
        reason="Step two was right.",
        original_teacher_user_id=evaluation["teacher_user_id"],
        requested_at=REEVALUATION_REQUESTED,
        sla_deadline=REEVALUATION_DEADLINE,
        max_marks=mark["max_marks"],
        marks_before=mark["marks_awarded"],
    )
    db_session.add(request)
    await db_session.flush()
    await db_session.refresh(request)
    # Waiting for a teacher: the status and both roles are the defaults the CHECKs pin.
    assert request.status == "requested" and request.teacher_user_id is None
    assert (request.student_role, request.teacher_role) == (UserRole.STUDENT, UserRole.TEACHER)
    assert request.created_at is not None and request.updated_at is not None


async def test_the_derived_rows_are_found_by_their_natural_keys(db_session: AsyncSession) -> None:
    student, teacher = await add_user(db_session, "student"), await add_user(db_session, "teacher")
    computed = datetime(2025, 5, 1, 2, 0, tzinfo=UTC)
    db_session.add_all(
        [
            LeaderboardEntry(month=date(2025, 4, 1), student_class="X", student_user_id=student,
                             rank=3, display_name="Asha V.", score=Decimal("71.25"),
                             exams_counted=2, refreshed_at=computed),
            AnalyticsSnapshot(subject_kind="teacher", subject_user_id=teacher,
                              computed_for=date(2025, 4, 30), computed_at=computed,
                              payload={"drift": {"flagged": False, "share": 0.04}}),
        ]
    )  # fmt: skip
    await db_session.flush()
    db_session.expunge_all()
    entry = await db_session.get(LeaderboardEntry, (date(2025, 4, 1), "X", student))
    snapshot = await db_session.get(AnalyticsSnapshot, ("teacher", teacher, date(2025, 4, 30)))
    assert entry is not None and (entry.rank, entry.score) == (3, Decimal("71.25"))
    assert snapshot is not None and snapshot.payload == {"drift": {"flagged": False, "share": 0.04}}
