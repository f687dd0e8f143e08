"""The constraint tests cover the whole schema — seed 003's fifteen tables and the five the
product added (`account_tokens`, `payments`; `reevaluation_requests`, `leaderboard_entries`,
`analytics_snapshots`): every named CHECK in the catalog has a row it refuses and a row it
keeps (a CHECK added without cases fails here), and the factories in rows.py, which every
Mathvidya test builds on, make rows the database accepts.

The UNIQUE and FOREIGN KEY modules carry their own completeness tests.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import EvaluationStatus, ExamStatus, QuestionType
from lyceum.mathvidya.models import SCHEMA
from tests.mathvidya.rows import (
    ALL_TABLES,
    BUILDERS,
    PRODUCT_TABLES,
    TABLES,
    add_evaluation,
    add_exam,
    add_leaderboard_entry,
    add_question,
    add_reevaluation_request,
    add_subscription,
    catalog_constraints,
    fetch_keyed,
    fetch_row,
    free_basic_plan,
    insert_keyed,
    primary_key,
    valid_row,
)
from tests.mathvidya.test_constraints_checks_accounts import BAD_ACCOUNTS, GOOD_ACCOUNTS
from tests.mathvidya.test_constraints_checks_exams import BAD_EXAMS, GOOD_EXAMS
from tests.mathvidya.test_constraints_checks_product import BAD_PRODUCT, GOOD_PRODUCT

BAD = [*BAD_ACCOUNTS, *BAD_EXAMS, *BAD_PRODUCT]
GOOD = [*GOOD_ACCOUNTS, *GOOD_EXAMS, *GOOD_PRODUCT]


async def test_every_named_check_has_a_refused_row_and_a_kept_row(
    db_session: AsyncSession,
) -> None:
    catalog = await catalog_constraints(db_session, "c")
    # The seed asks for 30 or more; the sets below must match whatever the catalog holds.
    assert len(catalog) >= 30
    assert {bad.constraint for bad in BAD} == set(catalog)
    assert {name for good in GOOD for name in good.proves} == set(catalog)
    # Each case inserts into the table whose CHECK it names.
    assert all(catalog[bad.constraint].table == bad.table for bad in BAD)
    assert all(catalog[name].table == good.table for good in GOOD for name in good.proves)
    assert all(catalog[shadow].table == bad.table for bad in BAD for shadow in bad.shadowed_by)


async def test_every_table_of_the_schema_has_a_factory(db_session: AsyncSession) -> None:
    # A table added in a migration without a valid_row builder (and so without cases) fails here.
    found = await db_session.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": SCHEMA}
    )
    assert set(found.scalars()) == set(ALL_TABLES) == set(BUILDERS)
    assert set(TABLES).isdisjoint(PRODUCT_TABLES) and len(TABLES) == 15


@pytest.mark.parametrize("table", ALL_TABLES)
async def test_the_default_row_of_every_table_is_accepted(
    db_session: AsyncSession, table: str
) -> None:
    if table == "subscription_plans":
        await free_basic_plan(db_session)
    row = await valid_row(db_session, table)
    key = await insert_keyed(db_session, table, row)
    assert set(key) == set(primary_key(table))
    stored = await fetch_keyed(db_session, table, key)
    assert stored is not None
    assert {k: stored[k] for k in row} == row


@pytest.mark.parametrize("status", list(ExamStatus))
async def test_an_exam_can_be_made_in_every_status(
    db_session: AsyncSession, status: ExamStatus
) -> None:
    exam = await fetch_row(db_session, "exam_instances", await add_exam(db_session, status.value))
    assert exam is not None and exam["status"] == status
    assert (exam["evaluated_at"] is not None) == (status is ExamStatus.EVALUATED)


@pytest.mark.parametrize("status", list(EvaluationStatus))
async def test_an_evaluation_can_be_made_in_every_status(
    db_session: AsyncSession, status: EvaluationStatus
) -> None:
    evaluation = await fetch_row(
        db_session, "evaluations", await add_evaluation(db_session, status.value)
    )
    assert evaluation is not None and evaluation["status"] == status
    exam = await fetch_row(db_session, "exam_instances", evaluation["exam_instance_id"])
    assert exam is not None and exam["submitted_at"] == evaluation["submitted_at"]


@pytest.mark.parametrize("status", ["pending", "assigned", "in_progress", "completed"])
async def test_only_a_held_evaluation_is_claimed_and_the_claim_follows_its_assignment(
    db_session: AsyncSession, status: str
) -> None:
    evaluation = await fetch_row(
        db_session, "evaluations", await add_evaluation(db_session, status)
    )
    assert evaluation is not None
    held = status in ("assigned", "in_progress")
    assert (evaluation["claim_expires_at"] is not None) == held
    if held:
        assert evaluation["claim_expires_at"] > evaluation["assigned_at"]
    assert evaluation["predicted_completion_at"] is None and evaluation["predicted_at"] is None


@pytest.mark.parametrize("status", ["requested", "completed"])
async def test_a_reevaluation_request_is_the_students_about_a_mark_for_another_teacher(
    db_session: AsyncSession, status: str
) -> None:
    request = await fetch_row(
        db_session, "reevaluation_requests", await add_reevaluation_request(db_session, status)
    )
    assert request is not None and request["status"] == status
    mark = await fetch_row(db_session, "question_marks", request["question_mark_id"])
    evaluation = await fetch_row(db_session, "evaluations", request["evaluation_id"])
    assert mark is not None and evaluation is not None
    exam = await fetch_row(db_session, "exam_instances", evaluation["exam_instance_id"])
    assert exam is not None
    assert mark["evaluation_id"] == evaluation["id"] and evaluation["status"] == "completed"
    assert request["question_number"] == mark["question_number"]
    assert request["marks_before"] == mark["marks_awarded"]
    assert request["student_user_id"] == exam["student_user_id"]
    assert request["original_teacher_user_id"] == evaluation["teacher_user_id"]
    assert request["teacher_user_id"] not in (None, evaluation["teacher_user_id"])
    assert (request["marks_after"] is not None) == (status == "completed")


async def test_two_students_share_a_board_and_a_student_has_one_place_a_month(
    db_session: AsyncSession,
) -> None:
    first = await add_leaderboard_entry(db_session)
    second = await add_leaderboard_entry(db_session, rank=2, display_name="Rohan K.")
    assert (first["month"], first["student_class"]) == (second["month"], second["student_class"])
    # Next month's board, and the same student's place on it, is another row.
    later = await add_leaderboard_entry(
        db_session, student_user_id=first["student_user_id"], month=date(2025, 5, 1)
    )
    assert later["student_user_id"] == first["student_user_id"]
    assert await fetch_keyed(db_session, "leaderboard_entries", later) is not None


@pytest.mark.parametrize("kind", list(QuestionType))
async def test_a_question_can_be_made_of_every_type(
    db_session: AsyncSession, kind: QuestionType
) -> None:
    question = await fetch_row(db_session, "questions", await add_question(db_session, kind.value))
    assert question is not None and question["question_type"] == kind


@pytest.mark.parametrize("plan_type", ["basic", "premium_mcq", "premium", "centum"])
async def test_a_subscription_copies_its_seeded_plans_terms(
    db_session: AsyncSession, plan_type: str
) -> None:
    subscription = await fetch_row(
        db_session, "subscriptions", await add_subscription(db_session, plan_type)
    )
    assert subscription is not None
    plan = await fetch_row(db_session, "subscription_plans", subscription["plan_id"])
    assert plan is not None and plan["plan_type"] == plan_type
    terms = ("exams_per_month", "sla_hours", "leaderboard_access")
    assert {t: subscription[t] for t in terms} == {t: plan[t] for t in terms}
