"""The class leaderboards on a generated history: only students whose plan includes the board,
with enough marked exams; fair competition ranks; first names and initials; a refresh that
rewrites the month whole (twice = once); and who may read a board through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from rich.progress import Progress
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.mathvidya.calendar_ist import ist_month_start
from lyceum.mathvidya.generate import generate
from lyceum.mathvidya.service import leaderboard
from lyceum.mathvidya.tasks import LEADERBOARD_CRON, refresh_leaderboards_now
from tests.mathvidya.calls import as_account
from tests.mathvidya.exam_fixtures import add_student
from tests.mathvidya.rows import add, add_user

# The generated history describes 20 November 2026 (synthetic.AS_OF); 12:00 UTC that day.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)
API = "/api/mathvidya/leaderboard"


async def generated(db: AsyncSession) -> None:
    with Progress(disable=True) as progress:
        await generate(GenerateOptions(seed=11, scale="small", months=12), progress)


async def _rows(db: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await db.execute(text(sql), params)).all())


async def _board(db: AsyncSession) -> list[Any]:
    return await _rows(
        db,
        "SELECT student_class, student_user_id, rank, display_name, score, exams_counted"
        " FROM mathvidya.leaderboard_entries WHERE month = :m"
        " ORDER BY student_class, rank, display_name",
        m=NOVEMBER,
    )


# What the board should hold, computed here independently in SQL: per class, students with a
# leaderboard subscription at NOW and at least `leaderboard.min_exams` exams evaluated in
# November (India time) before NOW, scored by their mean percentage.
EXPECTED = """
SELECT e.student_class, e.student_user_id, u.first_name, u.last_name,
       round(avg(e.percentage), 2) AS score, count(*) AS exams
FROM mathvidya.exam_instances e JOIN mathvidya.users u ON u.id = e.student_user_id
WHERE e.status = 'evaluated'
  AND e.evaluated_at >= TIMESTAMPTZ '2026-11-01 00:00+05:30' AND e.evaluated_at < :now
  AND EXISTS (SELECT 1 FROM mathvidya.subscriptions s WHERE s.user_id = u.id
              AND s.leaderboard_access AND s.status IN ('active', 'expired')
              AND s.starts_at <= :now AND s.ends_at > :now)
