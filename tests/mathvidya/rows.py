"""Valid rows, inserts and catalog look-ups for the Mathvidya schema tests (a helper module).

Rows go in through an untyped view of each table (`mv_table`: no ORM types, no enum or JSON
processing), so what a test proves refused or kept is PostgreSQL's doing, not SQLAlchemy's.
Reads go through the models' tables, so values come back decoded (JSONB, enums, Decimals).

The API, for every Mathvidya test module:

- `await valid_row(db, table, **overrides) -> Row`: a complete valid row of `table`, not yet
  inserted; the parents it needs (users, templates, exams, questions ...) are created in `db`
  unless their ids are given. A few override keys also shape the row (see `valid_row`).
- `await add(db, table, **overrides) -> uuid.UUID`: the same row, inserted; its id.
- Every table of the schema has a builder: the seed's fifteen and the product's five
  (`account_tokens`, `payments`, migration 0013; `reevaluation_requests`,
  `leaderboard_entries`, `analytics_snapshots`, migration 0014).
- Shortcuts: `add_user(db, role)`, `add_plan_id(db, plan_type)` (a look-up: migration 0007
  seeds the four plans), `add_subscription`, `add_question(db, question_type)`,
  `add_template(db, exam_type)`, `add_exam(db, status)`, `add_evaluation(db, status)`,
  `add_marked_evaluation(db, marks)` (a completed evaluation whose marks add up, as the
  deferred triggers of 0014 demand at commit), `add_reevaluation_request(db, status)`,
  `add_leaderboard_entry(db)` and `add_analytics_snapshot(db, subject_kind)` (these two
  return their primary key as a dict: the derived tables have no `id`).
- `insert_row`, `update_row`, `delete_row`, `fetch_row`, `count_rows`: untyped writes, typed
  reads, by the `id` primary key of every table but the two derived ones; `insert_keyed`,
  `fetch_keyed`, `delete_keyed` work by any primary key (returned as {column: value}).
- `expect_violation(db, sqlstate, name, statement)`: runs `statement` in a SAVEPOINT, asserts
  it fails with that SQLSTATE and constraint (or column, for NOT NULL) and returns the error;
  the test's transaction stays usable afterwards.
- Catalog: `catalog_constraints(db, kind)`, `unique_names(db)`.

The SQL helpers, constants and catalog look-ups live in rows_base.py and are re-exported here.

Timestamps are fixed instants in 2025 (see the constants below), consistent with each status.
Rows that must be compared with `created_at` (subscriptions, exams) set it explicitly.

Marks. The builders' completed evaluation (`add_evaluation(db, "completed")`) awards three
quarters of the written marks with no question marks behind them, and its evaluated exam
totals what the exam builder says: fine in a test's rolled-back transaction, but the deferred
triggers `*_marks_add_up` would refuse it at COMMIT (or at `SET CONSTRAINTS ALL IMMEDIATE`).
A test that needs marks that add up builds them with `add_marked_evaluation`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
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
    fetch_keyed,
    fetch_row,
    free_basic_plan,
    insert_keyed,
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
    held = status in ("assigned", "in_progress")
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
        # The holder's claim (issue 16): held evaluations only, until the SLA deadline.
        "claim_expires_at": CLAIM_EXPIRES if held else None,
        "predicted_completion_at": None,
        "predicted_at": None,
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


# --- the evaluation workflow's tables (issue 16, migration 0014) ---------------------------------

# A held evaluation's claim runs to the SLA deadline (after assigned_at, as it must be).
CLAIM_EXPIRES = SLA_DEADLINE
# A re-evaluation is asked for a day after the marks came back, and due two days later.
REEVALUATION_REQUESTED = EXAM_EVALUATED + timedelta(days=1)
REEVALUATION_DEADLINE = REEVALUATION_REQUESTED + timedelta(days=2)
REEVALUATION_COMPLETED = REEVALUATION_REQUESTED + timedelta(hours=5)
# The April 2025 board, refreshed after the month; an analytics day and when it was computed.
LEADERBOARD_MONTH = date(2025, 4, 1)
LEADERBOARD_REFRESHED = datetime(2025, 5, 1, 2, 0, tzinfo=EXAM_EVALUATED.tzinfo)
ANALYTICS_DAY = date(2025, 4, 9)
ANALYTICS_COMPUTED = datetime(2025, 4, 10, 2, 0, tzinfo=EXAM_EVALUATED.tzinfo)


async def _reevaluation(db: AsyncSession, o: Row) -> Row:
    # A student asks for one written question of their completed (marked) evaluation to be
    # marked again; a teacher other than the first marker has it.
    if o.get("question_mark_id"):
        mark_id = o["question_mark_id"]
    elif o.get("evaluation_id"):
        mark_id = await add(db, "question_marks", evaluation_id=o["evaluation_id"])
    else:
        mark_id = (await add_marked_evaluation(db)).question_mark_ids[0]
    mark = await one_row(
        db,
        "SELECT m.evaluation_id, m.question_number, m.marks_awarded, m.max_marks,"
        " e.teacher_user_id, x.student_user_id"
        " FROM mathvidya.question_marks m"
        " JOIN mathvidya.evaluations e ON e.id = m.evaluation_id"
        " JOIN mathvidya.exam_instances x ON x.id = e.exam_instance_id WHERE m.id = :id",
        id=mark_id,
    )
    status = o.get("status", "requested")
    completed = status == "completed"
    return {
        "evaluation_id": mark["evaluation_id"],
        "question_mark_id": mark_id,
        "question_number": mark["question_number"],
        "student_user_id": mark["student_user_id"],
        "reason": "My second step was right: please look at it again.",
        "status": status,
        "original_teacher_user_id": mark["teacher_user_id"],
        "teacher_user_id": o.get("teacher_user_id") or await add_user(db, "teacher"),
        "requested_at": REEVALUATION_REQUESTED,
        "sla_deadline": REEVALUATION_DEADLINE,
        "completed_at": REEVALUATION_COMPLETED if completed else None,
        "max_marks": mark["max_marks"],
        "marks_before": mark["marks_awarded"],
        "marks_after": mark["max_marks"] if completed else None,
        "teacher_comment": "The second step earns its mark." if completed else None,
    }


async def _leaderboard_entry(db: AsyncSession, o: Row) -> Row:
    # A class X student first on the April 2025 board.
    level = o["student_class"] if o.get("student_class") in STUDENT_CLASSES else "X"
    return {
        "month": LEADERBOARD_MONTH,
        "student_class": level,
        "student_user_id": o.get("student_user_id")
        or await add_user(db, "student", student_class=level),
        "rank": 1,
        "display_name": "Asha V.",
        "score": Decimal("87.50"),
        "exams_counted": 2,
        "refreshed_at": LEADERBOARD_REFRESHED,
    }


async def _analytics_snapshot(db: AsyncSession, o: Row) -> Row:
    # A student's (or, with subject_kind="teacher", a teacher's) analytics for one day.
    kind = o.get("subject_kind", "student")
    role = kind if kind in ("student", "teacher") else "student"
    return {
        "subject_kind": kind,
        "subject_user_id": o.get("subject_user_id") or await add_user(db, role),
        "computed_for": ANALYTICS_DAY,
        "payload": {"exams": 2, "units": {UNIT: {"marks": 14, "out_of": 20}}},
        "computed_at": ANALYTICS_COMPUTED,
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
    "reevaluation_requests": _reevaluation,
    "leaderboard_entries": _leaderboard_entry,
    "analytics_snapshots": _analytics_snapshot,
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
    reevaluation_requests: `status` (requested or completed), on `question_mark_id` (or a new
    mark of `evaluation_id`, or a new `add_marked_evaluation`), asked by the exam's student,
    held by a new teacher; leaderboard_entries `student_class`; analytics_snapshots
    `subject_kind` (the role of the user created for it).
    """
    for key, value in overrides.items():
        if isinstance(value, New):
            overrides[key] = await add_user(db, value.role)
    row = await BUILDERS[table_name](db, overrides) | overrides
    return {k: row[v.column] if isinstance(v, Same) else v for k, v in row.items()}


