"""What each foreign key of schema `mathvidya` does when its parent row is deleted (CASCADE
removes the child, RESTRICT refuses, SET NULL empties the reference), checked with a real
DELETE against the action the model declares; and what the question keys' ON UPDATE CASCADE
and the other keys' NO ACTION do to an update of the referenced columns.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import NamedTuple

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import SCHEMA, MathvidyaBase
from tests.mathvidya.rows import (
    CHECK_VIOLATION,
    FOREIGN_KEY_VIOLATION,
    Row,
    add,
    add_evaluation,
    add_exam,
    add_keyed,
    add_plan_id,
    add_question,
    add_subscription,
    add_template,
    add_user,
    catalog_constraints,
    count_rows,
    delete_keyed,
    delete_row,
    expect_violation,
    fetch_keyed,
    fetch_row,
    update_row,
)

# pg_constraint.confdeltype / confupdtype -> the model's ondelete / onupdate.
ACTIONS = {"c": "CASCADE", "r": "RESTRICT", "n": "SET NULL", "a": None}


class Link(NamedTuple):
    parent_table: str
    parent_id: uuid.UUID
    child_table: str
    # The child's primary key as {column: value}: `id`, or the derived tables' natural keys.
    child_key: Row
    column: str


LinkBuilder = Callable[[AsyncSession], Awaitable[Link]]
LINKS: dict[str, LinkBuilder] = {}


def _child_of(
    name: str, parent_table: str, child_table: str, column: str, **overrides: object
) -> None:
    """Register: a `child_table` row whose `column` names a new `parent_table` row."""

    async def build(db: AsyncSession) -> Link:
        child = await add_keyed(db, child_table, **overrides)
        stored = await fetch_keyed(db, child_table, child)
        assert stored is not None and stored[column] is not None
        return Link(parent_table, stored[column], child_table, child, column)

    LINKS[name] = build


def _made_by(name: str, child_table: str, column: str, role: str) -> None:
    async def build(db: AsyncSession) -> Link:
        user = await add_user(db, role)
        child = await add_keyed(db, child_table, **{column: user})
        return Link("users", user, child_table, child, column)

    LINKS[name] = build


_made_by("fk_exam_templates_created_by_user_id_users", "exam_templates", "created_by_user_id",
         "teacher")  # fmt: skip
_made_by("fk_questions_created_by_user_id_users", "questions", "created_by_user_id", "teacher")
_made_by("fk_questions_reviewed_by_user_id_users", "questions", "reviewed_by_user_id", "teacher")
_made_by(
    "fk_system_config_updated_by_user_id_users", "system_config", "updated_by_user_id", "admin"
)
_made_by("fk_subscriptions_purchased_by_user_id_users", "subscriptions", "purchased_by_user_id",
         "parent")  # fmt: skip
_child_of("fk_parent_student_mappings_parent_users", "users", "parent_student_mappings",
          "parent_user_id")  # fmt: skip
_child_of("fk_parent_student_mappings_student_users", "users", "parent_student_mappings",
          "student_user_id")  # fmt: skip
_child_of("fk_subscriptions_user_id_users", "users", "subscriptions", "user_id")
_child_of("fk_exam_instances_student_user_id_users", "users", "exam_instances", "student_user_id",
          subscription_id=None)  # fmt: skip
_child_of("fk_exam_instances_subscription_id_subscriptions", "subscriptions", "exam_instances",
          "subscription_id")  # fmt: skip
_child_of("fk_exam_instances_template_id_exam_templates", "exam_templates", "exam_instances",
          "template_id")  # fmt: skip
_child_of("fk_evaluations_teacher_user_id_users", "users", "evaluations", "teacher_user_id",
          status="assigned")  # fmt: skip
_child_of("fk_question_marks_evaluation_id_evaluations", "evaluations", "question_marks",
          "evaluation_id")  # fmt: skip
for _table in ("answer_sheet_uploads", "student_mcq_answers", "unanswered_questions"):
    _child_of(f"fk_{_table}_exam_instance_id_exam_instances", "exam_instances", _table,
              "exam_instance_id")  # fmt: skip
for _table in ("student_mcq_answers", "unanswered_questions", "question_marks"):
    _child_of(f"fk_{_table}_question_id_questions", "questions", _table, "question_id")
_child_of("fk_evaluations_exam_instance_id_exam_instances", "exam_instances", "evaluations",
          "exam_instance_id")  # fmt: skip

# The product's tables (migration 0013): a token goes with its account; whoever redeemed it
# or paid is a note; a subscription that was paid for keeps its payments.
_child_of("fk_account_tokens_user_id_users", "users", "account_tokens", "user_id")
_made_by("fk_account_tokens_used_by_user_id_users", "account_tokens", "used_by_user_id",
         "parent")  # fmt: skip
_child_of("fk_payments_subscription_id_subscriptions", "subscriptions", "payments",
          "subscription_id")  # fmt: skip
_child_of("fk_payments_payer_user_id_users", "users", "payments", "payer_user_id")

# The evaluation workflow's tables (migration 0014): a request goes with the evaluation and the
# mark it is about; the people in it stay on record (the first marker and the student are
# given users of their own, whom nothing else refers to, so this key is the one that refuses);
# derived rows go with their user.
_child_of("fk_reevaluation_requests_evaluation_id_evaluations", "evaluations",
          "reevaluation_requests", "evaluation_id")  # fmt: skip
_child_of("fk_reevaluation_requests_question_mark_id_question_marks", "question_marks",
          "reevaluation_requests", "question_mark_id")  # fmt: skip
_made_by("fk_reevaluation_requests_original_teacher_user_id_users", "reevaluation_requests",
         "original_teacher_user_id", "teacher")  # fmt: skip
_made_by("fk_reevaluation_requests_student_user_id_users", "reevaluation_requests",
         "student_user_id", "student")  # fmt: skip
_child_of("fk_reevaluation_requests_teacher_user_id_users", "users", "reevaluation_requests",
          "teacher_user_id")  # fmt: skip
_child_of("fk_leaderboard_entries_student_user_id_users", "users", "leaderboard_entries",
          "student_user_id")  # fmt: skip
_child_of("fk_analytics_snapshots_subject_user_id_users", "users", "analytics_snapshots",
          "subject_user_id")  # fmt: skip


async def _plan_in_use(db: AsyncSession) -> Link:
    # A seeded plan: nothing else in this transaction uses it.
    subscription = await add_subscription(db, "centum")
    return Link("subscription_plans", await add_plan_id(db, "centum"), "subscriptions",
                {"id": subscription}, "plan_id")  # fmt: skip


LINKS["fk_subscriptions_plan_id_subscription_plans"] = _plan_in_use


def _model_actions() -> dict[str, tuple[str | None, str | None]]:
    return {
        str(key.name): (key.ondelete, key.onupdate)
        for table in MathvidyaBase.metadata.tables.values()
        if table.schema == SCHEMA
        for key in table.foreign_key_constraints
    }


async def _restrict_sqlstate(db: AsyncSession) -> str:
    """PostgreSQL 18 reports an ON DELETE RESTRICT refusal as restrict_violation (23001);
    earlier servers as foreign_key_violation (23503). Both run here: embedded 18, CI's 15."""
    version = (await db.execute(text("SHOW server_version_num"))).scalar_one()
    return "23001" if int(version) >= 180000 else FOREIGN_KEY_VIOLATION


