"""Mathvidya reference data (seed 003): the 4 subscription plans, 26 national holidays
(2025 and 2026) and 18 system configuration entries.

The values are written out here, not imported, so that this revision always inserts what it
inserted on the day it was written. The downgrade deletes exactly these rows, by their
natural keys; it fails (RESTRICT) if a subscription still uses one of the plans.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 05:40:00+00:00
"""

import json
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The seed's plan table: exams a month, SLA (working hours), leaderboard, price a year (INR).
PLANS = (
    {
        "plan_type": "basic",
        "display_name": "Basic Plan",
        "description": "Regular practice with every paper marked by a teacher.",
        "exams_per_month": 5,
        "sla_hours": 48,
        "leaderboard_access": False,
        "annual_price_inr": 2999,
        "features": {
            "highlights": [
                "5 exams a month",
                "Board, section-wise and unit-wise papers",
                "MCQs marked instantly",
                "Written answers marked by a teacher within 48 working hours",
                "Parent dashboard",
            ]
        },
        "sort_order": 1,
    },
    {
        "plan_type": "premium_mcq",
        "display_name": "Premium MCQ",
        "description": "More papers a month for students who practise often.",
        "exams_per_month": 15,
        "sla_hours": 48,
        "leaderboard_access": False,
        "annual_price_inr": 4999,
        "features": {
            "highlights": [
                "15 exams a month",
                "Board, section-wise and unit-wise papers",
                "MCQs marked instantly",
                "Written answers marked by a teacher within 48 working hours",
                "Parent dashboard",
            ]
        },
        "sort_order": 2,
    },
    {
        "plan_type": "premium",
        "display_name": "Premium Plan",
        "description": "Practice at exam-season pace, with the class leaderboard.",
        "exams_per_month": 50,
        "sla_hours": 48,
        "leaderboard_access": True,
        "annual_price_inr": 9999,
        "features": {
            "highlights": [
                "50 exams a month",
                "Board, section-wise and unit-wise papers",
                "MCQs marked instantly",
                "Written answers marked by a teacher within 48 working hours",
                "Class leaderboard",
                "Parent dashboard",
            ]
        },
        "sort_order": 3,
    },
    {
        "plan_type": "centum",
        "display_name": "Plan Centum",
        "description": "For students aiming at full marks: the fastest evaluation.",
        "exams_per_month": 50,
        "sla_hours": 24,
        "leaderboard_access": True,
        "annual_price_inr": 14999,
        "features": {
            "highlights": [
                "50 exams a month",
                "Board, section-wise and unit-wise papers",
                "MCQs marked instantly",
                "Written answers marked by a teacher within 24 working hours",
                "Class leaderboard",
                "Parent dashboard",
            ]
        },
        "sort_order": 4,
    },
)

# The seed's thirteen holidays on their dates in each year (central government gazette for
# the movable ones; Ambedkar Jayanti and May Day fall on 14 April and 1 May every year).
HOLIDAYS: tuple[tuple[date, str], ...] = (
    (date(2025, 1, 26), "Republic Day"),
    (date(2025, 3, 14), "Holi"),
    (date(2025, 3, 31), "Id-ul-Fitr"),
    (date(2025, 4, 14), "Ambedkar Jayanti"),
    (date(2025, 4, 18), "Good Friday"),
    (date(2025, 5, 1), "May Day"),
    (date(2025, 8, 15), "Independence Day"),
    (date(2025, 8, 16), "Janmashtami"),
    (date(2025, 10, 2), "Gandhi Jayanti"),
    (date(2025, 10, 2), "Dussehra"),
    (date(2025, 10, 20), "Diwali"),
    (date(2025, 11, 5), "Guru Nanak Jayanti"),
    (date(2025, 12, 25), "Christmas"),
    (date(2026, 1, 26), "Republic Day"),
    (date(2026, 3, 4), "Holi"),
    (date(2026, 3, 21), "Id-ul-Fitr"),
    (date(2026, 4, 3), "Good Friday"),
    (date(2026, 4, 14), "Ambedkar Jayanti"),
    (date(2026, 5, 1), "May Day"),
    (date(2026, 8, 15), "Independence Day"),
    (date(2026, 9, 4), "Janmashtami"),
    (date(2026, 10, 2), "Gandhi Jayanti"),
    (date(2026, 10, 20), "Dussehra"),
    (date(2026, 11, 8), "Diwali"),
    (date(2026, 11, 24), "Guru Nanak Jayanti"),
    (date(2026, 12, 25), "Christmas"),
)

