"""Valid rows, inserts and catalog look-ups for the Mathvidya schema tests (a helper module).

Rows go in through an untyped view of each table (`mv_table`: no ORM types, no enum or JSON
processing), so what a test proves refused or kept is PostgreSQL's doing, not SQLAlchemy's.
Reads go through the models' tables, so values come back decoded (JSONB, enums, Decimals).

The API, for every Mathvidya test module:

- `await valid_row(db, table, **overrides) -> Row`: a complete valid row of `table`, not yet
  inserted; the parents it needs (users, templates, exams, questions ...) are created in `db`
  unless their ids are given. A few override keys also shape the row (see `valid_row`).
- `await add(db, table, **overrides) -> uuid.UUID`: the same row, inserted; its id.
- Every table of the schema has a builder: the seed's fifteen and the product's two
  (`account_tokens`, `payments`, migration 0013).
- Shortcuts: `add_user(db, role)`, `add_plan_id(db, plan_type)` (a look-up: migration 0007
  seeds the four plans), `add_subscription`, `add_question(db, question_type)`,
  `add_template(db, exam_type)`, `add_exam(db, status)`, `add_evaluation(db, status)`.
- `insert_row`, `update_row`, `delete_row`, `fetch_row`, `count_rows`: untyped writes, typed
  reads, all by the `id` primary key every table has.
- `expect_violation(db, sqlstate, name, statement)`: runs `statement` in a SAVEPOINT, asserts
  it fails with that SQLSTATE and constraint (or column, for NOT NULL) and returns the error;
  the test's transaction stays usable afterwards.
- Catalog: `catalog_constraints(db, kind)`, `unique_names(db)`.

The SQL helpers, constants and catalog look-ups live in rows_base.py and are re-exported here.

Timestamps are fixed instants in 2025 (see the constants below), consistent with each status.
Rows that must be compared with `created_at` (subscriptions, exams) set it explicitly.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import STUDENT_CLASSES

# rows re-exports the low-level half, so tests import everything from here.
from tests.mathvidya.rows_base import *  # noqa: F403
from tests.mathvidya.rows_base import (
    ARGON2ID_HASH,
    CANCELLED,
    CHECK_VIOLATION,
    EVALUATION_ASSIGNED,
    EVALUATION_STARTED,
    EXAM_CREATED,
    EXAM_EVALUATED,
    EXAM_STARTED,
    EXAM_STATUS_FOR_EVALUATION,
    EXAM_SUBMITTED,
    MARKS,
    MCQ_CHOICES,
    PAID,
    PERIOD_END,
    PERIOD_START,
    PRODUCT_TABLES,
    REVIEWED,
    SLA_DEADLINE,
    SUBSCRIBED,
    TABLES,
    TEMPLATE_SHAPES,
    TOKEN_EXPIRES,
    TOKEN_ISSUED,
    UNIT,
    USAGE_MONTH,
    Bad,
    Good,
    Row,
    drop_constraints,
    expect_violation,
    fetch_row,
    free_basic_plan,
    insert_row,
    next_number,
    one_row,
    percentage,
    scalar,
    unique_suffix,
)


async def _user(db: AsyncSession, o: Row) -> Row:
    role = o.get("role", "student")
    return {
        "email": f"{role}-{unique_suffix()}@example.com",
        "password_hash": ARGON2ID_HASH,
        "role": role,
        "first_name": "Asha",
        "last_name": "Verma",
        "phone": "+919876543210",
        "student_class": "X" if role == "student" else None,
        "school_name": "Kendriya Vidyalaya" if role == "student" else None,
    }


async def _mapping(db: AsyncSession, o: Row) -> Row:
    return {
        "parent_user_id": o.get("parent_user_id") or await add_user(db, "parent"),
        "student_user_id": o.get("student_user_id") or await add_user(db, "student"),
        "relationship_type": "mother",
        "is_primary_contact": False,
    }


async def _plan(db: AsyncSession, o: Row) -> Row:
    # All four plan types are seeded, so this row's plan_type collides with a seeded plan
    # (uq_subscription_plans_plan_type) unless that plan is deleted first.
    return {
        "plan_type": "basic",
        "display_name": f"Plan {unique_suffix()}",
        "description": "A plan made by a test.",
        "exams_per_month": 5,
        "sla_hours": 48,
        "leaderboard_access": False,
        "annual_price_inr": Decimal("2999.00"),
        "features": {"highlights": ["5 exams a month"]},
        "sort_order": 9,
    }


async def _subscription(db: AsyncSession, o: Row) -> Row:
    plan_id = o.get("plan_id") or await add_plan_id(db, "basic")
    terms = await one_row(
        db,
        "SELECT exams_per_month, sla_hours, leaderboard_access, annual_price_inr"
        " FROM mathvidya.subscription_plans WHERE id = :id",
        id=plan_id,
    )
    status = o.get("status", "active")
    return {
        "user_id": o.get("user_id") or await add_user(db, "student"),
        "plan_id": plan_id,
        "status": status,
        "starts_at": PERIOD_START,
        "ends_at": PERIOD_END,
        "exams_per_month": terms["exams_per_month"],
        "sla_hours": terms["sla_hours"],
        "leaderboard_access": terms["leaderboard_access"],
        "exams_used_this_month": 0,
        "usage_month": USAGE_MONTH,
        "amount_paid_inr": terms["annual_price_inr"],
        "payment_reference": f"pay_{unique_suffix()}",
        "auto_renew": False,
        "cancelled_at": CANCELLED if status == "cancelled" else None,
        "cancellation_reason": "Changed school" if status == "cancelled" else None,
        "created_at": SUBSCRIBED,
    }


async def _question(db: AsyncSession, o: Row) -> Row:
    kind = o.get("question_type", "MCQ")
    status = o.get("status", "active")
    mcq = kind == "MCQ"
    return {
        "question_code": f"MV-{unique_suffix().upper()}",
        "version": 1,
        "class_level": "X",
        "unit": UNIT,
        "chapter": "Pair of Linear Equations in Two Variables",
        "topic": "Substitution",
        "question_type": kind,
        "difficulty": "medium",
        "status": status,
        "marks": MARKS[kind],
        "question_text": "Solve 2x + 3 = 7 for x.",
        "mcq_choices": MCQ_CHOICES if mcq else None,
        "correct_option": "B" if mcq else None,
        "model_answer": None if mcq else "2x = 4, so x = 2.",
        "marking_scheme": None if mcq else [{"step": "Isolate x", "marks": MARKS[kind]}],
        "tags": ["linear-equations"],
        "source": "Mathvidya original",
        "reviewed_at": REVIEWED if status in ("active", "archived") else None,
        "times_used": 0,
    }


async def _template(db: AsyncSession, o: Row) -> Row:
    kind = o.get("exam_type", "board_exam")
    return {
        "name": f"{kind} {unique_suffix()}",
        "class_level": o.get("class_level", "X"),
        "exam_type": kind,
        "description": "A paper made by a test.",
        **TEMPLATE_SHAPES[kind],
    }


def _written_marks(config: Row) -> int:
    return sum(
        s["count"] * s["marks_each"] for s in config["sections"] if s["question_type"] != "MCQ"
    )


async def _template_of(db: AsyncSession, template_id: uuid.UUID) -> Row:
    found = await fetch_row(db, "exam_templates", template_id)
    assert found is not None, template_id
    return found


async def _exam(db: AsyncSession, o: Row) -> Row:
    status = o.get("status", "created")
    # A class outside X/XII (a bad case) must not reach the template it would break.
    level = o["student_class"] if o.get("student_class") in STUDENT_CLASSES else "X"
    template_id = o.get("template_id") or await add_template(
        db, o.get("exam_type", "board_exam"), class_level=level
    )
    template = await _template_of(db, template_id)
    level, total = template["class_level"], template["total_marks"]
    student_id = o.get("student_user_id") or await add_user(db, "student", student_class=level)
    if "subscription_id" in o:
        subscription_id = o["subscription_id"]
    else:
        # A student's exams share one subscription: a second active one would overlap it.
        subscription_id = (
            await db.execute(
                text("SELECT id FROM mathvidya.subscriptions WHERE user_id = :u LIMIT 1"),
                {"u": student_id},
            )
        ).scalar() or await add_subscription(db, user_id=student_id)
    started = status not in ("created",)
    submitted = status in ("submitted", "under_evaluation", "evaluated")
    evaluated = status == "evaluated"
    written = _written_marks(template["config"])
    mcq_score = Decimal(total - written) if submitted else None
    total_score = Decimal(total - written + written * 3 // 4) if evaluated else None
    return {
        "student_user_id": student_id,
        "template_id": template_id,
        "subscription_id": subscription_id,
        "student_class": level,
        "exam_type": str(template["exam_type"]),
        "status": status,
        "template_snapshot": {"name": template["name"], "config": template["config"]},
        "questions_snapshot": [
            {"number": 1, "question_type": "MCQ", "marks": 1, "text": "Solve 2x + 3 = 7."}
        ],
        "total_marks": total,
        "duration_minutes": template["duration_minutes"],
        "mcq_score": mcq_score,
        "total_score": total_score,
        "percentage": percentage(total_score, total) if total_score is not None else None,
        "started_at": EXAM_STARTED if started else None,
        "submitted_at": EXAM_SUBMITTED if submitted else None,
        "evaluated_at": EXAM_EVALUATED if evaluated else None,
        "created_at": EXAM_CREATED,
    }


async def _evaluation(db: AsyncSession, o: Row) -> Row:
    status = o.get("status", "pending")
    level = o["student_class"] if o.get("student_class") in STUDENT_CLASSES else "X"
    exam_id = o.get("exam_instance_id") or await add_exam(
        db, EXAM_STATUS_FOR_EVALUATION[status], student_class=level
    )
    exam = await fetch_row(db, "exam_instances", exam_id)
    assert exam is not None, exam_id
    max_marks = Decimal(_written_marks(exam["template_snapshot"]["config"]))
    assigned = status in ("assigned", "in_progress", "completed")
    started = status in ("in_progress", "completed")
    completed = status == "completed"
    teacher = o.get("teacher_user_id")
    if assigned and "teacher_user_id" not in o:
        teacher = await add_user(db, "teacher")
    return {
        "exam_instance_id": exam_id,
        "student_class": exam["student_class"],
        "exam_type": str(exam["exam_type"]),
        "teacher_user_id": teacher,
        "status": status,
        "sla_hours": 48,
        "submitted_at": exam["submitted_at"] or EXAM_SUBMITTED,
        "sla_deadline": SLA_DEADLINE,
        "assigned_at": EVALUATION_ASSIGNED if assigned else None,
        "started_at": EVALUATION_STARTED if started else None,
        "completed_at": EXAM_EVALUATED if completed else None,
        "marks_awarded": Decimal(int(max_marks) * 3 // 4) if completed else None,
        "max_marks": max_marks,
        "teacher_comments": "Show each step." if completed else None,
        "annotations": [{"page": 1, "x": 0.4, "y": 0.2, "stamp": "tick"}] if started else [],
        "reassignment_count": 0,
    }


async def _question_key(db: AsyncSession, o: Row, default_type: str) -> Row:
    question_id = o.get("question_id") or await add_question(
        db, o.get("question_type", default_type)
    )
    return await one_row(
        db,
        "SELECT id AS question_id, question_type::text, unit, marks, correct_option"
        " FROM mathvidya.questions WHERE id = :id",
        id=question_id,
    )


async def _mcq_answer(db: AsyncSession, o: Row) -> Row:
    exam_id = o.get("exam_instance_id") or await add_exam(db, "submitted")
    q = await _question_key(db, o, "MCQ")
    number = await next_number(
        db, "student_mcq_answers", "exam_instance_id", exam_id, "question_number"
    )
    return {
        "exam_instance_id": exam_id,
        "question_id": q["question_id"],
        "question_type": q["question_type"],
        "unit": q["unit"],
        "question_number": number,
        "selected_option": q["correct_option"] or "A",
        "is_correct": True,
        "marks_awarded": Decimal(1),
    }


async def _upload(db: AsyncSession, o: Row) -> Row:
    exam_id = o.get("exam_instance_id") or await add_exam(db, "submitted")
    page = await next_number(db, "answer_sheet_uploads", "exam_instance_id", exam_id, "page_number")
    unique = unique_suffix()
    return {
        "exam_instance_id": exam_id,
        "page_number": page,
        "storage_bucket": "mathvidya-answer-sheets",
        "storage_key": f"exams/{exam_id}/page-{page}-{unique}.jpg",
        "original_filename": f"page{page}.jpg",
        "mime_type": "image/jpeg",
        "file_size_bytes": 1_048_576,
        "sha256": hashlib.sha256(unique.encode()).hexdigest(),
    }


async def _unanswered(db: AsyncSession, o: Row) -> Row:
    exam_id = o.get("exam_instance_id") or await add_exam(db, "submitted")
    q = await _question_key(db, o, "VSA")
    number = await next_number(
        db, "unanswered_questions", "exam_instance_id", exam_id, "question_number"
    )
    return {
        "exam_instance_id": exam_id,
        "question_id": q["question_id"],
        "question_type": q["question_type"],
        "unit": q["unit"],
        "question_number": number,
    }


async def _question_mark(db: AsyncSession, o: Row) -> Row:
    evaluation_id = o.get("evaluation_id") or await add_evaluation(db, "in_progress")
    q = await _question_key(db, o, "SA")
    number = await next_number(
        db, "question_marks", "evaluation_id", evaluation_id, "question_number"
    )
    return {
        "evaluation_id": evaluation_id,
        "question_id": q["question_id"],
        "question_type": q["question_type"],
        "unit": q["unit"],
        "question_number": number,
        "marks_awarded": Decimal(q["marks"]) - Decimal("0.5"),
        "max_marks": Decimal(q["marks"]),
        "stamp": "half",
        "teacher_comment": "Final step missing.",
    }


async def _audit_log(db: AsyncSession, o: Row) -> Row:
    return {
        "actor_user_id": None,
        "actor_role": None,
        "action": "exam.submitted",
        "entity_type": "exam_instance",
        "entity_id": uuid.uuid4(),
        "details": {"status": {"before": "in_progress", "after": "submitted"}},
        "ip_address": ipaddress.ip_address("203.0.113.7"),
        "user_agent": "pytest",
        "request_id": unique_suffix(),
    }


async def _holiday(db: AsyncSession, o: Row) -> Row:
    return {
        "holiday_date": date(2030, 1, 1),
        "name": f"Holiday {unique_suffix()}",
        "is_national": False,
        "description": "An office holiday made by a test.",
    }


async def _config(db: AsyncSession, o: Row) -> Row:
    return {
        "config_key": f"test.key_{unique_suffix()}",
        "config_value": {"value": 1},
        "description": "A setting made by a test.",
    }


# --- the product's tables (issue 15, migration 0013) ----------------------------------------------

# The basic plan's GST-inclusive price, split into the taxable value and 18 % GST.
PLAN_PRICE = Decimal("2999.00")
TAXABLE_VALUE = Decimal("2541.53")
GST = PLAN_PRICE - TAXABLE_VALUE


async def _account_token(db: AsyncSession, o: Row) -> Row:
    # An unspent password-reset token of a new student, live for an hour.
    return {
        "user_id": o.get("user_id") or await add_user(db, "student"),
        "purpose": "password_reset",
        "token_hash": hashlib.sha256(unique_suffix().encode()).hexdigest(),
        "created_at": TOKEN_ISSUED,
        "expires_at": TOKEN_EXPIRES,
        "used_at": None,
        "used_by_user_id": None,
    }


async def _payment(db: AsyncSession, o: Row) -> Row:
    # A parent's payment for a new student's basic subscription.
    return {
        "provider_payment_id": f"pay_{unique_suffix()}",
        "subscription_id": o.get("subscription_id") or await add_subscription(db),
        "payer_user_id": o.get("payer_user_id") or await add_user(db, "parent"),
        "amount_inr": PLAN_PRICE,
        "taxable_value_inr": TAXABLE_VALUE,
        "gst_inr": GST,
        "invoice_number": f"MV/2025-26/{unique_suffix()}",
        "paid_at": PAID,
    }


Builder = Callable[[AsyncSession, Row], Awaitable[Row]]
BUILDERS: dict[str, Builder] = {
    "users": _user,
    "parent_student_mappings": _mapping,
    "subscription_plans": _plan,
    "subscriptions": _subscription,
    "questions": _question,
    "exam_templates": _template,
    "exam_instances": _exam,
    "student_mcq_answers": _mcq_answer,
    "answer_sheet_uploads": _upload,
    "unanswered_questions": _unanswered,
    "evaluations": _evaluation,
    "question_marks": _question_mark,
    "audit_logs": _audit_log,
    "holidays": _holiday,
    "system_config": _config,
    "account_tokens": _account_token,
    "payments": _payment,
}
assert set(BUILDERS) == set(TABLES) | set(PRODUCT_TABLES)


class New(NamedTuple):
    """An override value: a new user of `role`, created when the row is built."""

    role: str


class Same(NamedTuple):
    """An override value: whatever the built row holds in `column`."""

    column: str


async def valid_row(db: AsyncSession, table_name: str, /, **overrides: Any) -> Row:
    """A valid row of `table_name` with `overrides` applied on top (not inserted).

    Override values may be `New(role)` (a user created for it) or `Same(column)` (a copy of
    another column of the row), so static test cases can name real users.

    Parents are created unless their id is among the overrides; columns copied from a parent
    (an answer's question_type and unit, an exam's class and type, an evaluation's
    submitted_at) are read from it. Some override keys also shape the rest of the row:
    users `role`; subscriptions and exams/evaluations `status` (timestamps, scores, teacher
    follow it); questions `question_type` and `status`; exam_templates `exam_type`;
    exam_instances `exam_type`/`student_class` (pick the new template); answer and mark rows
    `question_type` (the kind of question created for them). account_tokens: an unspent
    password reset of a new student; payments: a new parent paying for a new subscription.
    """
    for key, value in overrides.items():
        if isinstance(value, New):
            overrides[key] = await add_user(db, value.role)
    row = await BUILDERS[table_name](db, overrides) | overrides
    return {k: row[v.column] if isinstance(v, Same) else v for k, v in row.items()}


async def add(db: AsyncSession, table_name: str, /, **overrides: Any) -> uuid.UUID:
    """Insert `valid_row(db, table_name, **overrides)`; return its id."""
    return await insert_row(db, table_name, await valid_row(db, table_name, **overrides))


async def add_user(db: AsyncSession, role: str = "student", **overrides: Any) -> uuid.UUID:
    return await add(db, "users", role=role, **overrides)


async def add_plan_id(db: AsyncSession, plan_type: str = "basic") -> uuid.UUID:
    """The id of the seeded plan of `plan_type` (a look-up: migration 0007 inserts the four)."""
    return uuid.UUID(
        str(
            await scalar(
                db,
                "SELECT id FROM mathvidya.subscription_plans WHERE plan_type = :t",
                t=plan_type,
            )
        )
    )


async def add_subscription(
    db: AsyncSession, plan_type: str = "basic", **overrides: Any
) -> uuid.UUID:
    """A student's subscription to a seeded plan, its terms copied from the plan. Default:
    `active` from 2025-04-01 to 2026-04-01 IST, for a new student (`user_id=` to choose)."""
    if "plan_id" not in overrides:
        overrides["plan_id"] = await add_plan_id(db, plan_type)
    return await add(db, "subscriptions", **overrides)


async def add_question(db: AsyncSession, question_type: str = "MCQ", **overrides: Any) -> uuid.UUID:
    """An `active`, reviewed question of class X, unit "Algebra", with the type's marks."""
    return await add(db, "questions", question_type=question_type, **overrides)


