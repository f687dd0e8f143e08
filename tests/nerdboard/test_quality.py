"""Nerdboard's data-quality checks against real PostgreSQL, and the pure scoring rule.

A small clean marketplace (two subjects, two tutors, three enrollments, two sessions a day,
daily snapshots, weekly health rows) passes every check; each defect test breaks exactly one
thing and expects exactly one check to notice it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.nerdboard.models import CapacitySnapshot, Enrollment, HealthMetric, Session, Tutor
from lyceum.nerdboard.repository.quality import (
    CHECKS_BY_NAME,
    QUALITY_CHECKS,
    latest_overall_score,
    latest_quality_status,
    quality_history,
)
from lyceum.nerdboard.scoring.quality import (
    MAX_SCORE,
    QualityResult,
    QualityStatus,
    Thresholds,
    describe_outcome,
    overall_score,
    score_check,
    severity,
    status_for_score,
)
from lyceum.nerdboard.service.quality import run_quality_checks

CLOCK = datetime(2025, 3, 15, 12, tzinfo=UTC)
STUDENT_A, STUDENT_B, STUDENT_C = (uuid.UUID(int=n) for n in (1, 2, 3))
# Sessions run 1-15 March; the default window [8 Mar 12:00, 15 Mar 12:00) holds 7 days of them.
SESSIONS_IN_WINDOW = 14
SNAPSHOTS_IN_WINDOW = 14  # 9-15 March, two subjects
FULL_DAYS_IN_WINDOW = 6  # 9-14 March


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


async def set_clock(session: AsyncSession, clock: datetime) -> None:
    await session.execute(
        text(
            'INSERT INTO nerdboard.simulation_state (id, "current_date") VALUES (1, :clock) '
            'ON CONFLICT (id) DO UPDATE SET "current_date" = EXCLUDED."current_date"'
        ),
        {"clock": clock},
    )


async def sql(session: AsyncSession, statement: str, **params: object) -> None:
    await session.execute(text(statement), params)


@pytest.fixture
async def marketplace(db_session: AsyncSession) -> AsyncSession:
    """The clean data set, with the clock at CLOCK."""
    await set_clock(db_session, CLOCK)
    math_tutor = Tutor(tutor_id="T-math", subjects=["Math"], weekly_capacity_hours=20)
    physics_tutor = Tutor(tutor_id="T-physics", subjects=["Physics"], weekly_capacity_hours=15)
    db_session.add_all([math_tutor, physics_tutor])
    await db_session.flush()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    db_session.add_all(
        [
            Enrollment(
                student_id=STUDENT_A, subject="Math", start_date=start, engagement_score=0.7
            ),
            Enrollment(
                student_id=STUDENT_B, subject="Physics", start_date=start, engagement_score=0.6
            ),
            # Turns 14 days old inside the window.
            Enrollment(
                student_id=STUDENT_C, subject="Math", start_date=at(1) - timedelta(days=4),
                engagement_score=0.5,
            ),
        ]
    )  # fmt: skip
    for day in range(1, 16):
        db_session.add_all(
            [
                Session(
                    session_id=f"M-{day:02d}", subject="Math", tutor_id=math_tutor.id,
                    student_id=STUDENT_A, scheduled_time=at(day, 9), duration_minutes=60,
                ),
                Session(
                    session_id=f"P-{day:02d}", subject="Physics", tutor_id=physics_tutor.id,
                    student_id=STUDENT_B, scheduled_time=at(day, 10), duration_minutes=120,
                ),
                CapacitySnapshot(
                    subject="Math", date=at(day), total_capacity_hours=8, used_capacity_hours=1,
                    available_tutors_count=1, utilization_rate=1 / 8,
                ),
                CapacitySnapshot(
                    subject="Physics", date=at(day), total_capacity_hours=8,
                    used_capacity_hours=2, available_tutors_count=1, utilization_rate=2 / 8,
                ),
            ]
        )  # fmt: skip
    for day in (1, 8, 15):
        for student in (STUDENT_A, STUDENT_B):
            db_session.add(
                HealthMetric(
                    customer_id=str(student), date=at(day), health_score=80.0,
                    engagement_level=5, support_ticket_count=0, session_completion_rate=1.0,
                )
            )  # fmt: skip
    await db_session.flush()
    return db_session


async def add_session(
    session: AsyncSession,
    session_id: str,
    *,
    subject: str = "Math",
    tutor: str | None = "T-math",
    student: uuid.UUID = STUDENT_A,
    scheduled_time: datetime | None = None,
    minutes: int = 30,
) -> None:
    await sql(
        session,
        "INSERT INTO nerdboard.sessions (session_id, subject, tutor_id, student_id, "
        "scheduled_time, duration_minutes) VALUES (:session_id, :subject, "
        "(SELECT id FROM nerdboard.tutors WHERE tutor_id = :tutor), :student, :time, :minutes)",
        session_id=session_id, subject=subject, tutor=tutor, student=student,
        time=scheduled_time or at(12, 11), minutes=minutes,
    )  # fmt: skip


def by_name(results: list[QualityResult]) -> dict[str, QualityResult]:
    return {result.check_name: result for result in results}


async def log_rows(session: AsyncSession) -> dict[str, tuple[str, float, int, str, datetime]]:
    rows = await session.execute(
        text(
            "SELECT check_name, status, quality_score, affected_records_count, error_details, "
            "checked_at FROM nerdboard.data_quality_log"
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows}


# --- clean data -------------------------------------------------------------------------------


async def test_clean_data_passes_every_check_with_score_5(marketplace: AsyncSession) -> None:
    results = await run_quality_checks(marketplace)
    assert [result.check_name for result in results] == [check.name for check in QUALITY_CHECKS]
    for result in results:
        assert (result.status, result.quality_score, result.affected_count) == (
            QualityStatus.PASSED, MAX_SCORE, 0,
        ), result  # fmt: skip
        assert result.checked_count > 0, f"{result.check_name} looked at nothing"
        assert (result.window_start, result.window_end) == (CLOCK - timedelta(days=7), CLOCK)
    logged = await log_rows(marketplace)
    assert set(logged) == {check.name for check in QUALITY_CHECKS}
    status, score, affected, details, checked_at = logged["sessions_duplicate_booking"]
    assert (status, score, affected, checked_at) == ("passed", 5.0, 0, CLOCK)
    assert details == f"0 of {SESSIONS_IN_WINDOW} sessions in the window duplicate another booking"


async def test_at_least_eight_checks_with_unique_snake_case_names() -> None:
    names = [check.name for check in QUALITY_CHECKS]
    assert len(names) >= 8
    assert len(set(names)) == len(names)
    assert all(name.replace("_", "").isalpha() and name.islower() for name in names)
    assert len({check.category for check in QUALITY_CHECKS}) == 6


# --- one defect, one check --------------------------------------------------------------------

# A step is raw SQL, or the keyword arguments of add_session.
Step = str | dict[str, object]
A = str(STUDENT_A)
DEFECTS: dict[str, list[Step]] = {
    # The foreign key makes an orphan impossible: drop it inside the test's transaction.
    "sessions_tutor_exists": [
        "ALTER TABLE nerdboard.sessions DROP CONSTRAINT fk_sessions_tutor_id_tutors",
        {"session_id": "X-orphan", "tutor": None},
        "UPDATE nerdboard.sessions SET tutor_id = gen_random_uuid() WHERE session_id = 'X-orphan'",
    ],
    "sessions_unassigned": [{"session_id": "X-unassigned", "tutor": None}],
    "sessions_student_enrolled": [{"session_id": "X-not-enrolled", "student": STUDENT_B}],
    "subjects_known": [
        "INSERT INTO nerdboard.enrollments (student_id, subject, start_date, engagement_score) "
        "VALUES ('00000000-0000-0000-0000-000000000003', 'Klingon', '2025-03-10Z', 0.5)"
    ],
    "sessions_duration_plausible": [
        "UPDATE nerdboard.sessions SET duration_minutes = 300 WHERE session_id = 'M-12'",
        "UPDATE nerdboard.capacity_snapshots SET used_capacity_hours = 5, "
        "utilization_rate = 5 / 8.0 WHERE subject = 'Math' AND date = '2025-03-12Z'",
    ],
    "tutors_capacity_plausible": [
        "UPDATE nerdboard.tutors SET weekly_capacity_hours = 61 WHERE tutor_id = 'T-math'"
    ],
    "sessions_not_in_future": [{"session_id": "X-future", "scheduled_time": at(16, 9)}],
    "sessions_fresh": [
        "DELETE FROM nerdboard.sessions WHERE scheduled_time >= '2025-03-14Z'",
        "UPDATE nerdboard.capacity_snapshots SET used_capacity_hours = 0, utilization_rate = 0 "
        "WHERE date >= '2025-03-14Z'",
    ],
    "capacity_snapshots_fresh": [
        "DELETE FROM nerdboard.capacity_snapshots "
        "WHERE subject = 'Physics' AND date = '2025-03-15Z'"
    ],
    "health_metrics_fresh": ["DELETE FROM nerdboard.health_metrics WHERE date >= '2025-03-08Z'"],
    "sessions_duplicate_booking": [
        {"session_id": "M-12-again", "scheduled_time": at(12, 9), "minutes": 60}
    ],
    "capacity_snapshots_duplicate_day": [
        "INSERT INTO nerdboard.capacity_snapshots (subject, date, total_capacity_hours, "
        "used_capacity_hours, available_tutors_count, utilization_rate) "
        "VALUES ('Math', '2025-03-12 06:00Z', 8, 1, 1, 0.125)"
    ],
    "health_metrics_duplicate": [
        "INSERT INTO nerdboard.health_metrics (customer_id, date, health_score, "
        "engagement_level) SELECT min(customer_id), '2025-03-15 06:00Z', 70, 4 "
        "FROM nerdboard.health_metrics"  # min(): student A's id
    ],
    "capacity_snapshots_complete": [
        "DELETE FROM nerdboard.capacity_snapshots WHERE subject = 'Math' AND date = '2025-03-11Z'"
    ],
    "enrollments_engagement_missing": [
        "UPDATE nerdboard.enrollments SET engagement_score = NULL "
        "WHERE start_date = '2025-02-25Z'"  # student C's
    ],
    "capacity_used_matches_sessions": [
        "UPDATE nerdboard.capacity_snapshots SET used_capacity_hours = 4, "
        "utilization_rate = 0.5 WHERE subject = 'Math' AND date = '2025-03-12Z'"
    ],
    "capacity_utilization_consistent": [
        "UPDATE nerdboard.capacity_snapshots SET utilization_rate = 0.9 "
        "WHERE subject = 'Physics' AND date = '2025-03-12Z'"
    ],
    "tutors_idle_with_capacity": [
        "INSERT INTO nerdboard.tutors (tutor_id, subjects, weekly_capacity_hours) "
        "VALUES ('T-idle', ARRAY['Math'], 10)"
    ],
}


async def inject(session: AsyncSession, check_name: str) -> None:
    for step in DEFECTS[check_name]:
        if isinstance(step, str):
            await sql(session, step)
        else:
            await add_session(session, **step)  # type: ignore[arg-type]


S, W, F, D = SESSIONS_IN_WINDOW, QualityStatus.WARNING, QualityStatus.FAILED, FULL_DAYS_IN_WINDOW
EXPECTED: list[tuple[str, int, int, QualityStatus, str]] = [
    # check name, affected, checked, status, a sample the details must name
    ("sessions_tutor_exists", 1, S + 1, F, "X-orphan"),
    ("sessions_unassigned", 1, S + 1, W, "X-unassigned"),
    ("sessions_student_enrolled", 1, S + 1, F, "X-not-enrolled"),
    ("subjects_known", 1, S + 1, F, "Klingon"),
    ("sessions_duration_plausible", 1, S, F, "M-12 (300 min)"),
    ("tutors_capacity_plausible", 1, 2, F, "T-math (61 h/week)"),
    ("sessions_not_in_future", 1, S + 1, F, "X-future at 2025-03-16 09:00"),
    ("sessions_fresh", 1, 1, F, "latest session at 2025-03-13 10:00"),
    ("capacity_snapshots_fresh", 1, 2, W, "Physics (latest 2025-03-14 00:00)"),
    ("health_metrics_fresh", 1, 1, F, "latest health metric at 2025-03-01"),
    ("sessions_duplicate_booking", 1, S + 1, F, "M-12 x2"),
    ("capacity_snapshots_duplicate_day", 1, 15, F, "Math 2025-03-12 x2"),
    ("health_metrics_duplicate", 1, 3, F, f"{A} 2025-03-15 x2"),
    ("capacity_snapshots_complete", 1, 2 * D, F, "Math 2025-03-11"),
    ("enrollments_engagement_missing", 1, 1, F, "older than 14 days have"),
    ("capacity_used_matches_sessions", 1, 14, F, "4 h recorded, 1 h booked"),
    ("capacity_utilization_consistent", 1, 14, F, "rate 0.900, used 2 of 8 h"),
    ("tutors_idle_with_capacity", 1, 3, W, "T-idle"),
]


def test_every_check_has_a_defect_test() -> None:
    assert set(DEFECTS) == {name for name, *_ in EXPECTED} == set(CHECKS_BY_NAME)


@pytest.mark.parametrize(
    ("check_name", "affected", "checked", "status", "sample"),
    EXPECTED,
    ids=[name for name, *_ in EXPECTED],
)
async def test_one_defect_is_flagged_by_exactly_its_check(
    marketplace: AsyncSession,
    check_name: str,
    affected: int,
    checked: int,
    status: QualityStatus,
    sample: str,
) -> None:
    await inject(marketplace, check_name)
    results = by_name(await run_quality_checks(marketplace))
    flagged = {name for name, result in results.items() if result.affected_count}
    assert flagged == {check_name}
    result = results[check_name]
    assert (result.affected_count, result.checked_count, result.status) == (
        affected, checked, status,
    )  # fmt: skip
    expected = score_check(affected, checked, CHECKS_BY_NAME[check_name].thresholds)
    assert result.quality_score == expected.quality_score < MAX_SCORE
    assert sample in result.error_details
    logged_status, score, logged_affected, details, checked_at = (await log_rows(marketplace))[
        check_name
    ]
    assert (logged_status, score, logged_affected, details, checked_at) == (
        status.value, result.quality_score, affected, result.error_details, CLOCK,
    )  # fmt: skip
    assert details.startswith(f"{affected} of {checked} ")
    others = [r for name, r in results.items() if name != check_name]
    assert all(r.status is QualityStatus.PASSED and r.quality_score == MAX_SCORE for r in others)


# --- windows, clock, log ----------------------------------------------------------------------


async def test_window_includes_its_start_and_excludes_its_end(marketplace: AsyncSession) -> None:
    until, window = at(10, 12), timedelta(days=2)
    await add_session(marketplace, "X-at-start", scheduled_time=until - window, minutes=500)
    await add_session(marketplace, "X-at-end", scheduled_time=until, minutes=500)
    just_before = until - window - timedelta(seconds=1)
    await add_session(marketplace, "X-before", scheduled_time=just_before, minutes=500)
    check = CHECKS_BY_NAME["sessions_duration_plausible"]
    [result] = await run_quality_checks(marketplace, until=until, window=window, checks=[check])
    # 8, 9 and 10 March at 09:00 and 10:00 are inside [8 Mar 12:00, 10 Mar 12:00): 4 sessions.
    assert (result.affected_count, result.checked_count) == (1, 4 + 1)
    assert result.samples == ("X-at-start (500 min)",)
    assert (result.window_start, result.window_end) == (until - window, until)


async def test_until_and_checked_at_follow_the_simulation_clock(
    marketplace: AsyncSession,
) -> None:
    later = at(20)
    await set_clock(marketplace, later)
    checks = [CHECKS_BY_NAME["sessions_fresh"], CHECKS_BY_NAME["sessions_not_in_future"]]
    fresh, future = await run_quality_checks(marketplace, checks=checks)
    # Five days after the last session: stale; nothing is after the new clock.
    assert (fresh.affected_count, fresh.status, fresh.window_end) == (
        1,
        QualityStatus.FAILED,
        later,
    )
    assert future.affected_count == 0
    assert (await log_rows(marketplace))["sessions_fresh"][4] == later
    stamp = datetime(2030, 1, 1, tzinfo=UTC)
    [again] = await run_quality_checks(
        marketplace, until=CLOCK, checked_at=stamp, checks=checks[:1]
    )
    assert (again.affected_count, again.window_end, again.checked_at) == (0, CLOCK, stamp)


async def test_naive_datetimes_and_empty_windows_are_refused(marketplace: AsyncSession) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await run_quality_checks(marketplace, until=datetime(2025, 3, 1))
    with pytest.raises(ValueError, match="window must be positive"):
        await run_quality_checks(marketplace, window=timedelta(0))


async def test_latest_status_and_history_return_the_newest_rows(
    marketplace: AsyncSession,
) -> None:
    first, second = at(14), at(15)
    await run_quality_checks(marketplace, checked_at=first)
    await inject(marketplace, "tutors_idle_with_capacity")
    await run_quality_checks(marketplace, checked_at=second)
    latest = await latest_quality_status(marketplace)
    assert [entry.check_name for entry in latest] == sorted(CHECKS_BY_NAME)
    assert {entry.checked_at for entry in latest} == {second}
    idle = next(entry for entry in latest if entry.check_name == "tutors_idle_with_capacity")
    assert (idle.status, idle.affected_records_count) == (QualityStatus.WARNING, 1)
    history = await quality_history(marketplace, check_name="tutors_idle_with_capacity")
    assert [(entry.checked_at, entry.affected_records_count) for entry in history] == [
        (second, 1), (first, 0),
    ]  # fmt: skip
    assert len(await quality_history(marketplace, limit=5)) == 5
    assert len(await quality_history(marketplace)) == 2 * len(QUALITY_CHECKS)
    overall = await latest_overall_score(marketplace)
    assert overall == pytest.approx(
        (MAX_SCORE * (len(QUALITY_CHECKS) - 1) + idle.quality_score) / len(QUALITY_CHECKS)
    )


async def test_an_empty_log_has_no_overall_score(db_session: AsyncSession) -> None:
    assert await latest_quality_status(db_session) == []
    assert await latest_overall_score(db_session) is None


# --- pure scoring -----------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10**9)
thresholds = st.builds(
    lambda zero, a, b, ceiling: Thresholds(zero, max(a, b), min(a, b), ceiling),
    st.floats(min_value=1e-6, max_value=1.0),
    st.floats(min_value=0.0, max_value=MAX_SCORE),
    st.floats(min_value=0.0, max_value=MAX_SCORE),
    st.sampled_from(list(QualityStatus)),
)


@given(affected=counts, extra=counts, checked=counts, policy=thresholds)
def test_more_affected_never_raises_the_score_or_improves_the_status(
    affected: int, extra: int, checked: int, policy: Thresholds
) -> None:
    fewer = score_check(affected, checked, policy)
    more = score_check(affected + extra, checked, policy)
    assert more.quality_score <= fewer.quality_score
    assert severity(more.status) >= severity(fewer.status)


@given(affected=counts, checked=counts, policy=thresholds)
def test_score_is_bounded_and_5_means_clean(
    affected: int, checked: int, policy: Thresholds
) -> None:
    result = score_check(affected, checked, policy)
    assert 0.0 <= result.quality_score <= MAX_SCORE
    assert (result.quality_score == MAX_SCORE) == (affected == 0)
    assert 0.0 <= result.affected_share <= 1.0


@given(affected=counts, checked=counts, policy=thresholds)
def test_status_agrees_with_the_score_thresholds(
    affected: int, checked: int, policy: Thresholds
) -> None:
    result = score_check(affected, checked, policy)
    assert result.status == status_for_score(result.quality_score, policy)
    assert severity(result.status) <= severity(policy.ceiling)
    if result.quality_score >= policy.warn_below:
        assert result.status is QualityStatus.PASSED
    if result.status is QualityStatus.FAILED:
        assert result.quality_score < policy.fail_below
    if affected == 0:
        assert result.status is QualityStatus.PASSED


def test_score_falls_linearly_to_zero_at_zero_share() -> None:
    policy = Thresholds(zero_share=0.1, warn_below=4.0, fail_below=1.0)
    assert score_check(0, 100, policy).quality_score == MAX_SCORE
    assert score_check(2, 100, policy).quality_score == pytest.approx(4.0)
    assert score_check(2, 100, policy).status is QualityStatus.PASSED  # 4.0 is not below 4.0
    assert score_check(5, 100, policy).status is QualityStatus.WARNING
    assert score_check(10, 100, policy).quality_score == 0.0
    assert score_check(10, 100, policy).status is QualityStatus.FAILED
    assert score_check(3, 0, policy).affected_share == 1.0  # affected with nothing checked


def test_thresholds_refuse_inconsistent_settings() -> None:
    with pytest.raises(ValueError, match="zero_share"):
        Thresholds(zero_share=0.0)
    with pytest.raises(ValueError, match="fail_below"):
        Thresholds(zero_share=0.5, warn_below=2.0, fail_below=3.0)
    with pytest.raises(ValueError, match="non-negative"):
        score_check(-1, 5, Thresholds(zero_share=0.5))


def test_overall_score_and_details() -> None:
    assert overall_score([]) is None
    assert overall_score([5.0, 4.0, 0.0]) == 3.0
    details = describe_outcome(
        "{affected} of {checked} late by {lag}", {"lag": timedelta(days=8)}, 2, 9,
        ["a", "b", "c", "d", "e", "f"],
    )  # fmt: skip
    assert details == "2 of 9 late by 8 days; e.g. a, b, c, d, e"
    assert describe_outcome("{affected} ok", {}, 0, 3, []) == "0 ok"
