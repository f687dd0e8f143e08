"""The monthly exam quota: starting an exam spends one of the month's exams of the student's
current subscription.

Months are India's (Asia/Kolkata): a start at 23:30 UTC on 31 January is 05:00 on 1 February
in India and counts against February. The counter (`exams_used_this_month`) belongs to
`usage_month`, the first day of an India month; the first exam of a new month restarts it.

Spending is one UPDATE (`repository.consume_exam`): it resets a stale month and increments
only while the month's count is under the plan's `exams_per_month`, returning the row. With
100 concurrent starts against a remaining quota of Q, the row lock queues them and each
re-checks the count the previous one committed: exactly Q succeed, the rest find no row and
are refused with the date the quota resets (the database's CHECK `usage_within_quota` would
refuse an overdraft too). A failed start rolls back with the request, counter included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Forbidden
from lyceum.mathvidya.models import Subscription
from lyceum.mathvidya.repository import exams as repository
from lyceum.mathvidya.repository.exams import Consumed

INDIA = ZoneInfo("Asia/Kolkata")


def india_month(at: datetime) -> date:
    """The first day of the India month `at` falls in."""
    return at.astimezone(INDIA).date().replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def spoken_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True, slots=True)
class Remaining:
    subscription_id: uuid.UUID
    used: int
    quota: int
    resets_on: date

    @property
    def left(self) -> int:
        return self.quota - self.used


def _used(subscription: Subscription, month: date) -> int:
    return subscription.exams_used_this_month if subscription.usage_month >= month else 0


def no_subscription() -> Forbidden:
    return Forbidden(
        "You have no active subscription, so you cannot take an exam; subscribe to a plan"
        " (a parent can buy it for you), and once it is active your exams are available.",
        details={"reason": "no_active_subscription"},
    )


def quota_used(used: int, resets_on: date) -> Forbidden:
    return Forbidden(
        f"You have used all {used} exams of your plan this month; your quota resets on"
        f" {spoken_date(resets_on)}.",
        details={"reason": "quota_exhausted", "exams_used": used, "resets_on": str(resets_on)},
    )


async def remaining(db: AsyncSession, student_id: uuid.UUID, now: datetime) -> Remaining:
    """The month's standing, without spending anything; Forbidden when nothing is left."""
    month = india_month(now)
    subscription = await repository.current_subscription(db, student_id, now)
    if subscription is None:
        raise no_subscription()
    used = _used(subscription, month)
    standing = Remaining(subscription.id, used, subscription.exams_per_month, next_month(month))
    if standing.left <= 0:
        raise quota_used(used, standing.resets_on)
    return standing


async def consume(db: AsyncSession, student_id: uuid.UUID, now: datetime) -> Consumed:
    """Spend one exam of the current India month, atomically; Forbidden (403) with the reset
    date when the month's exams are used up, or with what to do when there is no active
    subscription."""
    month = india_month(now)
    spent = await repository.consume_exam(db, student_id, now, month)
    if spent is not None:
        return spent
    subscription = await repository.current_subscription(db, student_id, now)
    if subscription is None:
        raise no_subscription()
    raise quota_used(subscription.exams_per_month, next_month(month))


__all__ = [
    "INDIA",
    "Remaining",
    "consume",
    "india_month",
    "next_month",
    "no_subscription",
    "quota_used",
    "remaining",
    "spoken_date",
]
