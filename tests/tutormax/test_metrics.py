"""The evaluation engine against the real database: the SQL's figures against the written-out
definitions (`metrics_reference`) and the scorecard's Python reference on the same rows; window
and eligibility boundaries to the microsecond; point in time (data after the day changes
nothing); idempotence; and a statement count that does not grow with the number of tutors."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.progress import Progress
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lyceum.core.appspec import GenerateOptions
from lyceum.core.errors import ConfigurationError, InvalidInput
from lyceum.core.settings import reset_settings_cache
from lyceum.tutormax.enums import MetricWindow
from lyceum.tutormax.generate import generate
from lyceum.tutormax.repository.metrics import METRIC_COLUMNS
from lyceum.tutormax.scorecard import DEFAULT_SCORECARD_FILE, evaluate, load_scorecard
from lyceum.tutormax.service import metrics as service
from lyceum.tutormax.synthetic import HISTORY_END
from tests.tutormax.metrics_reference import (
    midnight,
    reference_metrics,
    stored_metrics,
    tutor_rows,
)
from tests.tutormax.rows import Parties, base_row, insert_row

SMALL = GenerateOptions(seed=7, scale="small", months=4)
DAY = date(2025, 3, 10)
D = midnight(DAY)
MICRO = timedelta(microseconds=1)
SCORECARD = load_scorecard()
JUDGE_DAYS = SCORECARD.first_session.judge_after_days


@pytest.fixture
async def small_history(db_session: AsyncSession) -> None:
    """Four months of small-scale synthetic history (rolled back with the test)."""
    with Progress(disable=True) as progress:
        await generate(SMALL, progress)


async def stored(db: AsyncSession, day: date) -> dict[tuple[str, str], Any]:
    """(tutor, window) -> the stored row, for one calculation day."""
    result = await db.execute(
        text(
            "SELECT * FROM tutormax.tutor_performance_metrics"
            " WHERE calculation_date = :day ORDER BY tutor_id, metric_window"
        ),
        {"day": midnight(day)},
    )
    return {(row.tutor_id, row.metric_window): row for row in result.all()}


def figures(row: Any) -> tuple[Any, ...]:
    return tuple(getattr(row, column) for column in METRIC_COLUMNS)


def assert_close(got: float | None, want: float | None, what: str) -> None:
    if want is None:
        assert got is None, what
    else:
        assert got is not None, what
        # Engagement is summed in millionths and responses in seconds (exact integer sums).
        assert got == pytest.approx(want, abs=1e-6, rel=1e-9), what


@contextlib.contextmanager
def counting_statements(connection: AsyncConnection) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    target = connection.sync_connection
    assert target is not None
    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)


# ---- against the definitions, on generated history -----------------------------------------


@pytest.mark.usefixtures("small_history")
async def test_sql_matches_the_definitions_and_the_scorecard_reference(
    db_session: AsyncSession,
) -> None:
    day = HISTORY_END - timedelta(days=3)
    run = await service.compute_day(db_session, day)
    rows = await stored(db_session, day)
    assert run.rows == len(rows) == 3 * run.tutor_days and run.written == len(rows)
    assert any(row.performance_tier is not None for row in rows.values())

    tutors = sorted({tutor for tutor, _ in rows})
    sample = random.Random(14).sample(tutors, 10)
    for tutor in sample:
        raw = await tutor_rows(db_session, tutor)
        for window in MetricWindow:
            row = rows[(tutor, window.value)]
            want = reference_metrics(raw, day, window, JUDGE_DAYS)
            what = f"{tutor} {window}"
            assert row.sessions_completed == want.sessions_completed, what
            assert row.no_show_count == want.no_show_count, what
            for name in (
                "avg_rating",
                "first_session_success_rate",
                "reschedule_rate",
                "engagement_score",
                "response_time_avg_minutes",
            ):
                assert_close(getattr(row, name), getattr(want, name), f"{what} {name}")
            # The scorecard's Python reference on the stored row gives the stored verdict.
            verdict = evaluate(stored_metrics(row), SCORECARD)
            assert_close(row.overall_score, verdict.overall_score, f"{what} score")
            assert row.performance_tier == verdict.performance_tier, what
            assert row.improvement_areas == list(verdict.improvement_areas), what


@pytest.mark.usefixtures("small_history")
async def test_a_backfill_gives_each_day_what_computing_that_day_alone_gives(
    db_session: AsyncSession,
) -> None:
    # Also the two shapes of the statement agree: a range lays the days on a grid of running
    # totals, a single day sums the windows straight from the sources.
    first, last = HISTORY_END - timedelta(days=20), HISTORY_END - timedelta(days=1)
    run = await service.backfill(db_session, first, last)
    assert run.days == 20 and run.written == run.rows
    per_day = {day: await stored(db_session, day) for day in (first, last - timedelta(days=7))}
    await db_session.execute(text("DELETE FROM tutormax.tutor_performance_metrics"))
    for day, backfilled in per_day.items():
        await service.compute_day(db_session, day)
        alone = await stored(db_session, day)
        assert alone.keys() == backfilled.keys()
        for key, row in alone.items():
            assert figures(row) == figures(backfilled[key]), (day, key)


@pytest.mark.usefixtures("small_history")
async def test_rerunning_changes_nothing(db_session: AsyncSession) -> None:
    first, last = HISTORY_END - timedelta(days=10), HISTORY_END
    run = await service.backfill(db_session, first, last)
    before = (
        await db_session.execute(
            text("SELECT * FROM tutormax.tutor_performance_metrics ORDER BY metric_id")
        )
    ).all()
    again = await service.backfill(db_session, first, last)
    assert run.rows == again.rows and again.written == 0
    after = (
        await db_session.execute(
            text("SELECT * FROM tutormax.tutor_performance_metrics ORDER BY metric_id")
        )
    ).all()
    # Identical to the last column: ids, figures and created_at (nothing was rewritten).
    assert after == before
    count = await db_session.execute(
        text(
            "SELECT count(*), count(DISTINCT (tutor_id, calculation_date, metric_window))"
            " FROM tutormax.tutor_performance_metrics"
        )
    )
    assert tuple(count.one()) == (run.rows, run.rows)


@pytest.mark.usefixtures("small_history")
async def test_what_happens_after_the_day_changes_nothing(db_session: AsyncSession) -> None:
    day = HISTORY_END - timedelta(days=30)
    await service.compute_day(db_session, day)
    before = {key: figures(row) for key, row in (await stored(db_session, day)).items()}
    cutoff = midnight(day)

    # Everything recorded from the day's midnight on disappears: later sessions, ratings and
    # events, and bookings made later (including rebookings of earlier first sessions)...
    for statement in (
        "DELETE FROM tutormax.student_feedback WHERE submitted_at >= :cutoff",
        "DELETE FROM tutormax.tutor_events WHERE event_timestamp >= :cutoff",
        "DELETE FROM tutormax.sessions WHERE scheduled_start >= :cutoff OR created_at >= :cutoff",
    ):
        deleted = await db_session.execute(text(statement), {"cutoff": cutoff})
        assert deleted.rowcount > 0  # type: ignore[attr-defined]
    # ...and churn that happened later is forgotten too.
    await db_session.execute(
        text(
            "UPDATE tutormax.tutors SET status = 'active', churned_at = NULL"
            " WHERE churned_at >= :cutoff"
        ),
        {"cutoff": cutoff},
    )
    rerun = await service.compute_day(db_session, day)
    assert rerun.written == 0
    after = {key: figures(row) for key, row in (await stored(db_session, day)).items()}
    assert after == before

    # The same edit one microsecond earlier does change the day (the test can fail).
    tutor = next(iter(before))[0]
    session = (
        await db_session.execute(
            text(
                "SELECT session_id, student_id FROM tutormax.sessions WHERE tutor_id = :t"
                " AND status = 'completed' ORDER BY scheduled_start DESC LIMIT 1"
            ),
            {"t": tutor},
        )
    ).one()
    await db_session.execute(
        text("DELETE FROM tutormax.student_feedback WHERE session_id = :s"),
        {"s": session.session_id},
    )
    await insert_row(
        db_session,
        "student_feedback",
        {
            **base_row("student_feedback", Parties(tutor, session.student_id, session.session_id)),
            "overall_rating": 1,
            "submitted_at": cutoff - MICRO,
        },
    )
    assert (await service.compute_day(db_session, day)).written > 0


# ---- hand-built rows: boundaries ---------------------------------------------------------------


async def add_tutor(db: AsyncSession, **overrides: Any) -> str:
    row = base_row("tutors") | {"onboarding_date": datetime(2024, 1, 1, tzinfo=UTC)} | overrides
    tutor_id: str = await insert_row(db, "tutors", row)
    return tutor_id


async def add_student(db: AsyncSession) -> str:
    student_id: str = await insert_row(db, "students", base_row("students"))
    return student_id


async def add_session(
    db: AsyncSession, tutor: str, student: str, start: datetime, **overrides: Any
) -> str:
    values = base_row("sessions", Parties(tutor, student, "")) | {
        "scheduled_start": start,
        "created_at": start - timedelta(days=1),
    }
    if overrides.get("status", "completed") == "completed":
        values |= {"status": "completed", "actual_start": start, "actual_duration_minutes": 60}
    session_id: str = await insert_row(db, "sessions", values | overrides)
    return session_id


async def add_rating(
    db: AsyncSession, tutor: str, student: str, session: str, rating: int, at: datetime
) -> None:
    values = base_row("student_feedback", Parties(tutor, student, session))
    values |= {"overall_rating": rating, "submitted_at": at}
    await insert_row(db, "student_feedback", values)


async def add_response(db: AsyncSession, tutor: str, at: datetime, metadata: Any) -> None:
    values = base_row("tutor_events", Parties(tutor, "", ""))
    await insert_row(
        db,
        "tutor_events",
        values | {"event_type": "message_response", "event_timestamp": at, "metadata": metadata},
    )


async def test_windows_end_at_midnight_and_count_only_what_was_known(
    db_session: AsyncSession,
) -> None:
    db = db_session
    # Days are UTC days whatever the connection's time zone (UTC+14 here).
    await db.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    tutor = await add_tutor(db)
    student = await add_student(db)
    week, month, quarter = (D - timedelta(days=n) for n in (7, 30, 90))
    s_week = await add_session(db, tutor, student, week, engagement_score=0.5)
    s_before_week = await add_session(db, tutor, student, week - MICRO, engagement_score=1.0)
    s_last = await add_session(db, tutor, student, D - MICRO, engagement_score=0.8)
    await add_session(db, tutor, student, D)  # the day itself: in no window
    await add_session(db, tutor, student, quarter)
    await add_session(db, tutor, student, quarter - MICRO)  # before the longest window
    for by in ("tutor", "student"):
        await add_session(
            db, tutor, student, D - timedelta(days=2), status="no_show", no_show_by=by
        )
        await add_session(
            db, tutor, student, D - timedelta(days=3), status="cancelled",
            was_rescheduled=True, rescheduled_by=by,
        )  # fmt: skip
    # Ratings count on the day they were submitted, whatever the session's day.
    await add_rating(db, tutor, student, s_week, 3, week)
    await add_rating(db, tutor, student, s_last, 5, D - MICRO)
    await add_rating(db, tutor, student, s_before_week, 1, D)  # submitted too late
    # Response times: two in windows, one too late, two unusable.
    await add_response(db, tutor, D - MICRO, {"response_minutes": 10})
    await add_response(db, tutor, month, {"response_minutes": 20.5})
    await add_response(db, tutor, D, {"response_minutes": 1000})
    await add_response(db, tutor, D - timedelta(hours=1), {"response_minutes": "soon"})
    await add_response(db, tutor, D - timedelta(hours=2), {"response_minutes": -5})
    # First sessions, judged JUDGE_DAYS days after their day; rebooked if a later session of
    # the pair was booked before the end of the judgement day.
    judged_yesterday = D - timedelta(days=JUDGE_DAYS + 1) + timedelta(hours=15)
    judged_today = D - timedelta(days=JUDGE_DAYS) + timedelta(hours=15)
    judged_last_week = D - timedelta(days=JUDGE_DAYS + 6) + timedelta(hours=15)
    for start, booked_at in (
        (judged_yesterday, D - MICRO),  # rebooked in time: a success
        (judged_today, D - timedelta(days=5)),  # not judged yet
        (judged_last_week, D - timedelta(days=5)),  # booked exactly at the deadline: too late
    ):
        new_student = await add_student(db)
        await add_session(db, tutor, new_student, start, is_first_session=True)
        await add_session(
            db, tutor, new_student, D + timedelta(days=3), status="scheduled", created_at=booked_at
        )

    run = await service.compute_day(db, DAY)
    assert run.tutor_days == 1 and run.rows == 3
    rows = await stored(db, DAY)
    week_row, month_row, quarter_row = (rows[(tutor, w.value)] for w in MetricWindow)

    # 7 days: s_week, s_last completed; booked also the four no-show/rescheduled ones.
    assert week_row.sessions_completed == 2
    assert week_row.no_show_count == 1
    assert week_row.reschedule_rate == pytest.approx(1 / 6)
    assert week_row.avg_rating == pytest.approx(4.0)
    assert week_row.engagement_score == pytest.approx(0.65)
    assert week_row.response_time_avg_minutes == pytest.approx(10.0)
    assert week_row.first_session_success_rate == pytest.approx(0.5)
    # 30 days adds the session a microsecond before the week and the response on its first
    # instant, and the first sessions of the last month (same two judged).
    assert month_row.sessions_completed == 3 + 3  # and the three first sessions
    assert month_row.engagement_score == pytest.approx((0.5 + 1.0 + 0.8) / 3)
    assert month_row.response_time_avg_minutes == pytest.approx(15.25)
    assert month_row.first_session_success_rate == pytest.approx(0.5)
    # 90 days adds the session on its first instant, not the one a microsecond before.
    assert quarter_row.sessions_completed == month_row.sessions_completed + 1


async def test_rows_for_tutors_onboarded_before_the_day_and_not_churned_before_it(
    db_session: AsyncSession,
) -> None:
    db = db_session
    joined_in_time = await add_tutor(db, onboarding_date=D - MICRO)
    await add_tutor(db, onboarding_date=D)
    await add_tutor(db, status="churned", churned_at=D - MICRO)
    churned_that_day = await add_tutor(db, status="churned", churned_at=D)
    on_a_break = await add_tutor(db, status="inactive")
    run = await service.compute_day(db, DAY)
    rows = await stored(db, DAY)
    assert {tutor for tutor, _ in rows} == {joined_in_time, churned_that_day, on_a_break}
    assert run.tutor_days == 3 and run.rows == 9 and run.written == 9
    # Nothing to judge: unscored, the one improvement area says why.
    row = rows[(joined_in_time, "30day")]
    assert row.sessions_completed == 0 and row.reschedule_rate == 0.0
    assert row.avg_rating is None and row.overall_score is None and row.performance_tier is None
    assert row.improvement_areas == ["min_sessions"]


async def test_the_number_of_statements_does_not_grow_with_tutors_or_days(
    db_session: AsyncSession, db_connection: AsyncConnection
) -> None:
    student = await add_student(db_session)

    async def statements_for(tutors: int, days: int) -> int:
        for _ in range(tutors):
            tutor = await add_tutor(db_session)
            await add_session(db_session, tutor, student, D - timedelta(days=1))
        with counting_statements(db_connection) as statements:
            await service.backfill(db_session, DAY, DAY + timedelta(days=days - 1))
        return len(statements)

    few = await statements_for(2, 1)
    many = await statements_for(40, 1)
    long_range = await statements_for(1, 60)
    assert few == many == long_range == 3  # settings, the upsert, the count


async def test_a_long_range_is_split_into_chunks_with_the_same_result(
    db_session: AsyncSession, db_connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    student = await add_student(db_session)
    for offset in range(3):
        tutor = await add_tutor(db_session)
        for days in range(0, 40, 3):
            start = D - timedelta(days=days + offset, hours=offset)
            await add_session(db_session, tutor, student, start, engagement_score=0.6)
    last = DAY + timedelta(days=6)
    whole = await service.backfill(db_session, DAY, last)
    before = {day: await stored(db_session, day) for day in (DAY, last)}
    await db_session.execute(text("DELETE FROM tutormax.tutor_performance_metrics"))
    monkeypatch.setattr(service, "CHUNK_DAYS", 3)
    with counting_statements(db_connection) as statements:
        chunked = await service.backfill(db_session, DAY, last)
    assert len(statements) == chunked.statements == 2 * 3 + 1  # 3 chunks of <= 3 days
    assert chunked.rows == whole.rows == chunked.written
    for day, rows in before.items():
        after = await stored(db_session, day)
        assert {k: figures(r) for k, r in after.items()} == {k: figures(r) for k, r in rows.items()}


# ---- the default day, arguments, configuration -------------------------------------------------


async def test_the_default_day_is_today_unless_the_history_stops_earlier(
    db_session: AsyncSession,
) -> None:
    today = date(2025, 6, 1)
    assert await service.default_day(db_session, today=today) == today  # no sessions at all
    tutor = await add_tutor(db_session)
    student = await add_student(db_session)
    await add_session(db_session, tutor, student, datetime(2025, 3, 9, 23, 30, tzinfo=UTC))
    await add_session(
        db_session, tutor, student, datetime(2025, 3, 20, tzinfo=UTC), status="scheduled"
    )
    assert await service.default_day(db_session, today=today) == date(2025, 3, 10)
    assert await service.default_day(db_session, today=date(2025, 3, 5)) == date(2025, 3, 5)


async def test_a_range_that_ends_before_it_starts_is_refused(db_session: AsyncSession) -> None:
    with pytest.raises(InvalidInput, match="ends"):
        await service.backfill(db_session, DAY, DAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="calendar date"):
        await service.compute_day(db_session, D)  # type: ignore[arg-type]


async def test_the_scorecard_file_setting_replaces_the_packaged_one(
    db_session: AsyncSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = tmp_path / "strict.toml"
    packaged = DEFAULT_SCORECARD_FILE.read_text()
    strict.write_text(packaged.replace("7day = 2", "7day = 50", 1))
    monkeypatch.setenv("TUTORMAX_SCORECARD_FILE", str(strict))
    reset_settings_cache()
    try:
        assert service.active_scorecard().min_sessions[MetricWindow.SEVEN_DAY] == 50
        tutor = await add_tutor(db_session)
        student = await add_student(db_session)
        for hours in range(1, 6):
            await add_session(db_session, tutor, student, D - timedelta(hours=hours))
        await service.compute_day(db_session, DAY)
        rows = await stored(db_session, DAY)
        assert rows[(tutor, "7day")].improvement_areas == ["min_sessions"]
        assert rows[(tutor, "30day")].overall_score is not None

        misspelt = tmp_path / "misspelt.toml"
        misspelt.write_text(packaged.replace("[criteria.rating]", "[criteria.ratings]"))
        monkeypatch.setenv("TUTORMAX_SCORECARD_FILE", str(misspelt))
        reset_settings_cache()
        with pytest.raises(ConfigurationError, match=r"criteria\.ratings: Extra inputs"):
            service.active_scorecard()
        monkeypatch.setenv("TUTORMAX_SCORECARD_FILE", str(tmp_path / "absent.toml"))
        reset_settings_cache()
        with pytest.raises(ConfigurationError, match="cannot read the scorecard file"):
            service.active_scorecard()
    finally:
        monkeypatch.delenv("TUTORMAX_SCORECARD_FILE")
        reset_settings_cache()
