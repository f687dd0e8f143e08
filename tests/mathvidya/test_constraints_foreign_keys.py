"""Foreign keys of schema `mathvidya`, on insert: a reference to nothing is refused by each
key; the role-typed keys refuse a user of the wrong role (and a referenced user's change of
role); the denormalized keys refuse a copy that disagrees with its source.

What happens when the referenced row is deleted or updated is test_constraints_on_delete.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.mathvidya.rows import (
    FOREIGN_KEY_VIOLATION,
    NOT_NULL_VIOLATION,
    TOKEN_EXPIRES,
    New,
    Row,
    add,
    add_exam,
    add_question,
    add_subscription,
    add_template,
    add_user,
    catalog_constraints,
    count_rows,
    delete_row,
    expect_insert_violation,
    expect_violation,
    fetch_row,
    insert_keyed,
    insert_row,
    update_row,
    valid_row,
)

# --- a reference to nothing -----------------------------------------------------------------------

# fk name -> (table, the referring column set to an unknown id, overrides for the rest).
DANGLING: dict[str, tuple[str, str, Row]] = {
    "fk_exam_templates_created_by_user_id_users": ("exam_templates", "created_by_user_id",
                                                   {"created_by_user_id": New("teacher")}),
    "fk_parent_student_mappings_parent_users": ("parent_student_mappings", "parent_user_id", {}),
    "fk_parent_student_mappings_student_users": ("parent_student_mappings", "student_user_id", {}),
    "fk_questions_created_by_user_id_users": ("questions", "created_by_user_id",
                                              {"created_by_user_id": New("teacher")}),
    "fk_questions_reviewed_by_user_id_users": ("questions", "reviewed_by_user_id",
                                               {"reviewed_by_user_id": New("teacher")}),
    "fk_subscriptions_plan_id_subscription_plans": ("subscriptions", "plan_id", {}),
    "fk_subscriptions_purchased_by_user_id_users": ("subscriptions", "purchased_by_user_id",
                                                    {"purchased_by_user_id": New("parent")}),
    "fk_subscriptions_user_id_users": ("subscriptions", "user_id", {}),
    "fk_system_config_updated_by_user_id_users": ("system_config", "updated_by_user_id",
                                                  {"updated_by_user_id": New("admin")}),
    # Without a subscription, which would name the real student and fail its own key too.
    "fk_exam_instances_student_user_id_users": ("exam_instances", "student_user_id",
                                                {"subscription_id": None}),
    "fk_exam_instances_subscription_id_subscriptions": ("exam_instances", "subscription_id", {}),
    "fk_exam_instances_template_id_exam_templates": ("exam_instances", "template_id", {}),
    "fk_answer_sheet_uploads_exam_instance_id_exam_instances": ("answer_sheet_uploads",
                                                                "exam_instance_id", {}),
    "fk_student_mcq_answers_exam_instance_id_exam_instances": ("student_mcq_answers",
                                                               "exam_instance_id", {}),
    "fk_student_mcq_answers_question_id_questions": ("student_mcq_answers", "question_id", {}),
    "fk_unanswered_questions_exam_instance_id_exam_instances": ("unanswered_questions",
                                                                "exam_instance_id", {}),
    "fk_unanswered_questions_question_id_questions": ("unanswered_questions", "question_id", {}),
    "fk_evaluations_exam_instance_id_exam_instances": ("evaluations", "exam_instance_id", {}),
    "fk_evaluations_teacher_user_id_users": ("evaluations", "teacher_user_id",
                                             {"status": "assigned"}),
    "fk_question_marks_evaluation_id_evaluations": ("question_marks", "evaluation_id", {}),
    "fk_question_marks_question_id_questions": ("question_marks", "question_id", {}),
    # The product's tables (migration 0013).
    "fk_account_tokens_user_id_users": ("account_tokens", "user_id", {}),
    "fk_account_tokens_used_by_user_id_users": ("account_tokens", "used_by_user_id",
                                                {"purpose": "family_invite",
                                                 "used_at": TOKEN_EXPIRES - timedelta(minutes=1),
                                                 "used_by_user_id": New("parent")}),
    "fk_payments_subscription_id_subscriptions": ("payments", "subscription_id", {}),
    "fk_payments_payer_user_id_users": ("payments", "payer_user_id", {}),
    # The evaluation workflow's tables (migration 0014).
    "fk_reevaluation_requests_evaluation_id_evaluations": ("reevaluation_requests",
                                                           "evaluation_id", {}),
    "fk_reevaluation_requests_question_mark_id_question_marks": ("reevaluation_requests",
                                                                 "question_mark_id", {}),
    "fk_reevaluation_requests_student_user_id_users": ("reevaluation_requests",
                                                       "student_user_id", {}),
    "fk_reevaluation_requests_teacher_user_id_users": ("reevaluation_requests",
                                                       "teacher_user_id", {}),
    "fk_reevaluation_requests_original_teacher_user_id_users": ("reevaluation_requests",
                                                                "original_teacher_user_id", {}),
    "fk_leaderboard_entries_student_user_id_users": ("leaderboard_entries", "student_user_id",
                                                     {}),
    "fk_analytics_snapshots_subject_user_id_users": ("analytics_snapshots", "subject_user_id",
                                                     {}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DANGLING))
async def test_a_reference_to_nothing_is_refused_by_its_key(
    db_session: AsyncSession, name: str
) -> None:
    table, column, overrides = DANGLING[name]
    row = await valid_row(db_session, table, **overrides)
    assert row[column] is not None
    await expect_insert_violation(
        db_session, FOREIGN_KEY_VIOLATION, name, table, row | {column: uuid.uuid4()}
    )
    # The same row, pointing at its real parent, is kept.
    key = await insert_keyed(db_session, table, row)
    assert await count_rows(db_session, table, **key) == 1


async def test_every_foreign_key_has_a_dangling_reference_case(db_session: AsyncSession) -> None:
    assert set(DANGLING) == set(await catalog_constraints(db_session, "f"))


# --- role-typed keys ------------------------------------------------------------------------------

WRONG_ROLE: list[tuple[str, Row, str]] = [
    *(("parent_student_mappings", {"student_user_id": New(role)},
       "fk_parent_student_mappings_student_users") for role in ("teacher", "parent", "admin")),
    *(("parent_student_mappings", {"parent_user_id": New(role)},
       "fk_parent_student_mappings_parent_users") for role in ("student", "teacher", "admin")),
    *(("subscriptions", {"user_id": New(role)}, "fk_subscriptions_user_id_users")
      for role in ("parent", "teacher", "admin")),
    *(("exam_instances", {"student_user_id": New(role), "subscription_id": None},
       "fk_exam_instances_student_user_id_users") for role in ("teacher", "parent", "admin")),
    *(("evaluations", {"status": "assigned", "teacher_user_id": New(role)},
       "fk_evaluations_teacher_user_id_users") for role in ("student", "parent", "admin")),
    *(("reevaluation_requests", {"student_user_id": New(role)},
       "fk_reevaluation_requests_student_user_id_users")
      for role in ("teacher", "parent", "admin")),
    *(("reevaluation_requests", {"teacher_user_id": New(role)},
       "fk_reevaluation_requests_teacher_user_id_users")
      for role in ("student", "parent", "admin")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "overrides", "name"),
    WRONG_ROLE,
    ids=[f"{t}-{next(iter(o))}-{next(iter(o.values()))}" for t, o, _ in WRONG_ROLE],
)
async def test_a_user_of_the_wrong_role_is_refused_by_the_role_typed_key(
    db_session: AsyncSession, table: str, overrides: Row, name: str
) -> None:
    row = await valid_row(db_session, table, **overrides)
    await expect_insert_violation(db_session, FOREIGN_KEY_VIOLATION, name, table, row)
    # A user of the right role in the same place is kept.
    right = {k: v for k, v in overrides.items() if not isinstance(v, New)}
    await insert_row(db_session, table, await valid_row(db_session, table, **right))


# (table holding the reference, its user column, overrides, the user's new role, key).
ROLE_CHANGES: list[tuple[str, str, Row, str, str]] = [
    ("parent_student_mappings", "parent_user_id", {}, "teacher",
     "fk_parent_student_mappings_parent_users"),
    ("parent_student_mappings", "student_user_id", {}, "parent",
     "fk_parent_student_mappings_student_users"),
    ("subscriptions", "user_id", {}, "teacher", "fk_subscriptions_user_id_users"),
    ("exam_instances", "student_user_id", {"subscription_id": None}, "admin",
     "fk_exam_instances_student_user_id_users"),
    ("evaluations", "teacher_user_id", {"status": "assigned"}, "admin",
     "fk_evaluations_teacher_user_id_users"),
    # A student of their own, not the exam's: the exam and subscription would refuse first.
    ("reevaluation_requests", "student_user_id", {"student_user_id": New("student")}, "parent",
     "fk_reevaluation_requests_student_user_id_users"),
    ("reevaluation_requests", "teacher_user_id", {}, "admin",
     "fk_reevaluation_requests_teacher_user_id_users"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "column", "overrides", "role", "name"),
    ROLE_CHANGES,
    ids=[name for *_, name in ROLE_CHANGES],
)
async def test_a_referenced_users_role_cannot_change(
    db_session: AsyncSession, table: str, column: str, overrides: Row, role: str, name: str
) -> None:
    row_id = await add(db_session, table, **overrides)
    stored = await fetch_row(db_session, table, row_id)
    assert stored is not None
    user = stored[column]
    new_role = {"role": role, "student_class": None}
    await expect_violation(
        db_session,
        FOREIGN_KEY_VIOLATION,
        name,
        lambda: update_row(db_session, "users", user, new_role),
    )
    # Once nothing refers to them, they may.
    await delete_row(db_session, table, row_id)
    await update_row(db_session, "users", user, new_role)
    assert await count_rows(db_session, "users", id=user, role=role) == 1


async def test_an_unreferenced_users_role_can_change(db_session: AsyncSession) -> None:
    teacher = await add_user(db_session, "teacher")
    student = await add_user(db_session, "student")
    await update_row(db_session, "users", teacher, {"role": "admin"})
    await update_row(db_session, "users", student, {"role": "parent", "student_class": None})
    assert await count_rows(db_session, "users", id=teacher, role="admin") == 1
    assert await count_rows(db_session, "users", id=student, role="parent") == 1


# A NULL in any column of a composite key would skip the check (MATCH SIMPLE): the role and
# copied columns are NOT NULL, so it cannot be dodged that way.
NOT_NULL_KEY_COLUMNS: list[tuple[str, str]] = [
    ("parent_student_mappings", "parent_role"),
    ("parent_student_mappings", "student_role"),
    ("subscriptions", "user_role"),
    ("exam_instances", "student_role"),
    ("exam_instances", "student_class"),
    ("exam_instances", "exam_type"),
    ("evaluations", "teacher_role"),
    ("evaluations", "student_class"),
    ("evaluations", "exam_type"),
    ("student_mcq_answers", "question_type"),
    ("student_mcq_answers", "unit"),
    ("unanswered_questions", "question_type"),
    ("unanswered_questions", "unit"),
    ("question_marks", "question_type"),
    ("question_marks", "unit"),
    ("reevaluation_requests", "student_role"),
    ("reevaluation_requests", "teacher_role"),
]


@pytest.mark.parametrize(("table", "column"), NOT_NULL_KEY_COLUMNS)
async def test_a_composite_key_cannot_be_dodged_with_a_null(
    db_session: AsyncSession, table: str, column: str
) -> None:
    row = await valid_row(db_session, table)
    await expect_insert_violation(
        db_session, NOT_NULL_VIOLATION, column, table, row | {column: None}
    )


# --- denormalized copies --------------------------------------------------------------------------

Mismatch = Callable[[AsyncSession], Awaitable[tuple[str, Row, Row]]]


async def _exam_vs_template(db: AsyncSession, **copy: Any) -> tuple[str, Row, Row]:
    template = await add_template(db, "board_exam")
    return ("exam_instances",
            await valid_row(db, "exam_instances", template_id=template, **copy),
            await valid_row(db, "exam_instances", template_id=template))  # fmt: skip


async def _evaluation_vs_exam(db: AsyncSession, **copy: Any) -> tuple[str, Row, Row]:
    exam = await add_exam(db, "submitted")
    return ("evaluations", await valid_row(db, "evaluations", exam_instance_id=exam, **copy),
            await valid_row(db, "evaluations", exam_instance_id=exam))  # fmt: skip


async def _answer_vs_question(
    db: AsyncSession, table: str, kind: str, **copy: Any
) -> tuple[str, Row, Row]:
    question = await add_question(db, kind)
    return (table, await valid_row(db, table, question_id=question, **copy),
            await valid_row(db, table, question_id=question))  # fmt: skip


async def _someone_elses_subscription(db: AsyncSession) -> tuple[str, Row, Row]:
    student, other = await add_user(db), await add_user(db)
    theirs = await add_subscription(db, user_id=other)
    return ("exam_instances",
            await valid_row(db, "exam_instances", student_user_id=student, subscription_id=theirs),
            await valid_row(db, "exam_instances", student_user_id=student))  # fmt: skip


LA_MARK = {"question_type": "LA", "max_marks": Decimal(5), "marks_awarded": Decimal("2.5")}
MISMATCHES: dict[str, tuple[str, Mismatch]] = {
    "exam-class-not-its-templates": ("fk_exam_instances_template_id_exam_templates",
        lambda db: _exam_vs_template(db, student_class="XII")),
    "exam-type-not-its-templates": ("fk_exam_instances_template_id_exam_templates",
        lambda db: _exam_vs_template(db, exam_type="section_wise")),
    "evaluation-class-not-its-exams": ("fk_evaluations_exam_instance_id_exam_instances",
        lambda db: _evaluation_vs_exam(db, student_class="XII")),
    "evaluation-type-not-its-exams": ("fk_evaluations_exam_instance_id_exam_instances",
        lambda db: _evaluation_vs_exam(db, exam_type="unit_wise")),
    "mcq-answer-unit-not-its-questions": ("fk_student_mcq_answers_question_id_questions",
        lambda db: _answer_vs_question(db, "student_mcq_answers", "MCQ", unit="Calculus")),
    "unanswered-type-not-its-questions": ("fk_unanswered_questions_question_id_questions",
        lambda db: _answer_vs_question(db, "unanswered_questions", "VSA", question_type="SA")),
    "unanswered-unit-not-its-questions": ("fk_unanswered_questions_question_id_questions",
        lambda db: _answer_vs_question(db, "unanswered_questions", "VSA", unit="Calculus")),
    "mark-type-not-its-questions": ("fk_question_marks_question_id_questions",
        lambda db: _answer_vs_question(db, "question_marks", "SA", **LA_MARK)),
    "mark-unit-not-its-questions": ("fk_question_marks_question_id_questions",
        lambda db: _answer_vs_question(db, "question_marks", "SA", unit="Calculus")),
    "exam-on-another-students-subscription": ("fk_exam_instances_subscription_id_subscriptions",
        _someone_elses_subscription),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MISMATCHES))
async def test_a_copy_that_disagrees_with_its_source_is_refused(
    db_session: AsyncSession, case: str
) -> None:
    name, build = MISMATCHES[case]
    table, bad, good = await build(db_session)
    await expect_insert_violation(db_session, FOREIGN_KEY_VIOLATION, name, table, bad)
    row_id = await insert_row(db_session, table, good)
    assert await count_rows(db_session, table, id=row_id) == 1
