"""The SLA calendar (`lyceum.mathvidya.sla.calendar`): hand-checked deadlines around Diwali,
Guru Nanak Jayanti and the year end, and properties checked by Hypothesis against a plain
day-by-day reference written here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lyceum.mathvidya.sla import WorkingCalendar, default_calendar
from lyceum.mathvidya.synthetic import workhours

IST = ZoneInfo("Asia/Kolkata")

# Migration 0007's 26 holiday rows (25 dates: Gandhi Jayanti and Dussehra share 2 Oct 2025).
SEEDED_HOLIDAYS = frozenset(
    {
        date(2025, 1, 26), date(2025, 3, 14), date(2025, 3, 31), date(2025, 4, 14),
        date(2025, 4, 18), date(2025, 5, 1), date(2025, 8, 15), date(2025, 8, 16),
        date(2025, 10, 2), date(2025, 10, 20), date(2025, 11, 5), date(2025, 12, 25),
        date(2026, 1, 26), date(2026, 3, 4), date(2026, 3, 21), date(2026, 4, 3),
        date(2026, 4, 14), date(2026, 5, 1), date(2026, 8, 15), date(2026, 9, 4),
        date(2026, 10, 2), date(2026, 10, 20), date(2026, 11, 8), date(2026, 11, 24),
        date(2026, 12, 25),
    }
)  # fmt: skip
CALENDAR = default_calendar(SEEDED_HOLIDAYS)


def ist(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=IST)


def reference_add(calendar: WorkingCalendar, start: datetime, hours: float) -> datetime:
    """The obvious loop: walk the local days, spending each working day's hours."""
    left = timedelta(hours=hours)
    day = start.astimezone(calendar.timezone).date()
    while True:
        if day.isoweekday() in calendar.working_weekdays and day not in calendar.holidays:
            opening = datetime.combine(day, calendar.opens, calendar.timezone)
            closing = datetime.combine(day, calendar.closes, calendar.timezone)
            begin = max(opening, start)
            if begin < closing:
                if left <= closing - begin:
                    return (begin + left).astimezone(UTC)
                left -= closing - begin
        day += timedelta(days=1)


def reference_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    total = timedelta()
    day = start.astimezone(calendar.timezone).date() - timedelta(days=1)
    while datetime.combine(day, time(0), calendar.timezone) < end:
        if day.isoweekday() in calendar.working_weekdays and day not in calendar.holidays:
            opening = datetime.combine(day, calendar.opens, calendar.timezone)
            closing = datetime.combine(day, calendar.closes, calendar.timezone)
            begin, finish = max(opening, start), min(closing, end)
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
    return total


def in_working_day(calendar: WorkingCalendar, at: datetime) -> bool:
    """`at` is in (opening, closing] of a working day: where a deadline may fall."""
    local = at.astimezone(calendar.timezone)
    day = local.date()
    opening = datetime.combine(day, calendar.opens, calendar.timezone)
    closing = datetime.combine(day, calendar.closes, calendar.timezone)
    return calendar.is_working_day(day) and opening < local <= closing


# ---- hand-checked deadlines ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Sat 7 Nov 2026 17:00 + 48 h: Saturday 17-18 (1 h, 47 left); Sunday 8 Nov is Diwali
        # and a Sunday (0); Mon 9 to Fri 13 are 5 x 9 = 45 h (2 left); Sat 14 09:00 + 2 h.
        (ist(2026, 11, 7, 17), 48, ist(2026, 11, 14, 11)),
        # Mon 23 Nov 2026 12:00 + 24 h: Monday 12-18 (6 h, 18 left); Tue 24 is Guru Nanak
        # Jayanti (0); Wed 25 9 h (9 left); Thu 26 uses all 9 h: the deadline is Thursday
        # 18:00 itself (work ends at closing), not Friday 09:00.
        (ist(2026, 11, 23, 12), 24, ist(2026, 11, 26, 18)),
        # Thu 24 Dec 2026 16:00 + 24 h: Thursday 2 h (22 left); Fri 25 Christmas (0); Sat 26
        # 9 h (13 left); Sunday (0); Mon 28 9 h (4 left); Tue 29 09:00 + 4 h.
        (ist(2026, 12, 24, 16), 24, ist(2026, 12, 29, 13)),
        # Thu 31 Dec 2026 17:30 + 1 h: half an hour in 2026, the other on Friday 1 Jan 2027
        # (New Year's Day is not in the holiday table): 09:30.
        (ist(2026, 12, 31, 17, 30), 1, ist(2027, 1, 1, 9, 30)),
        # Wed 30 Dec 2026 10:00 + 48 h: Wednesday 8 h (40 left); Thu 31 9 h (31); Fri 1 Jan
        # 9 h (22); Sat 2 Jan 9 h (13); Sunday (0); Mon 4 Jan 9 h (4); Tue 5 Jan 13:00.
        (ist(2026, 12, 30, 10), 48, ist(2027, 1, 5, 13)),
        # Sat 18 Oct 2025 17:00 + 24 h: Saturday 1 h (23 left); Sunday (0); Mon 20 Oct is
        # Diwali 2025 (0); Tue 21 9 h (14); Wed 22 9 h (5); Thu 23 14:00.
        (ist(2025, 10, 18, 17), 24, ist(2025, 10, 23, 14)),
        # Submitted on Diwali night (Sunday 8 Nov 2026, 20:00 UTC is Monday 01:30 IST): the
        # clock starts Monday 09:00; 9 h end at Monday 18:00.
        (datetime(2026, 11, 8, 20, tzinfo=UTC), 9, ist(2026, 11, 9, 18)),
        # Opening to opening: 9 working hours from 09:00 end at 18:00 the same day.
        (ist(2026, 11, 9, 9), 9, ist(2026, 11, 9, 18)),
        # From closing time: the first working minute is the next morning's.
        (ist(2026, 11, 9, 18), 0.25, ist(2026, 11, 10, 9, 15)),
    ],
)
def test_hand_checked_deadlines(start: datetime, hours: float, expected: datetime) -> None:
    deadline = CALENDAR.add_working_hours(start, hours)
    assert deadline == expected
    assert deadline.tzinfo is UTC
    assert deadline == reference_add(CALENDAR, start, hours)


