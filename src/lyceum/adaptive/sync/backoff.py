"""How long the device waits before trying the server again: exponential backoff with full
jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015) — a random delay up to
base·2^failures, capped — so devices that lost the server together do not return together.
A server's `Retry-After` is a floor."""

from __future__ import annotations

import random

BASE_SECONDS = 0.5
CAP_SECONDS = 300.0


def retry_delay(
    failures: int,
    rng: random.Random,
    *,
    retry_after: float | None = None,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
) -> float:
    """The wait before the next try after `failures` consecutive failures (≥ 1)."""
    if failures < 1:
        return 0.0
    ceiling = min(cap, base * 2 ** min(failures - 1, 30))
    delay = rng.uniform(0, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


__all__ = ["BASE_SECONDS", "CAP_SECONDS", "retry_delay"]