CONFIG: tuple[tuple[str, object, str], ...] = (
    ("sla.working_hours_start", "09:00", "Evaluation SLA clock starts each working day (IST)."),
    ("sla.working_hours_end", "18:00", "Evaluation SLA clock stops each working day (IST)."),
    ("sla.timezone", "Asia/Kolkata", "Time zone of the SLA working hours."),
    (
        "sla.working_days",
        [1, 2, 3, 4, 5, 6],
        "ISO weekdays the SLA clock runs (1 = Monday); holidays are excluded as well.",
    ),
    (
        "sla.warning_hours_before_deadline",
        6,
        "Working hours before the SLA deadline at which the teacher and admins are warned.",
    ),
    ("leaderboard.top_n", 10, "Students shown on each class leaderboard."),
    ("leaderboard.refresh_interval_minutes", 30, "How often leaderboards are recomputed."),
    ("upload.max_file_size_bytes", 5 * 1024 * 1024, "Largest answer-sheet file accepted (5 MB)."),
    (
        "upload.allowed_mime_types",
        ["image/jpeg", "image/png", "application/pdf"],
        "Answer-sheet formats accepted: JPEG, PNG, PDF.",
    ),
    ("upload.max_pages_per_exam", 40, "Most answer-sheet pages one exam may have."),
    (
        "evaluation.stamps",
        ["tick", "cross", "half", "circle", "star"],
        "Stamps a teacher can place on an answer sheet.",
    ),
    (
        "evaluation.max_active_per_teacher",
        20,
        "Open evaluations a teacher may hold before new ones go to someone else.",
    ),
    (
        "analytics.refresh_schedule",
        {"cron": "0 2 * * *", "timezone": "Asia/Kolkata"},
        "Nightly analytics recomputation: 2 AM IST.",
    ),
    (
        "curriculum.units_class_x",
        [
            {"name": "Number Systems", "marks": 6},
            {"name": "Algebra", "marks": 20},
            {"name": "Coordinate Geometry", "marks": 6},
            {"name": "Geometry", "marks": 15},
            {"name": "Trigonometry", "marks": 12},
            {"name": "Mensuration", "marks": 10},
            {"name": "Statistics and Probability", "marks": 11},
        ],
        "CBSE class X mathematics units and their board-paper marks.",
    ),
    (
        "curriculum.units_class_xii",
        [
            {"name": "Relations and Functions", "marks": 8},
            {"name": "Algebra", "marks": 10},
            {"name": "Calculus", "marks": 35},
            {"name": "Vectors and Three-Dimensional Geometry", "marks": 14},
            {"name": "Linear Programming", "marks": 5},
            {"name": "Probability", "marks": 8},
        ],
        "CBSE class XII mathematics units and their board-paper marks.",
    ),
    (
        "exam.negative_marking",
        False,
        "Wrong and unanswered questions score 0; nothing is deducted.",
    ),
    (
        "exam.submission_grace_minutes",
        15,
        "Minutes after an exam's duration in which answer sheets may still be uploaded.",
    ),
    (
        "subscription.usage_reset_day",
        1,
        "Day of the month (IST) on which monthly exam counters start again.",
    ),
)


class JSONText(sa.types.TypeDecorator[str]):
    """JSON sent as text and cast to jsonb by PostgreSQL: offline `--sql` output can render
    a text literal, which it cannot do for a JSONB value."""

    impl = sa.Text
    cache_ok = True

    def bind_expression(self, bindvalue: sa.BindParameter[str]) -> sa.ColumnElement[str]:
        return sa.cast(bindvalue, postgresql.JSONB)


plans = sa.table(
    "subscription_plans",
    sa.column(
        "plan_type", postgresql.ENUM(name="plan_type", schema="mathvidya", create_type=False)
    ),
    sa.column("display_name", sa.String),
    sa.column("description", sa.Text),
    sa.column("exams_per_month", sa.SmallInteger),
    sa.column("sla_hours", sa.SmallInteger),
    sa.column("leaderboard_access", sa.Boolean),
    sa.column("annual_price_inr", sa.Numeric(10, 2)),
    sa.column("features", JSONText),
    sa.column("sort_order", sa.SmallInteger),
    schema="mathvidya",
)
holidays = sa.table(
    "holidays",
    sa.column("holiday_date", sa.Date),
    sa.column("name", sa.String),
    sa.column("is_national", sa.Boolean),
    schema="mathvidya",
)
system_config = sa.table(
    "system_config",
    sa.column("config_key", sa.String),
    sa.column("config_value", JSONText),
    sa.column("description", sa.Text),
    schema="mathvidya",
)


def upgrade() -> None:
    op.bulk_insert(plans, [{**plan, "features": json.dumps(plan["features"])} for plan in PLANS])
    op.bulk_insert(
        holidays,
        [{"holiday_date": day, "name": name, "is_national": True} for day, name in HOLIDAYS],
    )
    op.bulk_insert(
        system_config,
        [
            {"config_key": key, "config_value": json.dumps(value), "description": description}
            for key, value, description in CONFIG
        ],
    )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(
        sa.text("DELETE FROM mathvidya.system_config WHERE config_key = ANY(:keys)"),
        {"keys": [key for key, _, _ in CONFIG]},
    )
    bind.execute(
        sa.text(
            "DELETE FROM mathvidya.holidays h USING unnest(CAST(:days AS date[]),"
            " CAST(:names AS text[])) AS seeded(day, name)"
            " WHERE h.holiday_date = seeded.day AND h.name = seeded.name"
        ),
        {"days": [day for day, _ in HOLIDAYS], "names": [name for _, name in HOLIDAYS]},
    )
    bind.execute(
        sa.text("DELETE FROM mathvidya.subscription_plans WHERE plan_type::text = ANY(:types)"),
        {"types": [plan["plan_type"] for plan in PLANS]},
    )


__all__ = ["CONFIG", "HOLIDAYS", "PLANS"]