def test_closing_instant_is_a_deadline_but_not_working_time() -> None:
    closing = ist(2026, 11, 26, 18)
    assert CALENDAR.add_working_hours(ist(2026, 11, 26, 9), 9) == closing
    assert not CALENDAR.is_working_time(closing)
    assert CALENDAR.is_working_time(closing - timedelta(microseconds=1))
    assert CALENDAR.is_working_time(ist(2026, 11, 26, 9))
    assert not CALENDAR.is_working_time(ist(2026, 11, 24, 12))  # Guru Nanak Jayanti
    assert CALENDAR.next_working_moment(closing) == ist(2026, 11, 27, 9)
    noon = ist(2026, 11, 27, 12)
    assert CALENDAR.next_working_moment(noon) == noon
    assert CALENDAR.next_working_moment(noon).tzinfo is UTC
    # Christmas Friday, then Saturday 26 Dec opens.
    assert CALENDAR.next_working_moment(ist(2026, 12, 24, 18, 1)) == ist(2026, 12, 26, 9)


def test_working_hours_between_hand_checked() -> None:
    # Fri 6 Nov 12:00 to Tue 10 Nov 12:00 (2026): Fri 6 + Sat 9 + Sun/Diwali 0 + Mon 9 + Tue 3.
    assert CALENDAR.working_hours_between(ist(2026, 11, 6, 12), ist(2026, 11, 10, 12)) == 27.0
    assert CALENDAR.working_hours_between(ist(2026, 11, 10, 12), ist(2026, 11, 6, 12)) == 0.0
    assert CALENDAR.working_hours_between(ist(2026, 11, 8, 0), ist(2026, 11, 9, 0)) == 0.0


def test_rejects_naive_datetimes_and_non_positive_hours() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CALENDAR.add_working_hours(datetime(2026, 11, 9, 10), 1)
    with pytest.raises(ValueError, match="time zone"):
        CALENDAR.working_hours_between(datetime(2026, 11, 9, 10), ist(2026, 11, 10))
    for hours in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive"):
            CALENDAR.add_working_hours(ist(2026, 11, 9, 10), hours)


def test_invalid_calendars_are_refused() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    with pytest.raises(ValueError, match="weekdays"):
        WorkingCalendar(time(9), time(18), frozenset(), frozenset(), zone)
    with pytest.raises(ValueError, match="weekdays"):
        WorkingCalendar(time(9), time(18), frozenset({0, 1}), frozenset(), zone)
    with pytest.raises(ValueError, match="close after"):
        WorkingCalendar(time(18), time(9), frozenset({1}), frozenset(), zone)


def test_calendars_compare_by_their_settings() -> None:
    assert default_calendar(SEEDED_HOLIDAYS) == CALENDAR
    assert hash(default_calendar(SEEDED_HOLIDAYS)) == hash(CALENDAR)
    assert default_calendar() != CALENDAR


def test_clock_readings_survive_the_table_growing_both_ways() -> None:
    calendar = default_calendar(SEEDED_HOLIDAYS)
    moment = ist(2026, 11, 9, 12)
    reading = calendar.clock(moment)
    # Far outside the first table: it grows back to 1995 and forward to 2070.
    assert calendar.add_working_hours(ist(1995, 3, 6, 9), 9) == ist(1995, 3, 6, 18)
    far = calendar.add_working_hours(ist(2026, 11, 9, 12), 9 * 6 * 52 * 40)
    assert far == reference_add(calendar, ist(2026, 11, 9, 12), 9 * 6 * 52 * 40)
    assert calendar.clock(moment) == reading
    assert calendar.instant_at_clock(reading) == moment


# ---- properties -----------------------------------------------------------------------

