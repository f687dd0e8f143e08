"""Mathvidya's SQL (flushes, never commits: the caller's edge does)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.enums import SubscriptionStatus
from lyceum.mathvidya.models import Subscription


async def expire_ended_subscriptions(session: AsyncSession, *, at: datetime) -> int:
    """Mark `expired` every active subscription whose period is over at `at`; how many.

    Periods are half-open, `[starts_at, ends_at)`, so one is over once `ends_at <= at`. One
    UPDATE over the partial index `ix_subscriptions_ends_at_active`. Idempotent: an expired
    row no longer matches. No constraint can refuse it: `cancelled_at` stays NULL (it is set
    only with `cancelled`), the exclusion constraint covers active rows only, and the trigger
    stamps `updated_at`. Pending and cancelled subscriptions are left alone: a pending one
    never granted anything, a cancelled one already ended.
    """
    result = await session.execute(
        update(Subscription)
        .where(Subscription.status == SubscriptionStatus.ACTIVE, Subscription.ends_at <= at)
        .values(status=SubscriptionStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


__all__ = ["expire_ended_subscriptions"]
