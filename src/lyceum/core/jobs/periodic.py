"""Periodic jobs whose cron expression is read in a time zone, not in UTC.

procrastinate evaluates a periodic task's cron with `croniter(cron)`, which counts in UTC, so
"0 2 * * *" would run at 07:30 in Kolkata. croniter itself handles zones when it is started
from an aware datetime (and keeps that zone when procrastinate later moves it with epoch
seconds). So the zone travels inside the cron string, in cronie's `CRON_TZ=<zone> <cron>`
form, which survives procrastinate copying the string from a blueprint to the app; the app's
registry (`ZonedPeriodicRegistry`, installed by `build_job_app`) builds `ZonedPeriodicTask`s
whose `croniter` starts in that zone. The schedule stays procrastinate's: the deferrer, its
once-per-timestamp uniqueness in `procrastinate_periodic_defers` and its catch-up window are
unchanged, because a zoned croniter still yields epoch timestamps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import croniter
from procrastinate import Blueprint
from procrastinate.periodic import PeriodicRegistry, PeriodicTask
from procrastinate.tasks import Task

CRON_TZ = "CRON_TZ="


def zoned_cron(cron: str, timezone: str) -> str:
    """`CRON_TZ=<timezone> <cron>`, after checking both parts (a typo fails at import)."""
    _zone(timezone)
    if not croniter.croniter.is_valid(cron):
        raise ValueError(f"invalid cron expression {cron!r}")
    return f"{CRON_TZ}{timezone} {cron.strip()}"


def split_cron(cron: str) -> tuple[tzinfo, str]:
    """(zone, plain cron expression); a cron without `CRON_TZ=` is in UTC, as in procrastinate."""
    if not cron.startswith(CRON_TZ):
        return UTC, cron
    zone, _, expression = cron[len(CRON_TZ) :].partition(" ")
    return _zone(zone), expression.strip()


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Kolkata)"
        ) from None


def next_run(cron: str, after: datetime) -> datetime:
    """The first time strictly after `after` at which `cron` (possibly zoned) fires, in UTC."""
    zone, expression = split_cron(cron)
    moment = croniter.croniter(expression, after.astimezone(zone)).get_next(datetime)
    return moment.astimezone(UTC)


class ZonedPeriodicTask(PeriodicTask[Any, Any, Any]):
    """A periodic task whose cron counts in the zone its `CRON_TZ=` prefix names."""

    @functools.cached_property
    def croniter(self) -> croniter.croniter:
        zone, expression = split_cron(self.cron)
        # An aware start makes croniter compute in `zone`; procrastinate then moves it with
        # epoch seconds (set_current/get_next), and croniter keeps the zone it started with.
        return croniter.croniter(expression, datetime.now(zone))


class ZonedPeriodicRegistry(PeriodicRegistry):
    """procrastinate's registry, building `ZonedPeriodicTask`s."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # procrastinate leaves it unannotated

    def register_task(
        self,
        task: Task[Any, Any, Any],
        cron: str,
        periodic_id: str,
        configure_kwargs: Any,
    ) -> PeriodicTask[Any, Any, Any]:
        split_cron(cron)  # an unknown zone fails here, at startup, not at 02:00
        plain: PeriodicTask[Any, Any, Any] = super().register_task(
            task=task, cron=cron, periodic_id=periodic_id, configure_kwargs=configure_kwargs
        )
        zoned = ZonedPeriodicTask(
            task=plain.task,
            cron=plain.cron,
            periodic_id=plain.periodic_id,
            configure_kwargs=plain.configure_kwargs,
        )
        self.periodic_tasks[(task.name, periodic_id)] = zoned
        return zoned


def periodic(
    blueprint: Blueprint,
    *,
    cron: str,
    timezone: str = "UTC",
    periodic_id: str = "",
    **configure: Any,
) -> Callable[[Task[Any, Any, Any]], Task[Any, Any, Any]]:
    """`@periodic(jobs, cron="0 2 * * *", timezone="Asia/Kolkata")` over a `@jobs.task`: the
    task is deferred once per occurrence of `cron` in `timezone` (with `timestamp=<epoch
    seconds of the occurrence>`, which the task must accept)."""
    decorator: Callable[[Task[Any, Any, Any]], Task[Any, Any, Any]] = blueprint.periodic(
        cron=zoned_cron(cron, timezone), periodic_id=periodic_id, **configure
    )
    return decorator


def every_seconds_cron(seconds: int) -> str:
    """A cron expression firing every `seconds` (a step settings.py has checked is even)."""
    if seconds < 60:
        return f"* * * * * */{seconds}"  # procrastinate's sixth column: seconds
    minutes = seconds // 60
    return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"


__all__ = [
    "ZonedPeriodicRegistry",
    "ZonedPeriodicTask",
    "every_seconds_cron",
    "next_run",
    "periodic",
    "split_cron",
    "zoned_cron",
]