@pytest.mark.parametrize("name", sorted(LINKS))
async def test_deleting_the_parent_does_what_the_model_declares(
    db_session: AsyncSession, name: str
) -> None:
    action = ACTIONS[(await catalog_constraints(db_session, "f"))[name].on_delete]
    assert action == _model_actions()[name][0]
    link = await LINKS[name](db_session)

    async def delete_parent() -> None:
        await delete_row(db_session, link.parent_table, link.parent_id)

    if action == "RESTRICT":
        await expect_violation(
            db_session, await _restrict_sqlstate(db_session), name, delete_parent
        )
        assert await count_rows(db_session, link.child_table, **link.child_key) == 1
        # It was the child holding the parent: without it, the parent goes.
        await delete_keyed(db_session, link.child_table, link.child_key)
        await delete_parent()
    else:
        await delete_parent()
        child = await fetch_keyed(db_session, link.child_table, link.child_key)
        if action == "CASCADE":
            assert child is None
        else:
            assert action == "SET NULL" and child is not None and child[link.column] is None
    assert await count_rows(db_session, link.parent_table, id=link.parent_id) == 0


async def test_every_foreign_key_has_a_delete_case_and_its_declared_update_action(
    db_session: AsyncSession,
) -> None:
    catalog = await catalog_constraints(db_session, "f")
    assert set(LINKS) == set(catalog) == set(_model_actions())
    updates = {name: ACTIONS[key.on_update] for name, key in catalog.items()}
    assert updates == {name: actions[1] for name, actions in _model_actions().items()}


async def _exam_with_everything(db: AsyncSession) -> dict[str, list[uuid.UUID]]:
    exam = await add_exam(db, "under_evaluation")
    evaluation = await add_evaluation(db, "in_progress", exam_instance_id=exam)
    children: dict[str, list[uuid.UUID]] = {"exam_instances": [exam], "evaluations": [evaluation]}
    for table, count in (("answer_sheet_uploads", 2), ("student_mcq_answers", 2),
                         ("unanswered_questions", 1)):  # fmt: skip
        children[table] = [await add(db, table, exam_instance_id=exam) for _ in range(count)]
    children["question_marks"] = [
        await add(db, "question_marks", evaluation_id=evaluation) for _ in range(2)
    ]
    children["reevaluation_requests"] = [
        await add(db, "reevaluation_requests", question_mark_id=children["question_marks"][0])
    ]
    return children