async def add_template(
    db: AsyncSession, exam_type: str = "board_exam", **overrides: Any
) -> uuid.UUID:
    """A class X template of `exam_type`, shaped as TEMPLATE_SHAPES says."""
    return await add(db, "exam_templates", exam_type=exam_type, **overrides)


async def add_exam(db: AsyncSession, status: str = "created", **overrides: Any) -> uuid.UUID:
    """An exam in `status`, with timestamps and scores that status implies: started_at from
    `in_progress` (and `expired`), submitted_at and mcq_score from `submitted`, evaluated_at,
    total_score and percentage when `evaluated`. By default a new board template and student,
    and the student's subscription (found, or created); `subscription_id=None` for none."""
    return await add(db, "exam_instances", status=status, **overrides)


async def add_evaluation(db: AsyncSession, status: str = "pending", **overrides: Any) -> uuid.UUID:
    """An evaluation in `status` of a new exam in the matching status (EXAM_STATUS_FOR_EVALUATION)
    unless `exam_instance_id` is given; a new teacher once assigned, unless `teacher_user_id`."""
    return await add(db, "evaluations", status=status, **overrides)


async def assert_refused_by_check(db: AsyncSession, bad: Bad) -> None:
    if bad.table == "subscription_plans":
        await free_basic_plan(db)
    row = await valid_row(db, bad.table, **bad.overrides)

    async def attempt() -> None:
        await drop_constraints(db, bad.table, bad.shadowed_by)
        await insert_row(db, bad.table, row)

    await expect_violation(db, CHECK_VIOLATION, bad.constraint, attempt)
    # The savepoint kept the transaction usable, and the shadowing checks are back.
    await insert_row(db, bad.table, await valid_row(db, bad.table))


async def assert_kept_as_given(db: AsyncSession, good: Good) -> None:
    if good.table == "subscription_plans":
        await free_basic_plan(db)
    row_id = await insert_row(db, good.table, await valid_row(db, good.table, **good.overrides))
    stored = await fetch_row(db, good.table, row_id)
    assert stored is not None
    assert {k: stored[k] for k in good.overrides} == good.overrides
