"""The SLA engine's loaders (`repository/sla.py`) on the migrated database: the seeded
calendar and settings, and a changed setting or holiday honoured at the next load."""

from __future__ import annotations

import json
from datetime import date, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import Holiday, SystemConfig
from lyceum.mathvidya.repository.sla import load_calendar, load_sla_settings
from lyceum.mathvidya.sla import SlaSettings, default_calendar
from tests.mathvidya.test_sla_calendar import SEEDED_HOLIDAYS


async def set_config(db: AsyncSession, key: str, value: object) -> None:
    result = await db.execute(
        text(
            "UPDATE mathvidya.system_config SET config_value = CAST(:value AS jsonb)"
            " WHERE config_key = :key"
        ),
        {"key": key, "value": json.dumps(value)},
    )
    assert result.rowcount == 1, key  # type: ignore[attr-defined]


async def test_the_seeded_calendar(db_session: AsyncSession) -> None:
    calendar = await load_calendar(db_session)
    assert calendar == default_calendar(SEEDED_HOLIDAYS)
    assert len(calendar.holidays) == 25  # 26 rows: two holidays on 2 October 2025


async def test_changed_calendar_settings_are_honoured(db_session: AsyncSession) -> None:
    await set_config(db_session, "sla.working_hours_start", "10:30")
    await set_config(db_session, "sla.working_hours_end", "17:00")
    await set_config(db_session, "sla.working_days", [1, 2, 3, 4, 5])
    await set_config(db_session, "sla.timezone", "Asia/Dubai")
    await db_session.execute(
        insert(Holiday).values(holiday_date=date(2027, 1, 1), name="New Year", is_national=False)
    )
    calendar = await load_calendar(db_session)
    assert calendar.opens == time(10, 30)
    assert calendar.closes == time(17)
    assert calendar.working_weekdays == frozenset({1, 2, 3, 4, 5})
    assert calendar.timezone == ZoneInfo("Asia/Dubai")
    assert calendar.holidays == SEEDED_HOLIDAYS | {date(2027, 1, 1)}


async def test_malformed_or_missing_calendar_settings_fall_back(db_session: AsyncSession) -> None:
    await set_config(db_session, "sla.timezone", "Mars/Olympus_Mons")
    await set_config(db_session, "sla.working_days", [0, 8])
    await set_config(db_session, "sla.working_hours_start", "19:00")  # after closing
    await db_session.execute(
        delete(SystemConfig).where(SystemConfig.config_key == "sla.working_hours_end")
    )
    await db_session.execute(delete(Holiday))
    assert await load_calendar(db_session) == default_calendar()


async def test_the_seeded_settings(db_session: AsyncSession) -> None:
    assert await load_sla_settings(db_session) == SlaSettings(
        warning_hours_before_deadline=6,
        reassign_margin_hours=2,
        claim_hours=8,
        prior_minutes_per_evaluation=40,
        max_active_per_teacher=20,
    )


async def test_changed_settings_are_honoured(db_session: AsyncSession) -> None:
    await set_config(db_session, "sla.reassign_margin_hours", 3.5)
    await set_config(db_session, "evaluation.max_active_per_teacher", 12)
    await set_config(db_session, "evaluation.claim_hours", "eight")  # malformed: the default
    await db_session.execute(
        delete(SystemConfig).where(
            SystemConfig.config_key == "evaluation.prior_minutes_per_evaluation"
        )
    )
    settings = await load_sla_settings(db_session)
    assert settings == SlaSettings(
        warning_hours_before_deadline=6,
        reassign_margin_hours=3.5,
        claim_hours=8,
        prior_minutes_per_evaluation=40,
        max_active_per_teacher=12,
    )
