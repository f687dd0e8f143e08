"""Throttling guesses: attempts per subject (an account, a client address) in a window.

Each subject has a fixed window that opens at its first counted attempt; after
`max_failures` attempts within `window_seconds` the subject is blocked until the window
closes, and the caller answers 429 with `Retry-After` set to the seconds left.

An attempt is counted *before* it is judged (an atomic increment), so a burst of concurrent
guesses cannot slip past a check that has not seen the others yet. A success then takes its
attempt back: `forgive` refunds it (a client address) or `reset` clears the subject (the
login clears the account, not the address: one valid account must not buy an address more
guesses at the others). So only failures use up the budget, and a person who types their
password right is never slowed down.

Backed by Redis when `REDIS_URL` is set (INCR and PEXPIRE in one Lua script, exact across
processes), else by an in-process table for a single process. A Redis error is logged and the
limiter fails open: an outage must not lock every operator out, and the Argon2 cost of each
password check still bounds guessing meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from lyceum.core.settings import Settings

logger = logging.getLogger(__name__)

# Count one attempt; returns {attempts in the window, milliseconds until it closes}.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {count, left}
"""
# Take one attempt back; a key that would drop to zero (or expired meanwhile) is removed.
_FORGIVE = """
local count = redis.call('DECR', KEYS[1])
if count <= 0 then redis.call('DEL', KEYS[1]) end
return count
"""


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` attempts per subject within `window_seconds`."""

    name: str
    max_failures: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window_seconds < 1:
            raise ValueError("a limit needs at least one attempt and one second")


@dataclass(frozen=True)
class Blocked:
    """A subject out of attempts: which limit, and whole seconds until it may try again."""

    limit: Limit
    retry_after: int


class AttemptStore(Protocol):
    async def count(self, key: str, window_ms: int) -> tuple[int, int]: ...
    async def forgive(self, key: str) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def close(self) -> None: ...


class RedisAttemptStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self._count = client.register_script(_COUNT)
        self._forgive = client.register_script(_FORGIVE)

    @classmethod
    def from_url(cls, url: str) -> RedisAttemptStore:
        # Short timeouts: a login waits on this, and failing open beats hanging.
        client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return cls(client)

    async def count(self, key: str, window_ms: int) -> tuple[int, int]:
        attempts, left = await self._count(keys=[key], args=[window_ms])
        return int(attempts), int(left)

    async def forgive(self, key: str) -> None:
        await self._forgive(keys=[key])

    async def delete(self, key: str) -> None:
        await self.client.delete(key)

    async def close(self) -> None:
        await self.client.aclose()


class MemoryAttemptStore:
    """One process's counters; bounded, so a flood of made-up emails cannot grow it forever."""

    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _live(self, key: str) -> tuple[int, float] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] <= self._clock():
            del self._entries[key]
            return None
        return entry

    async def count(self, key: str, window_ms: int) -> tuple[int, int]:
        entry = self._live(key)
        attempts, expires = (0, self._clock() + window_ms / 1000) if entry is None else entry
        self._entries[key] = (attempts + 1, expires)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return attempts + 1, max(1, math.ceil((expires - self._clock()) * 1000))

    async def forgive(self, key: str) -> None:
        entry = self._live(key)
        if entry is None:
            return
        if entry[0] <= 1:
            del self._entries[key]
        else:
            self._entries[key] = (entry[0] - 1, entry[1])

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def close(self) -> None:
        self._entries.clear()


Check = tuple[Limit, str]


class AttemptLimiter:
    def __init__(self, store: AttemptStore, namespace: str = "lyceum|ratelimit") -> None:
        self.store = store
        self.namespace = namespace

    def key(self, limit: Limit, subject: str) -> str:
        # Hashed: keys then hold no email addresses and no odd characters.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        return f"{self.namespace}|{limit.name}|{digest}"

    async def attempt(self, checks: Sequence[Check]) -> Blocked | None:
        """Count one attempt against every (limit, subject); Blocked (the longest wait) if
        any of them is past its limit, else None and the caller goes ahead.

        A blocked attempt stays counted: the window does not move, so it costs nothing more.
        """
        worst: Blocked | None = None
        for limit, subject in checks:
            try:
                attempts, left_ms = await self.store.count(
                    self.key(limit, subject), limit.window_seconds * 1000
                )
            except (RedisError, OSError) as exc:
                self._failed_open("count", exc)
                return None
            if attempts > limit.max_failures:
                wait = max(1, math.ceil(left_ms / 1000))
                if worst is None or wait > worst.retry_after:
                    worst = Blocked(limit, wait)
        return worst

    async def forgive(self, limit: Limit, subject: str) -> None:
        """Take back the attempt `attempt` counted: it succeeded."""
        try:
            await self.store.forgive(self.key(limit, subject))
        except (RedisError, OSError) as exc:
            self._failed_open("forgive", exc)

    async def reset(self, limit: Limit, subject: str) -> None:
        """Forget every attempt of this subject."""
        try:
            await self.store.delete(self.key(limit, subject))
        except (RedisError, OSError) as exc:
            self._failed_open("reset", exc)

    async def close(self) -> None:
        await self.store.close()

    @staticmethod
    def _failed_open(operation: str, exc: Exception) -> None:
        logger.warning("rate limiter %s failed, allowing the attempt: %s", operation, exc)


def build_attempt_limiter(redis_url: str | None) -> AttemptLimiter:
    """Redis when a URL is given (shared by every process); in-process otherwise."""
    store: AttemptStore = (
        RedisAttemptStore.from_url(redis_url) if redis_url else MemoryAttemptStore()
    )
    return AttemptLimiter(store)


__all__ = [
    "AttemptLimiter",
    "Blocked",
    "Check",
    "Limit",
    "MemoryAttemptStore",
    "RedisAttemptStore",
    "SignInThrottle",
    "build_attempt_limiter",
]


@dataclass(frozen=True)
class SignInThrottle:
    """The two budgets of a sign-in form: per account (its normalised identifier) and per
    client address. Any app's sign-in uses it the same way: `attempt` before checking the
    credentials (429 when it returns Blocked), `succeeded` after a successful check,
    `undecided` when the check could not be made."""

    limiter: AttemptLimiter
    account: Limit
    address: Limit

    @classmethod
    def from_settings(
        cls, limiter: AttemptLimiter, settings: Settings, name: str
    ) -> SignInThrottle:
        window = settings.login_failure_window_seconds
        return cls(
            limiter,
            Limit(f"{name}:account", settings.login_max_failures_per_account, window),
            Limit(f"{name}:address", settings.login_max_failures_per_address, window),
        )

    async def attempt(self, account: str, address: str) -> Blocked | None:
        return await self.limiter.attempt([(self.account, account), (self.address, address)])

    async def succeeded(self, account: str, address: str) -> None:
        # The account starts afresh; the address only gets this attempt back.
        await self.limiter.reset(self.account, account)
        await self.limiter.forgive(self.address, address)

    async def undecided(self, account: str, address: str) -> None:
        """The credentials could not be checked (the database was unavailable): the attempt
        is taken back from both budgets. Counting it would lock out whoever kept retrying
        through an outage, for a whole window, without a single wrong password."""
        await self.limiter.forgive(self.account, account)
        await self.limiter.forgive(self.address, address)