GROUP BY 1, 2, 3, 4
HAVING count(*) >= (SELECT (config_value #>> '{}')::int FROM mathvidya.system_config
                    WHERE config_key = 'leaderboard.min_exams')
"""


async def test_refresh_ranks_only_leaderboard_plans_fairly_and_twice_is_once(
    db_session: AsyncSession,
) -> None:
    await generated(db_session)
    # The month has students who would qualify but for their plan: the rule is exercised.
    excluded = await _rows(
        db_session,
        "SELECT e.student_user_id FROM mathvidya.exam_instances e"
        " JOIN mathvidya.subscriptions s ON s.user_id = e.student_user_id AND s.status = 'active'"
        "  AND s.starts_at <= :now AND s.ends_at > :now AND NOT s.leaderboard_access"
        " WHERE e.status = 'evaluated' AND e.evaluated_at >= TIMESTAMPTZ '2026-11-01 00:00+05:30'"
        " GROUP BY 1 HAVING count(*) >= 2",
        now=NOW,
    )
    assert excluded
    summary = await leaderboard.refresh_month(db_session, NOVEMBER, NOW)
    board = await _board(db_session)
    expected = {row.student_user_id: row for row in await _rows(db_session, EXPECTED, now=NOW)}
    top_n = 10
    assert summary.entries == {
        c: sum(1 for r in board if r.student_class == c) for c in ("X", "XII")
    }
    assert board, "the generated month has a board"
    assert not {row.student_user_id for row in board} & {row[0] for row in excluded}
    for row in board:
        wanted = expected[row.student_user_id]
        assert (row.student_class, row.score, row.exams_counted) == (
            wanted.student_class,
            wanted.score,
            wanted.exams,
        )
        # Competition rank: one more than the students of the class scoring strictly more.
        better = sum(
            1
            for other in expected.values()
            if other.student_class == row.student_class and other.score > row.score
        )
        assert row.rank == better + 1
        assert row.display_name == f"{wanted.first_name} {wanted.last_name[0].upper()}."
    for student_class in ("X", "XII"):
        in_class = [w for w in expected.values() if w.student_class == student_class]
        shown = [r for r in board if r.student_class == student_class]
        # Everyone within the top N ranks is shown, nobody below.
        assert len(shown) == sum(
            1 for w in in_class if sum(1 for o in in_class if o.score > w.score) + 1 <= top_n
        )
    # Idempotent: the same rows, not twice as many.
    await leaderboard.refresh_month(db_session, NOVEMBER, NOW + timedelta(minutes=30))
    assert await _board(db_session) == board


async def test_the_job_rewrites_the_current_month(db_session: AsyncSession) -> None:
    assert LEADERBOARD_CRON == "*/30 * * * *"
    await generated(db_session)
    first = await refresh_leaderboards_now(NOW)
    second = await refresh_leaderboards_now(NOW + timedelta(minutes=30))
    assert first == second == len(await _board(db_session)) > 0
    # On the 1st (India time) the month just ended is refreshed once more, too.
    assert await leaderboard.refresh(db_session, datetime(2026, 11, 30, 19, 0, tzinfo=UTC))
    months = [
        s.month
        for s in await leaderboard.refresh(db_session, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    ]
    assert months == ["2026-11", "2026-12"]


# ---- reading it ------------------------------------------------------------------------------


async def _entry(db: AsyncSession, student: uuid.UUID, rank: int, name: str, score: str) -> None:
    await db.execute(
        text(
            "INSERT INTO mathvidya.leaderboard_entries (month, student_class, student_user_id,"
            " rank, display_name, score, exams_counted, refreshed_at)"
            " VALUES (:month, 'X', :student, :rank, :name, :score, 3, now())"
        ),
        {
            "month": ist_month_start(datetime.now(UTC)),
            "student": student,
            "rank": rank,
            "name": name,
            "score": Decimal(score),
        },
    )


async def test_premium_students_and_their_parents_read_the_board_others_do_not(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    premium = await add_student(db_session, "X", plan="premium")
    rival = await add_student(db_session, "X", plan="centum")
    basic = await add_student(db_session, "X", plan="basic")
    await _entry(db_session, rival, 1, "Zara K.", "91.50")
    await _entry(db_session, premium, 2, "Asha R.", "80.25")

    answer = await client.get(API, headers=as_account("student", premium))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["student_class"] == "X"
    assert [(e["rank"], e["display_name"], e["is_you"]) for e in body["entries"]] == [
        (1, "Zara K.", False),
        (2, "Asha R.", True),
    ]
    assert body["you"]["rank"] == 2
    assert "student_user_id" not in body["entries"][0]
    # Only their own class.
    other = await client.get(
        API, params={"student_class": "XII"}, headers=as_account("student", premium)
    )
    assert other.status_code == 403

    refused = await client.get(API, headers=as_account("student", basic))
    assert refused.status_code == 403
    message = refused.json()["error"]["message"]
    assert "Premium" in message and "Centum" in message

    parent = await add_user(db_session, "parent")
    await add(db_session, "parent_student_mappings", parent_user_id=parent, student_user_id=premium)
    as_parent = await client.get(
        API, params={"student_class": "X"}, headers=as_account("parent", parent)
    )
    assert as_parent.status_code == 200, as_parent.text
    assert as_parent.json()["you"]["display_name"] == "Asha R."

    basic_parent = await add_user(db_session, "parent")
    await add(
        db_session, "parent_student_mappings", parent_user_id=basic_parent, student_user_id=basic
    )
    assert (await client.get(API, headers=as_account("parent", basic_parent))).status_code == 403

    admin = await add_user(db_session, "admin")
    as_admin = await client.get(
        API, params={"student_class": "X"}, headers=as_account("admin", admin)
    )
    assert as_admin.status_code == 200 and as_admin.json()["you"] is None
    bad = await client.get(API, params={"month": "2026-13"}, headers=as_account("admin", admin))
    assert bad.status_code == 422
