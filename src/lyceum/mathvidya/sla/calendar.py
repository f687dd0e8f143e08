"""The SLA clock: working hours (09:00-18:00 in Asia/Kolkata, Monday to Saturday, holidays
off), as migration 0007's `sla.*` settings and the `holidays` table describe it.

Working time is the union of the half-open intervals [opening, closing) of the working days.
A deadline `add_working_hours(t, h)` is the *earliest* instant by which `h` hours of working
time have passed since `t`; so it lies in (opening, closing] of some working day and may be
exactly a closing instant: 48 hours that use up Friday's last minute end at Friday 18:00, not
at the next opening (work ends when the office closes). `is_working_time` of that 18:00 is
False all the same, because no work is done at or after closing.

Speed. The day-by-day loop (walk each day, subtract its hours) costs a Python iteration per
calendar day crossed. Instead each calendar keeps a table, built lazily per range of years
and extended when a query leaves it, of its working days only: each day's opening and closing
as UTC epoch microseconds, and the working microseconds of all earlier working days (its
"clock" reading at opening). The working clock of an instant is one `bisect` on the openings;
the instant at which the clock reads a value is one `bisect` on the closings' readings. Adding
hours is therefore two binary searches and integer arithmetic, exact to the microsecond (the
resolution of `datetime`), whatever the span.

Time zones. Each day's opening and closing are computed through the zone itself
(`datetime.combine(day, opens, zone)`), so a zone's offset may differ from day to day; IST
has had no daylight saving since 1945 and a fixed +05:30 offset, but nothing here assumes it.
On a day when the wall clock skips or repeats an hour the opening hour is resolved as PEP 495
resolves it (fold=0); a day whose closing would not come after its opening adds no time.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
MICROSECONDS_PER_HOUR = 3_600_000_000
# The seeded settings (migration 0007): 09:00-18:00 IST, ISO weekdays 1-6 (Monday-Saturday).
DEFAULT_OPENS = time(9)
DEFAULT_CLOSES = time(18)
DEFAULT_WORKING_WEEKDAYS = frozenset(range(1, 7))
DEFAULT_TIMEZONE = "Asia/Kolkata"
# A table grows this many years beyond a query that leaves it, so a run of queries rebuilds it
# rarely; a calendar that never finds working time within this many years is an error.
_GROWTH_YEARS = 2
_MAX_SPAN_YEARS = 400


def _aware(at: datetime, name: str = "at") -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must carry its time zone (a naive datetime is ambiguous)")
    return at


def to_microseconds(at: datetime) -> int:
    """An aware instant as microseconds since the Unix epoch (exact)."""
    return (_aware(at) - EPOCH) // ONE_MICROSECOND


def from_microseconds(microseconds: int) -> datetime:
    """Microseconds since the Unix epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=microseconds)


def hours_to_microseconds(hours: float) -> int:
    """Hours as whole microseconds, rounded as `timedelta(hours=...)` rounds them (so a
    deadline equals the one the day-by-day loop with timedelta arithmetic gives)."""
    if isinstance(hours, int):
        return hours * MICROSECONDS_PER_HOUR
    return timedelta(hours=hours) // ONE_MICROSECOND


@dataclass(frozen=True, slots=True)
class _Table:
    """Working days of the years [first_year, last_year], in order.

    `clock_at_open[k]` is the working clock (microseconds) at day k's opening; clock readings
    are relative to an origin fixed when the calendar's first table was built, and a table
    grown later (in either direction) keeps that origin, so readings never change meaning.
    """

    first_year: int
    last_year: int
    covers_from: int  # UTC microseconds of local midnight, 1 January of first_year
    covers_until: int  # UTC microseconds of local midnight, 1 January of last_year + 1
    opens: list[int]
    closes: list[int]
    clock_at_open: list[int]
    clock_at_close: list[int]
    opens_array: npt.NDArray[np.int64]
    closes_array: npt.NDArray[np.int64]
    clock_at_open_array: npt.NDArray[np.int64]
    clock_at_close_array: npt.NDArray[np.int64]