async def test_deleting_an_exam_removes_its_sheets_answers_evaluation_marks_and_requests_only(
    db_session: AsyncSession,
) -> None:
    doomed = await _exam_with_everything(db_session)
    kept = await _exam_with_everything(db_session)
    exam = await fetch_row(db_session, "exam_instances", doomed["exam_instances"][0])
    assert exam is not None
    await delete_row(db_session, "exam_instances", exam["id"])
    for table, ids in doomed.items():
        assert [await count_rows(db_session, table, id=i) for i in ids] == [0] * len(ids), table
    for table, ids in kept.items():
        assert [await count_rows(db_session, table, id=i) for i in ids] == [1] * len(ids), table
    # What the exam only referred to stays.
    for table, key in (("users", "student_user_id"), ("exam_templates", "template_id"),
                       ("subscriptions", "subscription_id")):  # fmt: skip
        assert await count_rows(db_session, table, id=exam[key]) == 1, table


# --- updates of referenced columns ----------------------------------------------------------------


async def _question_in_use(db: AsyncSession, kind: str) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    question = await add_question(db, kind)
    users = {"unanswered_questions": await add(db, "unanswered_questions", question_id=question)}
    table = "student_mcq_answers" if kind == "MCQ" else "question_marks"
    users[table] = await add(db, table, question_id=question)
    return question, users


@pytest.mark.parametrize("kind", ["MCQ", "SA"])
async def test_renaming_a_questions_unit_flows_into_its_answers_and_marks(
    db_session: AsyncSession, kind: str
) -> None:
    question, users = await _question_in_use(db_session, kind)
    bystander, _ = await _question_in_use(db_session, kind)
    renamed = "Algebra (Polynomials and Linear Equations)"
    await update_row(db_session, "questions", question, {"unit": renamed})
    for table, row_id in users.items():
        stored = await fetch_row(db_session, table, row_id)
        assert stored is not None and stored["unit"] == renamed, table
    assert await count_rows(db_session, "unanswered_questions", question_id=bystander,
                            unit="Algebra") == 1  # fmt: skip


async def test_an_answered_mcq_cannot_become_a_written_question(db_session: AsyncSession) -> None:
    question, users = await _question_in_use(db_session, "MCQ")
    written: Row = {"question_type": "VSA", "marks": 2, "mcq_choices": None,
                    "correct_option": None}  # fmt: skip
    # The new type cascades into the answer, which only an MCQ may have.
    await expect_violation(
        db_session,
        CHECK_VIOLATION,
        "ck_student_mcq_answers_question_is_mcq",
        lambda: update_row(db_session, "questions", question, written),
    )
    # Declared-unanswered copies follow the type; with the answer gone, the change is kept.
    await delete_row(db_session, "student_mcq_answers", users["student_mcq_answers"])
    await update_row(db_session, "questions", question, written)
    assert await count_rows(db_session, "unanswered_questions", question_id=question,
                            question_type="VSA") == 1  # fmt: skip


async def test_a_template_with_exams_keeps_its_class_and_type(db_session: AsyncSession) -> None:
    used, unused = (
        await add_template(db_session, "section_wise"),
        await add_template(db_session, "section_wise"),
    )
    await add_exam(db_session, template_id=used)
    for change in ({"class_level": "XII"}, {"exam_type": "unit_wise", "units": ["Calculus"]}):
        await expect_violation(
            db_session,
            FOREIGN_KEY_VIOLATION,
            "fk_exam_instances_template_id_exam_templates",
            lambda change=change: update_row(db_session, "exam_templates", used, change),
        )
        await update_row(db_session, "exam_templates", unused, change)
    assert await count_rows(db_session, "exam_templates", id=unused, class_level="XII",
                            exam_type="unit_wise") == 1  # fmt: skip


async def test_a_subscription_with_exams_keeps_its_holder(db_session: AsyncSession) -> None:
    exam = await fetch_row(db_session, "exam_instances", await add_exam(db_session))
    assert exam is not None
    other = await add_user(db_session)
    unused = await add_subscription(db_session)
    await expect_violation(
        db_session,
        FOREIGN_KEY_VIOLATION,
        "fk_exam_instances_subscription_id_subscriptions",
        lambda: update_row(
            db_session, "subscriptions", exam["subscription_id"], {"user_id": other}
        ),
    )
    await update_row(db_session, "subscriptions", unused, {"user_id": other})
    assert await count_rows(db_session, "subscriptions", id=unused, user_id=other) == 1