async def add(db: AsyncSession, table_name: str, /, **overrides: Any) -> uuid.UUID:
    """Insert `valid_row(db, table_name, **overrides)`; return its id (tables keyed by `id`:
    `add_keyed` for the two derived tables)."""
    return await insert_row(db, table_name, await valid_row(db, table_name, **overrides))


async def add_keyed(db: AsyncSession, table_name: str, /, **overrides: Any) -> Row:
    """Insert `valid_row(db, table_name, **overrides)` into any table; return its primary key
    as {column: value}."""
    return await insert_keyed(db, table_name, await valid_row(db, table_name, **overrides))


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


class MarkedEvaluation(NamedTuple):
    """What `add_marked_evaluation` made: ids of the exam, its evaluation and the marks."""

    exam_instance_id: uuid.UUID
    evaluation_id: uuid.UUID
    question_mark_ids: list[uuid.UUID]


async def add_marked_evaluation(
    db: AsyncSession, marks: Sequence[Decimal] = (Decimal("2.5"),), **overrides: Any
) -> MarkedEvaluation:
    """A completed evaluation whose marks add up, as the deferred triggers of migration 0014
    check at commit: one SA question mark (out of 3) per entry of `marks`, the evaluation's
    `marks_awarded` their sum, and its new evaluated board exam totalling its MCQ score plus
    that sum (with the matching percentage). `overrides` go to the evaluation row."""
    written = sum(marks, Decimal(0))
    exam = await valid_row(db, "exam_instances", status="evaluated")
    exam["total_score"] = exam["mcq_score"] + written
    exam["percentage"] = percentage(exam["total_score"], exam["total_marks"])
    exam_id = await insert_row(db, "exam_instances", exam)
    evaluation_id = await add_evaluation(
        db, "completed", exam_instance_id=exam_id, marks_awarded=written, **overrides
    )
    mark_ids = [
        await add(db, "question_marks", evaluation_id=evaluation_id, marks_awarded=mark)
        for mark in marks
    ]
    return MarkedEvaluation(exam_id, evaluation_id, mark_ids)


