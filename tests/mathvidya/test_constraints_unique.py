"""Every unique constraint and unique index of schema `mathvidya`: a duplicate is refused by
that key, and rows differing in one part of it (or outside a partial index) are kept.

Keys that contain the primary key (`(id, role)` and the like, the targets of composite foreign
keys) cannot be duplicated while the primary key stands: those cases drop the primary key
inside the savepoint, so it is that key, not the primary key, that is seen refusing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import NamedTuple

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.mathvidya.rows import (
    REVIEWED,
    UNIQUE_VIOLATION,
    Row,
    add,
    add_evaluation,
    add_exam,
    add_marked_evaluation,
    add_question,
    add_subscription,
    add_template,
    add_user,
    count_rows,
    drop_constraints,
    expect_violation,
    free_basic_plan,
    insert_row,
    unique_names,
    update_row,
    valid_row,
)


class Dup(NamedTuple):
    """The first row is already in; `duplicate` must be refused, each of `kept` accepted."""

    table: str
    duplicate: Row
    kept: list[Row]
    shadowed_by: tuple[str, ...] = ()


DupBuilder = Callable[[AsyncSession], Awaitable[Dup]]
CASES: dict[str, DupBuilder] = {}


def case(name: str) -> Callable[[DupBuilder], DupBuilder]:
    def register(builder: DupBuilder) -> DupBuilder:
        CASES[name] = builder
        return builder

    return register


def _hex() -> str:
    return uuid.uuid4().hex[:10]


# --- keys that contain the primary key -----------------------------------------------------------


@case("uq_users_id_role")
async def _users_id_role(db: AsyncSession) -> Dup:
    first = await add_user(db, "teacher")
    same = await valid_row(db, "users", role="teacher", id=first)
    return Dup("users", same, [await valid_row(db, "users", role="teacher")], ("pk_users",))


@case("uq_exam_templates_id_class_level_exam_type")
async def _templates_superkey(db: AsyncSession) -> Dup:
    first = await add_template(db, "unit_wise")
    same = await valid_row(db, "exam_templates", exam_type="unit_wise", id=first)
    other = await valid_row(db, "exam_templates", exam_type="unit_wise")
    return Dup("exam_templates", same, [other], ("pk_exam_templates",))


@case("uq_questions_id_question_type_unit")
async def _questions_superkey(db: AsyncSession) -> Dup:
    first = await add_question(db, "SA")
    same = await valid_row(db, "questions", question_type="SA", id=first)
    return Dup("questions", same, [await valid_row(db, "questions", question_type="SA")],
               ("pk_questions",))  # fmt: skip


@case("uq_subscriptions_id_user_id")
async def _subscriptions_superkey(db: AsyncSession) -> Dup:
    student = await add_user(db)
    first = await add_subscription(db, user_id=student)
    # Pending: a second active period of one student would hit the exclusion constraint.
    same = await valid_row(db, "subscriptions", user_id=student, status="pending", id=first)
    renewal = await valid_row(db, "subscriptions", user_id=student, status="pending")
    return Dup("subscriptions", same, [renewal], ("pk_subscriptions",))


@case("uq_exam_instances_id_student_class_exam_type")
async def _exams_superkey(db: AsyncSession) -> Dup:
    first = await add_exam(db)
    same = await valid_row(db, "exam_instances", id=first)
    return Dup("exam_instances", same, [await valid_row(db, "exam_instances")],
               ("pk_exam_instances",))  # fmt: skip


# --- natural keys -------------------------------------------------------------------------------


@case("uq_users_email")
async def _users_email(db: AsyncSession) -> Dup:
    email = f"asha.{_hex()}@example.com"
    await add_user(db, "parent", email=email)
    return Dup("users", await valid_row(db, "users", role="teacher", email=email),
               [await valid_row(db, "users", email="2" + email)])  # fmt: skip


@case("uq_subscription_plans_plan_type")
async def _plan_type(db: AsyncSession) -> Dup:
    # The seeded basic plan is the first row; once it is deleted its type is free again.
    duplicate = await valid_row(db, "subscription_plans", plan_type="basic")
    await db.execute(text("DELETE FROM mathvidya.subscription_plans WHERE plan_type = 'centum'"))
    return Dup("subscription_plans", duplicate,
               [await valid_row(db, "subscription_plans", plan_type="centum")])  # fmt: skip


@case("uq_subscription_plans_display_name")
async def _plan_display_name(db: AsyncSession) -> Dup:
    await free_basic_plan(db)
    duplicate = await valid_row(db, "subscription_plans", display_name="Premium Plan")
    kept = await valid_row(db, "subscription_plans", display_name="Premium Plan 2")
    return Dup("subscription_plans", duplicate, [kept])


@case("uq_exam_templates_class_level_name")
async def _template_name(db: AsyncSession) -> Dup:
    name = f"Board paper {_hex()}"
    await add_template(db, name=name)
    return Dup("exam_templates", await valid_row(db, "exam_templates", name=name),
               [await valid_row(db, "exam_templates", name=name, class_level="XII"),
                await valid_row(db, "exam_templates", name=name + " (2)")])  # fmt: skip


@case("uq_holidays_holiday_date_name")
async def _holiday(db: AsyncSession) -> Dup:
    # Seeded: Gandhi Jayanti and Dussehra, both on 2 October 2025.
    day = date(2025, 10, 2)
    return Dup("holidays", await valid_row(db, "holidays", holiday_date=day, name="Dussehra"),
               [await valid_row(db, "holidays", holiday_date=day, name="Office closure"),
                await valid_row(db, "holidays", holiday_date=date(2030, 10, 2),
                                name="Dussehra")])  # fmt: skip


@case("uq_system_config_config_key")
async def _config_key(db: AsyncSession) -> Dup:
    return Dup("system_config", await valid_row(db, "system_config", config_key="sla.timezone"),
               [await valid_row(db, "system_config", config_key="sla.timezone_label")])  # fmt: skip


@case("uq_subscriptions_payment_reference")
async def _payment_reference(db: AsyncSession) -> Dup:
    reference = f"pay_{_hex()}"
    await add_subscription(db, payment_reference=reference)
    # NULLs are distinct: any number of subscriptions not paid through the gateway.
    kept = [await valid_row(db, "subscriptions", payment_reference=other)
            for other in (None, None, reference + "x")]  # fmt: skip
    return Dup("subscriptions",
               await valid_row(db, "subscriptions", payment_reference=reference), kept)  # fmt: skip


@case("uq_parent_student_mappings_parent_user_id_student_user_id")
async def _mapping_pair(db: AsyncSession) -> Dup:
    parent, student = await add_user(db, "parent"), await add_user(db, "student")
    await add(db, "parent_student_mappings", parent_user_id=parent, student_user_id=student)
    duplicate = await valid_row(
        db,
        "parent_student_mappings",
        parent_user_id=parent,
        student_user_id=student,
        relationship_type="father",
    )
    kept = [await valid_row(db, "parent_student_mappings", parent_user_id=parent),
            await valid_row(db, "parent_student_mappings", student_user_id=student)]  # fmt: skip
    return Dup("parent_student_mappings", duplicate, kept)


@case("uq_parent_student_mappings_primary_contact")
async def _primary_contact(db: AsyncSession) -> Dup:
    parent, student = await add_user(db, "parent"), await add_user(db, "student")
    await add(db, "parent_student_mappings", parent_user_id=parent, student_user_id=student,
              is_primary_contact=True)  # fmt: skip
    duplicate = await valid_row(db, "parent_student_mappings", student_user_id=student,
                                is_primary_contact=True)  # fmt: skip
    # Any number of other contacts; and one parent may be the primary contact of two children.
    return Dup("parent_student_mappings", duplicate,
               [await valid_row(db, "parent_student_mappings", student_user_id=student,
                                is_primary_contact=False),
                await valid_row(db, "parent_student_mappings", student_user_id=student,
                                is_primary_contact=False),
                await valid_row(db, "parent_student_mappings", parent_user_id=parent,
                                is_primary_contact=True)])  # fmt: skip


@case("uq_questions_question_code_version")
async def _question_version(db: AsyncSession) -> Dup:
    code = f"MV-{_hex().upper()}"
    await add_question(db, question_code=code)
    # A draft: only the version key can refuse it (the active-version index skips drafts).
    draft = {"question_code": code, "status": "draft", "reviewed_at": None}
    return Dup("questions", await valid_row(db, "questions", **draft),
               [await valid_row(db, "questions", **draft | {"version": 2}),
                await valid_row(db, "questions", question_code=code + "-B")])  # fmt: skip


@case("uq_questions_active_version")
async def _active_version(db: AsyncSession) -> Dup:
    code = f"MV-{_hex().upper()}"
    await add_question(db, question_code=code)
    rows = [await valid_row(db, "questions", question_code=code, version=v, status=s)
            for v, s in ((3, "archived"), (4, "archived"), (5, "draft"), (6, "under_review"),
                         (7, "draft"))]  # fmt: skip
    return Dup("questions", await valid_row(db, "questions", question_code=code, version=2), rows)


# --- keys within an exam or an evaluation --------------------------------------------------------


@case("uq_answer_sheet_uploads_exam_instance_id_page_number")
async def _upload_page(db: AsyncSession) -> Dup:
    exam = await add_exam(db, "submitted")
    await add(db, "answer_sheet_uploads", exam_instance_id=exam, page_number=1)
    return Dup("answer_sheet_uploads",
               await valid_row(db, "answer_sheet_uploads", exam_instance_id=exam, page_number=1),
               [await valid_row(db, "answer_sheet_uploads", exam_instance_id=exam,
                                page_number=2),
                await valid_row(db, "answer_sheet_uploads", page_number=1)])  # fmt: skip


@case("uq_answer_sheet_uploads_exam_instance_id_sha256")
async def _upload_sha(db: AsyncSession) -> Dup:
    exam = await add_exam(db, "submitted")
    sha = uuid.uuid4().hex * 2
    await add(db, "answer_sheet_uploads", exam_instance_id=exam, sha256=sha)
    return Dup("answer_sheet_uploads",
               await valid_row(db, "answer_sheet_uploads", exam_instance_id=exam, sha256=sha),
               [await valid_row(db, "answer_sheet_uploads", sha256=sha)])  # fmt: skip


@case("uq_answer_sheet_uploads_storage_bucket_storage_key")
async def _upload_object(db: AsyncSession) -> Dup:
    key = f"exams/{_hex()}/page-1.jpg"
    await add(db, "answer_sheet_uploads", storage_key=key)
    return Dup("answer_sheet_uploads", await valid_row(db, "answer_sheet_uploads", storage_key=key),
               [await valid_row(db, "answer_sheet_uploads", storage_key=key,
                                storage_bucket="mathvidya-archive")])  # fmt: skip


@case("uq_evaluations_exam_instance_id")
async def _one_evaluation(db: AsyncSession) -> Dup:
    evaluation = await add_evaluation(db)
    stored = await db.execute(
        text("SELECT exam_instance_id FROM mathvidya.evaluations WHERE id = :id"),
        {"id": evaluation},
    )
    exam = stored.scalar_one()
    return Dup("evaluations", await valid_row(db, "evaluations", exam_instance_id=exam),
               [await valid_row(db, "evaluations")])  # fmt: skip


def _answer_cases(table: str, parent: str, kind: str) -> None:
    async def parents(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
        if parent == "exam_instance_id":
            first, second = await add_exam(db, "submitted"), await add_exam(db, "submitted")
        else:
            first, second = (
                await add_evaluation(db, "in_progress"),
                await add_evaluation(db, "in_progress"),
            )
        return first, second, await add_question(db, kind), await add_question(db, kind)

    async def by_question(db: AsyncSession) -> Dup:
        one, other, q, q2 = await parents(db)
        await add(db, table, **{parent: one, "question_id": q, "question_number": 1})
        return Dup(table, await valid_row(db, table, **{parent: one, "question_id": q}),
                   [await valid_row(db, table, **{parent: one, "question_id": q2}),
                    await valid_row(db, table, **{parent: other, "question_id": q})])  # fmt: skip

    async def by_number(db: AsyncSession) -> Dup:
        one, other, q, q2 = await parents(db)
        await add(db, table, **{parent: one, "question_id": q, "question_number": 1})
        row = {parent: one, "question_id": q2}
        return Dup(table, await valid_row(db, table, **row, question_number=1),
                   [await valid_row(db, table, **row, question_number=2),
                    await valid_row(db, table, **{parent: other, "question_id": q},
                                    question_number=1)])  # fmt: skip

    case(f"uq_{table}_{parent}_question_id")(by_question)
    case(f"uq_{table}_{parent}_question_number")(by_number)


_answer_cases("student_mcq_answers", "exam_instance_id", "MCQ")
_answer_cases("unanswered_questions", "exam_instance_id", "LA")
_answer_cases("question_marks", "evaluation_id", "SA")


# --- the product's tables (migration 0013) --------------------------------------------------------


@case("uq_account_tokens_token_hash")
async def _token_hash(db: AsyncSession) -> Dup:
    # The hash is the look-up key of a redeemed secret: it names one token, whoever holds it.
    digest = (uuid.uuid4().hex * 2)[:64]
    student = await add_user(db)
    await add(db, "account_tokens", user_id=student, token_hash=digest)
    duplicate = await valid_row(db, "account_tokens", purpose="family_invite", token_hash=digest)
    # One account may hold any number of tokens, of either purpose, each with its own hash.
    kept = [await valid_row(db, "account_tokens", user_id=student, purpose=purpose)
            for purpose in ("password_reset", "password_reset", "family_invite")]  # fmt: skip
    return Dup("account_tokens", duplicate, kept)


@case("uq_payments_provider_payment_id")
async def _provider_payment_id(db: AsyncSession) -> Dup:
    # A redelivered webhook names the same provider payment: it cannot record a second row.
    reference = f"pay_{_hex()}"
    subscription = await add_subscription(db)
    await add(db, "payments", subscription_id=subscription, provider_payment_id=reference)
    duplicate = await valid_row(db, "payments", provider_payment_id=reference)
    # A subscription may have several payments (a renewal, a failed first attempt).
    kept = [await valid_row(db, "payments", subscription_id=subscription),
            await valid_row(db, "payments", provider_payment_id=reference + "x")]  # fmt: skip
    return Dup("payments", duplicate, kept)


@case("uq_payments_invoice_number")
async def _invoice_number(db: AsyncSession) -> Dup:
    number = f"MV/2025-26/{_hex()}"
    await add(db, "payments", invoice_number=number)
    return Dup("payments", await valid_row(db, "payments", invoice_number=number),
               [await valid_row(db, "payments", invoice_number=number + "1"),
                await valid_row(db, "payments", invoice_number=number.lower())])  # fmt: skip


# --- the evaluation workflow's tables (migration 0014) --------------------------------------------


@case("uq_reevaluation_requests_evaluation_id_question_number")
async def _one_request_per_question(db: AsyncSession) -> Dup:
    # A student may ask once per question of an evaluation; every other question, and the same
    # number in another evaluation, may be asked about too.
    marked = await add_marked_evaluation(db, [Decimal("1.5"), Decimal(2)])
    first, second = marked.question_mark_ids
    await add(db, "reevaluation_requests", question_mark_id=first)
    duplicate = await valid_row(db, "reevaluation_requests", question_mark_id=first,
                                reason="Asking again.")  # fmt: skip
    kept = [await valid_row(db, "reevaluation_requests", question_mark_id=second),
            await valid_row(db, "reevaluation_requests", question_number=1)]  # fmt: skip
    return Dup("reevaluation_requests", duplicate, kept)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_a_duplicate_is_refused_by_its_key_and_a_near_miss_is_kept(
    db_session: AsyncSession, name: str
) -> None:
    dup = await CASES[name](db_session)

    async def attempt() -> None:
        await drop_constraints(db_session, dup.table, dup.shadowed_by)
        await insert_row(db_session, dup.table, dup.duplicate)

    await expect_violation(db_session, UNIQUE_VIOLATION, name, attempt)
    kept = [await insert_row(db_session, dup.table, row) for row in dup.kept]
    for row_id in kept:
        assert await count_rows(db_session, dup.table, id=row_id) == 1


async def test_every_unique_key_and_unique_index_has_a_case(db_session: AsyncSession) -> None:
    catalog = await unique_names(db_session)
    assert set(CASES) == set(catalog)
    assert {"uq_parent_student_mappings_primary_contact", "uq_questions_active_version"} <= set(
        CASES
    )


async def test_a_new_version_goes_live_once_the_old_one_is_archived(
    db_session: AsyncSession,
) -> None:
    code = f"MV-{_hex().upper()}"
    first = await add_question(db_session, question_code=code)
    second = await add_question(
        db_session, question_code=code, version=2, status="under_review", reviewed_at=None
    )
    reviewed = {"status": "active", "reviewed_at": REVIEWED}
    await expect_violation(
        db_session,
        UNIQUE_VIOLATION,
        "uq_questions_active_version",
        lambda: update_row(db_session, "questions", second, reviewed),
    )
    await update_row(db_session, "questions", first, {"status": "archived"})
    await update_row(db_session, "questions", second, reviewed)
    assert await count_rows(db_session, "questions", question_code=code, status="active") == 1


async def test_the_primary_contact_can_move_to_another_parent(db_session: AsyncSession) -> None:
    student = await add_user(db_session, "student")
    mother, father = [
        await add(db_session, "parent_student_mappings", student_user_id=student,
                  is_primary_contact=primary)
        for primary in (True, False)
    ]  # fmt: skip
    await update_row(db_session, "parent_student_mappings", mother, {"is_primary_contact": False})
    await update_row(db_session, "parent_student_mappings", father, {"is_primary_contact": True})
    assert (
        await count_rows(
            db_session, "parent_student_mappings", student_user_id=student, is_primary_contact=True
        )
        == 1
    )
