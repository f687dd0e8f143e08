"""Migration 0007's reference data (seed 003): the four plans, 26 holidays and 18 settings
exactly as specified, and the six settings of the evaluation workflow that migration 0014
(issue 16) added (24 in all); the seed's verification query, and a downgrade that removes
exactly that data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.curriculum import SYLLABUS
from lyceum.mathvidya.models.evaluation import EVALUATION_STAMPS
from lyceum.mathvidya.models.exam_instance import ALLOWED_MIME_TYPES, MAX_PAGES, MAX_UPLOAD_BYTES
from tests.fixtures import services

# The seed's plan table: display name, exams a month, SLA hours, leaderboard, annual price.
PLANS = {
    "basic": ("Basic Plan", 5, 48, False, Decimal("2999.00")),
    "premium_mcq": ("Premium MCQ", 15, 48, False, Decimal("4999.00")),
    "premium": ("Premium Plan", 50, 48, True, Decimal("9999.00")),
    "centum": ("Plan Centum", 50, 24, True, Decimal("14999.00")),
}
HOLIDAY_NAMES = {
    "Republic Day", "Holi", "Id-ul-Fitr", "Ambedkar Jayanti", "Good Friday", "May Day",
    "Independence Day", "Janmashtami", "Gandhi Jayanti", "Dussehra", "Diwali",
    "Guru Nanak Jayanti", "Christmas",
}  # fmt: skip
# The movable holidays on the dates the central government gazetted for each year.
MOVABLE_DATES = {
    ("Holi", 2025): date(2025, 3, 14),
    ("Id-ul-Fitr", 2025): date(2025, 3, 31),
    ("Good Friday", 2025): date(2025, 4, 18),
    ("Janmashtami", 2025): date(2025, 8, 16),
    ("Dussehra", 2025): date(2025, 10, 2),
    ("Diwali", 2025): date(2025, 10, 20),
    ("Guru Nanak Jayanti", 2025): date(2025, 11, 5),
    ("Holi", 2026): date(2026, 3, 4),
    ("Id-ul-Fitr", 2026): date(2026, 3, 21),
    ("Good Friday", 2026): date(2026, 4, 3),
    ("Janmashtami", 2026): date(2026, 9, 4),
    ("Dussehra", 2026): date(2026, 10, 20),
    ("Diwali", 2026): date(2026, 11, 8),
    ("Guru Nanak Jayanti", 2026): date(2026, 11, 24),
}
FIXED_DATES = {
    "Republic Day": (1, 26),
    "Ambedkar Jayanti": (4, 14),
    "May Day": (5, 1),
    "Independence Day": (8, 15),
    "Gandhi Jayanti": (10, 2),
    "Christmas": (12, 25),
}
VERIFICATION_QUERY = """
SELECT 'users' AS table_name, COUNT(*) AS rows FROM users
UNION ALL SELECT 'subscription_plans', COUNT(*) FROM subscription_plans
UNION ALL SELECT 'holidays', COUNT(*) FROM holidays
UNION ALL SELECT 'system_config', COUNT(*) FROM system_config
"""


async def _config(db: AsyncSession) -> dict[str, Any]:
    rows = await db.execute(text("SELECT config_key, config_value FROM mathvidya.system_config"))
    return {key: value for key, value in rows}


async def test_the_four_plans_are_the_seeds(db_session: AsyncSession) -> None:
    rows = await db_session.execute(
        text(
            "SELECT plan_type::text, display_name, exams_per_month, sla_hours,"
            " leaderboard_access, annual_price_inr, is_active, features"
            " FROM mathvidya.subscription_plans ORDER BY sort_order"
        )
    )
    plans = {plan: tuple(rest[:5]) for plan, *rest in rows}
    assert plans == PLANS
    assert list(plans) == ["basic", "premium_mcq", "premium", "centum"]
    for plan_type, *_, is_active, features in await db_session.execute(
        text("SELECT plan_type::text, is_active, features FROM mathvidya.subscription_plans")
    ):
        assert is_active
        # The product copy states the plan's own quota and SLA.
        exams, sla = PLANS[plan_type][1], PLANS[plan_type][2]
        assert f"{exams} exams a month" in features["highlights"]
        assert any(f"within {sla} working hours" in line for line in features["highlights"])


async def test_the_26_holidays_fall_on_their_real_dates(db_session: AsyncSession) -> None:
    rows = await db_session.execute(
        text("SELECT name, holiday_date, is_national FROM mathvidya.holidays")
    )
    holidays = [(name, day) for name, day, national in rows if national]
    assert len(holidays) == 26
    for year in (2025, 2026):
        assert {name for name, day in holidays if day.year == year} == HOLIDAY_NAMES
    on_day = {(name, day.year): day for name, day in holidays}
    for (name, year), day in MOVABLE_DATES.items():
        assert on_day[name, year] == day, (name, year)
    for name, (month, day_of_month) in FIXED_DATES.items():
        for year in (2025, 2026):
            assert on_day[name, year] == date(year, month, day_of_month)


# Migration 0014's settings of the evaluation workflow (docs/mathvidya.md, "Configuration").
WORKFLOW_SETTINGS = {
    "upload.signed_url_seconds": 300,
    "evaluation.claim_hours": 8,
    "evaluation.prior_minutes_per_evaluation": 40,
    "sla.reassign_margin_hours": 2,
    "leaderboard.min_exams": 2,
    "analytics.drift_threshold": 0.15,
}


async def test_the_24_settings_hold_the_seeds_and_the_workflows_values(
    db_session: AsyncSession,
) -> None:
    config = await _config(db_session)
    assert len(config) == 18 + len(WORKFLOW_SETTINGS) == 24
    assert {key: config[key] for key in WORKFLOW_SETTINGS} == WORKFLOW_SETTINGS
    # The numbers are JSON numbers, not strings: the services read them as such.
    assert all(type(config[key]) is type(value) for key, value in WORKFLOW_SETTINGS.items())
    assert config["sla.working_hours_start"] == "09:00"
    assert config["sla.working_hours_end"] == "18:00"
    assert config["sla.timezone"] == "Asia/Kolkata"
    assert config["leaderboard.top_n"] == 10
    assert config["upload.max_file_size_bytes"] == 5 * 1024 * 1024
    assert config["upload.allowed_mime_types"] == ["image/jpeg", "image/png", "application/pdf"]
    assert config["evaluation.stamps"] == ["tick", "cross", "half", "circle", "star"]
    assert config["analytics.refresh_schedule"] == {"cron": "0 2 * * *", "timezone": "Asia/Kolkata"}
    assert config["exam.negative_marking"] is False


async def test_settings_agree_with_what_the_schema_and_syllabus_enforce(
    db_session: AsyncSession,
) -> None:
    config = await _config(db_session)
    # The database's CHECKs are the ceiling the settings may tighten, never exceed.
    assert config["upload.max_file_size_bytes"] <= MAX_UPLOAD_BYTES
    assert set(config["upload.allowed_mime_types"]) <= set(ALLOWED_MIME_TYPES)
    assert 1 <= config["upload.max_pages_per_exam"] <= MAX_PAGES
    assert tuple(config["evaluation.stamps"]) == EVALUATION_STAMPS
    for class_level, key in (
        ("X", "curriculum.units_class_x"),
        ("XII", "curriculum.units_class_xii"),
    ):
        units = [{"name": unit.name, "marks": unit.marks} for unit in SYLLABUS[class_level]]
        assert config[key] == units
        assert sum(unit["marks"] for unit in config[key]) == 80
    assert set(config["sla.working_days"]) <= set(range(1, 8))


def _counts(connection: Connection) -> dict[str, int]:
    connection.execute(text("SET search_path TO mathvidya"))
    counts = {name: rows for name, rows in connection.execute(text(VERIFICATION_QUERY))}
    connection.execute(text("RESET search_path"))
    return counts


@pytest.mark.slow
def test_verification_query_then_downgrade_removes_exactly_the_seeded_rows(
    scratch_database: URL,
) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "head")
        # Seed 003's "Verify Database" step, word for word.
        assert _counts(looking) == {
            "users": 0,
            "subscription_plans": 4,
            "holidays": 26,
            "system_config": 24,
        }
        # Rows the admins added later are theirs: the downgrade must leave them.
        looking.execute(
            text(
                "INSERT INTO mathvidya.holidays (holiday_date, name, is_national)"
                " VALUES ('2026-11-16', 'Founders Day', false);"
                "INSERT INTO mathvidya.system_config (config_key, config_value, description)"
                " VALUES ('support.email', '\"help@example.com\"', 'Where families write.')"
            )
        )
        looking.commit()
        command.downgrade(config, "0006")
        assert _counts(looking) == {
            "users": 0,
            "subscription_plans": 0,
            "holidays": 1,
            "system_config": 1,
        }
        command.upgrade(config, "head")
        assert _counts(looking) == {
            "users": 0,
            "subscription_plans": 4,
            "holidays": 27,
            "system_config": 25,
        }


@pytest.mark.slow
def test_downgrade_refuses_to_remove_a_plan_someone_subscribed_to(scratch_database: URL) -> None:
    with services.migration_connections(scratch_database) as (config, _, looking):
        command.upgrade(config, "head")
        looking.execute(
            text(
                "INSERT INTO mathvidya.users (email, password_hash, role, first_name, last_name,"
                " student_class) VALUES ('asha@example.com', '$argon2id$v=19$m=19456,t=2,p=1$x',"
                " 'student', 'Asha', 'Rao', 'X');"
                "INSERT INTO mathvidya.subscriptions (user_id, plan_id, status, starts_at,"
                " ends_at, exams_per_month, sla_hours, leaderboard_access)"
                " SELECT u.id, p.id, 'active', '2026-01-01', '2027-01-01', 5, 48, false"
                " FROM mathvidya.users u, mathvidya.subscription_plans p"
                " WHERE p.plan_type = 'basic'"
            )
        )
        looking.commit()
        with pytest.raises(IntegrityError, match="fk_subscriptions_plan_id_subscription_plans"):
            command.downgrade(config, "0006")
        looking.rollback()
        # Each migration runs in its own transaction: 0014's downgrade (its six settings) went
        # through, and 0007's failed as a whole, so nothing of the seed's data was half-removed.
        assert _counts(looking)["system_config"] == 18
        assert _counts(looking)["holidays"] == 26