async def add_reevaluation_request(
    db: AsyncSession, status: str = "requested", **overrides: Any
) -> uuid.UUID:
    """A student's request to re-mark one question of a new marked evaluation (unless
    `question_mark_id` or `evaluation_id` is given), held by a new teacher; `status`
    `completed` adds the new mark (full marks), the time and a comment."""
    return await add(db, "reevaluation_requests", status=status, **overrides)


async def add_leaderboard_entry(db: AsyncSession, **overrides: Any) -> Row:
    """A new class X student ranked first on the April 2025 board; returns the primary key
    {month, student_class, student_user_id}."""
    return await add_keyed(db, "leaderboard_entries", **overrides)


async def add_analytics_snapshot(
    db: AsyncSession, subject_kind: str = "student", **overrides: Any
) -> Row:
    """A new student's (or teacher's) analytics for 9 April 2025; returns the primary key
    {subject_kind, subject_user_id, computed_for}."""
    return await add_keyed(db, "analytics_snapshots", subject_kind=subject_kind, **overrides)


async def assert_refused_by_check(db: AsyncSession, bad: Bad) -> None:
    if bad.table == "subscription_plans":
        await free_basic_plan(db)
    row = await valid_row(db, bad.table, **bad.overrides)

    async def attempt() -> None:
        await drop_constraints(db, bad.table, bad.shadowed_by)
        await insert_keyed(db, bad.table, row)

    await expect_violation(db, CHECK_VIOLATION, bad.constraint, attempt)
    # The savepoint kept the transaction usable, and the shadowing checks are back.
    await insert_keyed(db, bad.table, await valid_row(db, bad.table))


async def assert_kept_as_given(db: AsyncSession, good: Good) -> None:
    if good.table == "subscription_plans":
        await free_basic_plan(db)
    key = await insert_keyed(db, good.table, await valid_row(db, good.table, **good.overrides))
    stored = await fetch_keyed(db, good.table, key)
    assert stored is not None
    assert {k: stored[k] for k in good.overrides} == good.overrides
