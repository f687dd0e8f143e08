"""The attempt limiter against the real Redis: exact under concurrency, windows, refunds."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from lyceum.core.ratelimit import (
    AttemptLimiter,
    Limit,
    MemoryAttemptStore,
    RedisAttemptStore,
    SignInThrottle,
    build_attempt_limiter,
)

LIMIT = Limit("test", max_failures=3, window_seconds=60)


@pytest.fixture
async def limiter(redis_url: str) -> AsyncIterator[AttemptLimiter]:
    built = build_attempt_limiter(redis_url)
    built.namespace = f"test|{uuid.uuid4().hex}|ratelimit"
    assert isinstance(built.store, RedisAttemptStore)
    try:
        yield built
    finally:
        await built.close()


async def test_a_burst_of_concurrent_attempts_gets_exactly_the_budget(
    limiter: AttemptLimiter,
) -> None:
    # Counted before they are judged: twenty guesses at once cannot all slip past a check.
    verdicts = await asyncio.gather(*(limiter.attempt([(LIMIT, "ada")]) for _ in range(20)))
    allowed = [v for v in verdicts if v is None]
    assert len(allowed) == LIMIT.max_failures
    blocked = [v for v in verdicts if v is not None]
    assert all(v.limit == LIMIT and 1 <= v.retry_after <= 60 for v in blocked)


async def test_forgive_refunds_and_reset_clears(limiter: AttemptLimiter) -> None:
    for _ in range(3):
        assert await limiter.attempt([(LIMIT, "bo")]) is None
    await limiter.forgive(LIMIT, "bo")
    assert await limiter.attempt([(LIMIT, "bo")]) is None  # the refunded attempt
    assert await limiter.attempt([(LIMIT, "bo")]) is not None
    await limiter.reset(LIMIT, "bo")
    assert await limiter.attempt([(LIMIT, "bo")]) is None


async def test_the_longest_wait_of_several_limits_is_reported(limiter: AttemptLimiter) -> None:
    short = Limit("short", max_failures=1, window_seconds=30)
    long = Limit("long", max_failures=1, window_seconds=900)
    assert await limiter.attempt([(short, "x"), (long, "y")]) is None
    blocked = await limiter.attempt([(short, "x"), (long, "y")])
    assert blocked is not None and blocked.limit == long and blocked.retry_after > 30


async def test_memory_store_windows_close_on_time() -> None:
    now = [1000.0]
    limiter = AttemptLimiter(MemoryAttemptStore(clock=lambda: now[0]))
    limit = Limit("m", max_failures=2, window_seconds=10)
    assert await limiter.attempt([(limit, "s")]) is None
    now[0] += 4
    assert await limiter.attempt([(limit, "s")]) is None
    blocked = await limiter.attempt([(limit, "s")])
    assert blocked is not None and blocked.retry_after == 6  # the window opened 4 s ago
    now[0] += 6  # the window closes: a fresh budget
    assert await limiter.attempt([(limit, "s")]) is None


async def test_memory_store_is_bounded() -> None:
    store = MemoryAttemptStore(max_entries=100)
    for n in range(1000):
        await store.count(f"k{n}", 60_000)
    assert len(store._entries) == 100


async def test_sign_in_attempts_that_could_not_be_checked_are_taken_back(
    limiter: AttemptLimiter,
) -> None:
    throttle = SignInThrottle(
        limiter, Limit("acct", max_failures=2, window_seconds=60), Limit("addr", 5, 60)
    )
    # Ten tries through an outage (the credentials were never checked): none of them counts.
    for _ in range(10):
        assert await throttle.attempt("ada@example.org", "10.0.0.1") is None
        await throttle.undecided("ada@example.org", "10.0.0.1")
    # Wrong passwords still do.
    assert await throttle.attempt("ada@example.org", "10.0.0.1") is None
    assert await throttle.attempt("ada@example.org", "10.0.0.1") is None
    assert await throttle.attempt("ada@example.org", "10.0.0.1") is not None