class _TableHolder:
    """The calendar's mutable cache (the calendar itself is frozen and hashable)."""

    __slots__ = ("lock", "table")

    def __init__(self) -> None:
        self.table: _Table | None = None
        self.lock = threading.Lock()


@dataclass(frozen=True)
class WorkingCalendar:
    """When the SLA clock runs: `opens`-`closes` local time on `working_weekdays` (ISO,
    1 = Monday) in `timezone`, except on `holidays`. All results are aware UTC datetimes."""

    opens: time
    closes: time
    working_weekdays: frozenset[int]
    holidays: frozenset[date]
    timezone: ZoneInfo
    _holder: _TableHolder = field(
        default_factory=_TableHolder, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not self.working_weekdays or not self.working_weekdays <= set(range(1, 8)):
            raise ValueError("working_weekdays must be a non-empty set of ISO weekdays 1-7")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local wall-clock times without a zone")
        if self.opens >= self.closes:
            raise ValueError("the working day must close after it opens")

    # ---- the public questions --------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_weekdays and day not in self.holidays

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest instant by which `hours` (> 0) working hours have passed since
        `start` (aware); in UTC. It may be a closing instant (see the module's docstring)."""
        # The hot path (one deadline per submission, and the forecasts): the table lookups
        # are inlined; `clock` and `_instant_at` are the same steps spelled out.
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must carry its time zone (a naive datetime is ambiguous)")
        if not hours > 0 or math.isinf(hours):
            raise ValueError(f"hours must be a positive finite number, got {hours}")
        moment = (start - EPOCH) // ONE_MICROSECOND
        table = self._holder.table
        if table is None or not table.covers_from <= moment < table.covers_until:
            table = self._covering(moment, moment)
        opens = table.opens
        k = bisect_right(opens, moment) - 1
        if k < 0:
            reading = table.clock_at_open[0]
        else:
            reading = table.clock_at_open[k] + min(moment - opens[k], table.closes[k] - opens[k])
        reading += (
            hours * MICROSECONDS_PER_HOUR
            if type(hours) is int
            else (timedelta(hours=hours) // ONE_MICROSECOND)
        )
        if reading > table.clock_at_close[-1]:
            return from_microseconds(self._instant_at(reading))
        k = bisect_left(table.clock_at_close, reading)
        return EPOCH + timedelta(microseconds=opens[k] + (reading - table.clock_at_open[k]))

    def add_working_hours_many(self, starts: Sequence[datetime], hours: float) -> list[datetime]:
        """`add_working_hours(s, hours)` for each start, with the searches done by NumPy."""
        if not hours > 0 or math.isinf(hours):
            raise ValueError(f"hours must be a positive finite number, got {hours}")
        if not starts:
            return []
        at = np.fromiter((to_microseconds(s) for s in starts), dtype=np.int64, count=len(starts))
        result = self.add_working_microseconds_array(at, hours_to_microseconds(hours))
        return [EPOCH + timedelta(microseconds=int(v)) for v in result]

    def add_working_microseconds_array(
        self, starts: npt.NDArray[np.int64], microseconds: int
    ) -> npt.NDArray[np.int64]:
        """The vectorised core: epoch-microsecond starts in, epoch-microsecond deadlines out."""
        if microseconds <= 0:
            raise ValueError("the working time to add must be positive")
        table = self._covering(int(starts.min()), int(starts.max()))
        targets = self._clock_array(table, starts) + microseconds
        table = self._grow_up_to_reading(table, int(targets.max()))
        k = np.searchsorted(table.clock_at_close_array, targets, side="left")
        result: npt.NDArray[np.int64] = table.opens_array[k] + (
            targets - table.clock_at_open_array[k]
        )
        return result

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours in [start, end); 0.0 when end <= start."""
        _aware(start, "start")
        _aware(end, "end")
        if end <= start:
            return 0.0
        return (self.clock(end) - self.clock(start)) / MICROSECONDS_PER_HOUR

    def is_working_time(self, at: datetime) -> bool:
        """Whether `at` is in [opening, closing) of a working day."""
        moment = to_microseconds(at)
        table = self._covering(moment, moment)
        k = bisect_right(table.opens, moment) - 1
        return k >= 0 and moment < table.closes[k]

    def next_working_moment(self, at: datetime) -> datetime:
        """`at` itself (in UTC) if it is working time, else the next opening."""
        moment = to_microseconds(at)
        table = self._covering(moment, moment)
        k = bisect_right(table.opens, moment) - 1
        if k >= 0 and moment < table.closes[k]:
            return at.astimezone(UTC)
        while k + 1 >= len(table.opens):
            table = self._extend(last_year=table.last_year + _GROWTH_YEARS)
        return from_microseconds(table.opens[k + 1])

    # ---- the working clock -----------------------------------------------------------

    def clock(self, at: datetime) -> int:
        """The working clock at `at`: working microseconds since a fixed origin of this
        calendar. Differences of readings are working time; readings of two calendars are not
        comparable."""
        moment = to_microseconds(at)
        return self._clock_of(self._covering(moment, moment), moment)

    def instant_at_clock(self, reading: int) -> datetime:
        """The earliest instant at which the working clock reads `reading` (UTC); for a
        reading that is a day's closing reading, that day's closing instant."""
        return from_microseconds(self._instant_at(reading))

    @staticmethod
    def _clock_of(table: _Table, moment: int) -> int:
        k = bisect_right(table.opens, moment) - 1
        if k < 0:
            # Before the table's first opening (the table covers `moment`, so no working time
            # lies between them).
            return table.clock_at_open[0]
        return table.clock_at_open[k] + min(
            moment - table.opens[k], table.closes[k] - table.opens[k]
        )

    @staticmethod
    def _clock_array(table: _Table, moments: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        k = np.searchsorted(table.opens_array, moments, side="right") - 1
        first = k < 0
        k[first] = 0
        worked = np.minimum(
            moments - table.opens_array[k], table.closes_array[k] - table.opens_array[k]
        )
        readings: npt.NDArray[np.int64] = table.clock_at_open_array[k] + worked
        readings[first] = table.clock_at_open[0]
        return readings

    def _instant_at(self, reading: int) -> int:
        table = self._holder.table
        if table is None:
            now = to_microseconds(datetime.now(UTC))
            table = self._covering(now, now)
        if reading > table.clock_at_close[-1]:
            table = self._grow_up_to_reading(table, reading)
        while reading <= table.clock_at_open[0]:
            # The earliest instant with this reading may be a closing before the table.
            table = self._extend(first_year=table.first_year - _GROWTH_YEARS)
        k = bisect_left(table.clock_at_close, reading)
        return table.opens[k] + (reading - table.clock_at_open[k])

    # ---- the table -------------------------------------------------------------------

    def _year_start(self, year: int) -> int:
        return to_microseconds(datetime.combine(date(year, 1, 1), time(0), self.timezone))

    def _covering(self, low: int, high: int) -> _Table:
        """A table whose years cover the instants `low` <= `high` (epoch microseconds)."""
        table = self._holder.table
        if table is not None and table.covers_from <= low and high < table.covers_until:
            return table
        with self._holder.lock:
            table = self._holder.table
            if table is None:
                year = from_microseconds(low).astimezone(self.timezone).year
                table = self._build(year - 1, year + _GROWTH_YEARS, None)
            while low < table.covers_from:
                table = self._build(table.first_year - _GROWTH_YEARS, table.last_year, table)
            while high >= table.covers_until:
                table = self._build(table.first_year, table.last_year + _GROWTH_YEARS, table)
            self._holder.table = table
            return table

    def _grow_up_to_reading(self, table: _Table, reading: int) -> _Table:
        """A table whose last closing reads at least `reading`: grown by the years the
        table's own rate of working time says are missing, plus a margin."""
        while reading > table.clock_at_close[-1]:
            years = table.last_year - table.first_year + 1
            per_year = (table.clock_at_close[-1] - table.clock_at_open[0]) / years
            missing = math.ceil((reading - table.clock_at_close[-1]) / max(per_year, 1.0))
            table = self._extend(last_year=table.last_year + missing + _GROWTH_YEARS)
        return table

    def _extend(self, *, first_year: int | None = None, last_year: int | None = None) -> _Table:
        with self._holder.lock:
            current = self._holder.table
            assert current is not None
            first = min(current.first_year, first_year or current.first_year)
            last = max(current.last_year, last_year or current.last_year)
            if last - first > _MAX_SPAN_YEARS:
                raise ValueError(
                    f"working time beyond {_MAX_SPAN_YEARS} years of calendar was asked for"
                )
            if (first, last) != (current.first_year, current.last_year):
                current = self._build(first, last, current)
                self._holder.table = current
            return current

    def _build(self, first_year: int, last_year: int, previous: _Table | None) -> _Table:
        opens: list[int] = []
        closes: list[int] = []
        day = date(first_year, 1, 1)
        end = date(last_year + 1, 1, 1)
        one_day = timedelta(days=1)
        while day < end:
            if self.is_working_day(day):
                opening = to_microseconds(datetime.combine(day, self.opens, self.timezone))
                closing = to_microseconds(datetime.combine(day, self.closes, self.timezone))
                if closing > opening:
                    opens.append(opening)
                    closes.append(closing)
            day += one_day
        clock_at_open: list[int] = []
        clock_at_close: list[int] = []
        reading = 0
        for opening, closing in zip(opens, closes, strict=True):
            clock_at_open.append(reading)
            reading += closing - opening
            clock_at_close.append(reading)
        if previous is not None and previous.opens:
            # Keep the origin: shift so the previous table's first working day reads the same.
            if not opens:
                raise ValueError("the calendar has no working time within a plausible range")
            k = bisect_left(opens, previous.opens[0])
            shift = previous.clock_at_open[0] - clock_at_open[k]
            clock_at_open = [r + shift for r in clock_at_open]
            clock_at_close = [r + shift for r in clock_at_close]
        if not opens:
            if last_year - first_year > _MAX_SPAN_YEARS:
                raise ValueError("the calendar has no working time within a plausible range")
            return self._build(first_year, last_year + _GROWTH_YEARS, previous)
        return _Table(
            first_year=first_year,
            last_year=last_year,
            covers_from=self._year_start(first_year),
            covers_until=self._year_start(last_year + 1),
            opens=opens,
            closes=closes,
            clock_at_open=clock_at_open,
            clock_at_close=clock_at_close,
            opens_array=np.array(opens, dtype=np.int64),
            closes_array=np.array(closes, dtype=np.int64),
            clock_at_open_array=np.array(clock_at_open, dtype=np.int64),
            clock_at_close_array=np.array(clock_at_close, dtype=np.int64),
        )


def default_calendar(holidays: Iterable[date] = ()) -> WorkingCalendar:
    """09:00-18:00 in Asia/Kolkata, Monday to Saturday, with `holidays` off: the seeded
    settings of migration 0007."""
    return WorkingCalendar(
        opens=DEFAULT_OPENS,
        closes=DEFAULT_CLOSES,
        working_weekdays=DEFAULT_WORKING_WEEKDAYS,
        holidays=frozenset(holidays),
        timezone=ZoneInfo(DEFAULT_TIMEZONE),
    )


__all__ = [
    "MICROSECONDS_PER_HOUR",
    "WorkingCalendar",
    "default_calendar",
    "from_microseconds",
    "hours_to_microseconds",
    "to_microseconds",
]
