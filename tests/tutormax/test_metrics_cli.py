"""`lyceum tutormax metrics` as a person runs it: a real process on a database of its own,
committing at the edge; and the options it refuses before touching any data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from lyceum.core.errors import InvalidInput
from lyceum.core.settings import sync_url
from lyceum.tutormax.cli.metrics import requested_days
from lyceum.tutormax.synthetic import HISTORY_END
from tests.cli.test_cli import lyceum
from tests.fixtures.services import scratch_database

TODAY = date(2026, 12, 5)


@pytest.fixture
def scratch(database_url: URL) -> Iterator[URL]:
    with scratch_database(database_url, "tmmetrics") as url:
        yield url


def rows_per_day(url: URL) -> dict[date, int]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            result = connection.execute(
                text(
                    "SELECT (calculation_date AT TIME ZONE 'UTC')::date, count(*)"
                    " FROM tutormax.tutor_performance_metrics GROUP BY 1"
                )
            )
            return {day: int(count) for day, count in result.all()}
    finally:
        engine.dispose()


@pytest.mark.slow
def test_the_command_computes_the_default_day_and_backfills_a_range(scratch: URL) -> None:
    env = {"DATABASE_URL": scratch.render_as_string(hide_password=False), "ENV": "development"}
    assert lyceum("db", "upgrade", env=env).returncode == 0
    generated = lyceum(
        "generate", "tutormax", "--scale", "small", "--months", "4", "--seed", "3", env=env
    )
    assert generated.returncode == 0, generated.stderr

    # No date: the synthetic history ended in the past, so its last day is evaluated.
    single = lyceum("tutormax", "metrics", env=env)
    assert single.returncode == 0, single.stderr
    assert f"TutorMax metrics for {HISTORY_END}:" in single.stdout
    assert "Performance tiers" in single.stdout and "30day" in single.stdout
    assert set(rows_per_day(scratch)) == {HISTORY_END}

    first = HISTORY_END - timedelta(days=9)
    backfill = lyceum("tutormax", "metrics", "--from", str(first), env=env)
    assert backfill.returncode == 0, backfill.stderr
    assert f"{first} to {HISTORY_END} (10 days)" in backfill.stdout
    counts = rows_per_day(scratch)
    assert sorted(counts) == [first + timedelta(days=n) for n in range(10)]
    assert all(count % 3 == 0 and count > 0 for count in counts.values())
    # The default day was computed already: the backfill changed none of its rows.
    assert f"{sum(counts.values()) - counts[HISTORY_END]:,} new or changed" in backfill.stdout

    refused = lyceum("tutormax", "metrics", "--date", "2026-11-01", "--to", "2026-11-02", env=env)
    assert refused.returncode == 1 and "either --date or --from/--to" in refused.stderr
    assert rows_per_day(scratch) == counts


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((date(2026, 11, 1), date(2026, 11, 1), None), "either --date or --from/--to"),
        ((None, None, date(2026, 11, 1)), "--to needs --from"),
        ((None, date(2026, 11, 2), date(2026, 11, 1)), "before --from"),
        ((date(2026, 12, 6), None, None), "has not begun"),
        ((None, date(16, 11, 2), date(2026, 11, 1)), "at most"),
    ],
)
def test_options_that_make_no_sense_are_refused(
    args: tuple[date | None, date | None, date | None], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        requested_days(*args, TODAY)


def test_options_name_the_days_to_compute() -> None:
    day = date(2026, 11, 1)
    assert requested_days(day, None, None, TODAY) == (day, day)
    assert requested_days(None, None, None, TODAY) == (None, None)
    assert requested_days(None, day, None, TODAY) == (day, None)
    assert requested_days(None, day, TODAY, TODAY) == (day, TODAY)
