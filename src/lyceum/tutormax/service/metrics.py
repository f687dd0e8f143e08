"""The evaluation engine's use cases: compute one calculation day, or backfill a range of days,
for every tutor and window. They flush through the repository and never commit; the edge (the
CLI command, later the daily job) commits once.

A range is computed in statements of at most `CHUNK_DAYS` days each, so a year is one statement
and the number of statements depends on the length of the range, never on the number of tutors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import InvalidInput
from lyceum.core.paths import anchored
from lyceum.core.settings import get_settings
from lyceum.tutormax.repository import metrics as repository
from lyceum.tutormax.scorecard import WINDOW_DAYS, Scorecard, load_scorecard

# Calculation days per statement. A year is one statement (its 90-day lead-in is read once);
# longer backfills are split so one statement's sorts stay a few hundred megabytes at most.
CHUNK_DAYS = 366


@dataclass(frozen=True, slots=True)
class MetricsRun:
    """What a run did: its calculation days, the (tutor, day) pairs it covered, the rows that
    make (three windows each) and how many of them it inserted or changed."""

    first_day: date
    last_day: date
    tutor_days: int
    rows: int
    written: int
    statements: int

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@cache
def _scorecard_from(path: Path | None) -> Scorecard:
    return load_scorecard(path)


def active_scorecard() -> Scorecard:
    """The scorecard in TUTORMAX_SCORECARD_FILE when it is set, else the packaged one
    (read once per process and file)."""
    configured = get_settings().tutormax_scorecard_file
    return _scorecard_from(None if configured is None else anchored(configured))


def _check_day(day: date, name: str) -> None:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidInput(f"{name} must be a calendar date (YYYY-MM-DD), got {day!r}")


async def default_day(db: AsyncSession, *, today: date | None = None) -> date:
    """The calculation day a run without a date computes: today (UTC), whose rows cover every
    whole day up to yesterday, unless the recorded history stops earlier; then the day after
    its last completed session, so a loaded history that ended in the past (the synthetic one
    ends on 2 November 2026) is evaluated as of its end rather than as of empty weeks."""
    current = today or datetime.now(UTC).date()
    last = await repository.last_completed_session_start(db)
    if last is None:
        return current
    return min(current, last.astimezone(UTC).date() + timedelta(days=1))


async def backfill(
    db: AsyncSession, start: date, end: date, *, scorecard: Scorecard | None = None
) -> MetricsRun:
    """Compute and upsert every tutor's 7-, 30- and 90-day rows for each calculation day from
    `start` to `end` (both included). Rerunning a range changes nothing that did not change."""
    _check_day(start, "start")
    _check_day(end, "end")
    if end < start:
        raise InvalidInput(f"the range ends ({end}) before it starts ({start})")
    card = scorecard or active_scorecard()
    written = 0
    statements = 0
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(end, chunk_start + timedelta(days=CHUNK_DAYS - 1))
        written += await repository.upsert_metrics(db, chunk_start, chunk_end, card)
        statements += 2  # the settings, the upsert
        chunk_start = chunk_end + timedelta(days=1)
    tutor_days = await repository.count_tutor_days(db, start, end)
    statements += 1
    return MetricsRun(
        first_day=start,
        last_day=end,
        tutor_days=tutor_days,
        rows=tutor_days * len(WINDOW_DAYS),
        written=written,
        statements=statements,
    )


async def compute_day(
    db: AsyncSession, day: date, *, scorecard: Scorecard | None = None
) -> MetricsRun:
    """Every tutor's rows for one calculation day (the windows end at `day` 00:00 UTC)."""
    return await backfill(db, day, day, scorecard=scorecard)


__all__ = [
    "CHUNK_DAYS",
    "MetricsRun",
    "active_scorecard",
    "backfill",
    "compute_day",
    "default_day",
]