STARTS = st.datetimes(
    min_value=datetime(2024, 6, 1),  # hypothesis takes naive bounds and a zone strategy
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([UTC, IST]),
)
# Whole minutes, so a + b as floats is exactly the sum to the microsecond.
HOURS = st.integers(min_value=1, max_value=120 * 60).map(lambda minutes: minutes / 60)


@given(start=STARTS, hours=HOURS)
def test_fast_path_equals_the_reference_loop(start: datetime, hours: float) -> None:
    deadline = CALENDAR.add_working_hours(start, hours)
    assert deadline == reference_add(CALENDAR, start, hours)
    assert deadline == workhours.add_working_hours(start, hours, SEEDED_HOLIDAYS)


@given(start=STARTS, hours=HOURS)
def test_a_deadline_falls_in_working_time(start: datetime, hours: float) -> None:
    deadline = CALENDAR.add_working_hours(start, hours)
    assert deadline > start
    assert in_working_day(CALENDAR, deadline)
    # It is the earliest such instant: a microsecond earlier, the hours are not yet worked.
    short = CALENDAR.working_hours_between(start, deadline - timedelta(microseconds=1))
    assert short < hours


@given(start=STARTS, first=HOURS, second=HOURS)
def test_adding_hours_is_additive(start: datetime, first: float, second: float) -> None:
    stepwise = CALENDAR.add_working_hours(CALENDAR.add_working_hours(start, first), second)
    assert stepwise == CALENDAR.add_working_hours(start, first + second)


@given(start=STARTS, later_by=st.timedeltas(timedelta(0), timedelta(days=20)), hours=HOURS)
def test_monotone_in_the_start(start: datetime, later_by: timedelta, hours: float) -> None:
    later = start + later_by
    assert CALENDAR.add_working_hours(start, hours) <= CALENDAR.add_working_hours(later, hours)


@given(start=STARTS, hours=HOURS, more=HOURS)
def test_monotone_in_the_hours(start: datetime, hours: float, more: float) -> None:
    assert CALENDAR.add_working_hours(start, hours) < CALENDAR.add_working_hours(
        start, hours + more
    )


@given(start=STARTS, hours=HOURS)
def test_working_hours_between_inverts_adding(start: datetime, hours: float) -> None:
    deadline = CALENDAR.add_working_hours(start, hours)
    assert CALENDAR.working_hours_between(start, deadline) == pytest.approx(hours, abs=1e-9)


@given(start=STARTS, span=st.timedeltas(timedelta(0), timedelta(days=12)))
def test_working_hours_between_equals_the_reference(start: datetime, span: timedelta) -> None:
    end = start + span
    expected = reference_between(CALENDAR, start, end) / timedelta(hours=1)
    assert CALENDAR.working_hours_between(start, end) == pytest.approx(expected, abs=1e-9)


@given(day=st.dates(min_value=date(2024, 6, 1), max_value=date(2027, 6, 30)))
def test_holidays_and_sundays_add_no_working_time(day: date) -> None:
    midnight = datetime.combine(day, time(0), IST)
    hours = CALENDAR.working_hours_between(midnight, midnight + timedelta(days=1))
    if day in SEEDED_HOLIDAYS or day.isoweekday() == 7:
        assert hours == 0.0
        assert not CALENDAR.is_working_day(day)
        assert not CALENDAR.is_working_time(datetime.combine(day, time(12), IST))
    else:
        assert hours == 9.0
        assert CALENDAR.is_working_day(day)


@given(at=STARTS)
def test_next_working_moment(at: datetime) -> None:
    moment = CALENDAR.next_working_moment(at)
    assert moment >= at
    assert CALENDAR.is_working_time(moment)
    assert CALENDAR.working_hours_between(at, moment) == 0.0
    assert (moment == at) == CALENDAR.is_working_time(at)


@given(starts=st.lists(STARTS, min_size=1, max_size=30), hours=HOURS)
def test_batch_equals_one_by_one(starts: list[datetime], hours: float) -> None:
    batch = CALENDAR.add_working_hours_many(starts, hours)
    assert batch == [CALENDAR.add_working_hours(s, hours) for s in starts]


# A calendar in a zone with daylight saving, a short week and a half-hour opening: nothing in
# the fast path may assume IST's fixed offset or the seeded hours.
NEW_YORK = WorkingCalendar(
    opens=time(8, 30),
    closes=time(16),
    working_weekdays=frozenset({1, 3, 5}),
    holidays=frozenset({date(2026, 3, 9), date(2026, 11, 2)}),
    timezone=ZoneInfo("America/New_York"),
)


@given(start=STARTS, hours=HOURS)
@settings(max_examples=60)
def test_a_zone_with_daylight_saving(start: datetime, hours: float) -> None:
    deadline = NEW_YORK.add_working_hours(start, hours)
    assert deadline == reference_add(NEW_YORK, start, hours)
    assert in_working_day(NEW_YORK, deadline)
    assert NEW_YORK.working_hours_between(start, deadline) == pytest.approx(hours, abs=1e-9)
