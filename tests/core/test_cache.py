"""Cache behaviour on real Redis and on the in-process fallback: the same tests run on both."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest
import redis.asyncio as aioredis

from lyceum.core.cache import Cache, MemoryBackend, RedisBackend, build_cache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

MakeCache = Callable[..., Cache]


@pytest.fixture(params=["redis", "memory"])
async def make_cache(request: pytest.FixtureRequest) -> AsyncIterator[MakeCache]:
    """Caches sharing one store and one random namespace, as separate processes would.

    On Redis every cache gets its own client (its own connection pool), so nothing but the
    server is shared; on memory they share one backend object.
    """
    namespace = f"test-{uuid.uuid4().hex}"
    shared = MemoryBackend()
    made: list[Cache] = []

    def make(**options: Any) -> Cache:
        backend = RedisBackend.from_url(REDIS_URL) if request.param == "redis" else shared
        cache = Cache(backend, namespace, **options)
        made.append(cache)
        return cache

    yield make
    if made:
        assert await made[0].ping(), "Redis is not reachable at REDIS_URL"
        await made[0].clear_namespace()
    for cache in made:
        await cache.close()


@pytest.fixture
def cache(make_cache: MakeCache) -> Cache:
    return make_cache()


class CountingLoader:
    def __init__(self, value: Any = None, delay: float = 0.0, fail_first: int = 0) -> None:
        self.value = value
        self.delay = delay
        self.fail_first = fail_first
        self.calls = 0

    async def __call__(self) -> Any:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.calls <= self.fail_first:
            raise RuntimeError(f"database down (call {self.calls})")
        return self.value if self.value is not None else {"call": self.calls}


async def test_miss_then_hit(cache: Cache) -> None:
    loader = CountingLoader({"rows": [1, 2, 3]})
    assert await cache.get_json("dash") is None
    assert await cache.get_or_set("dash", loader, ttl=30) == {"rows": [1, 2, 3]}
    assert await cache.get_or_set("dash", loader, ttl=30) == {"rows": [1, 2, 3]}
    assert loader.calls == 1
    assert await cache.get_json("dash") == {"rows": [1, 2, 3]}


async def test_keys_are_namespaced(cache: Cache) -> None:
    await cache.set_bytes("k", b"v")
    assert cache.key("k") == f"{cache.namespace}:k"
    assert await cache.backend.get(f"{cache.namespace}:k") == b"v"


async def test_bytes_round_trip_and_get_or_set_bytes(cache: Cache) -> None:
    payload = b"\x00\xff pre-serialised \xe2\x82\xac"
    await cache.set_bytes("raw", payload)
    assert await cache.get_bytes("raw") == payload

    async def load() -> bytes:
        return b'{"a":1}'

    assert await cache.get_or_set_bytes("resp", load, ttl=30) == b'{"a":1}'
    assert await cache.get_bytes("resp") == b'{"a":1}'


async def test_ttl_expiry(cache: Cache) -> None:
    await cache.set_json("short", {"v": 1}, ttl=0.2)
    await cache.set_json("long", {"v": 2}, ttl=30)
    assert await cache.get_json("short") == {"v": 1}
    await asyncio.sleep(0.35)
    assert await cache.get_json("short") is None
    assert await cache.get_json("long") == {"v": 2}


async def test_ttl_must_be_positive(cache: Cache) -> None:
    loader = CountingLoader({"v": 1})
    with pytest.raises(ValueError, match="ttl"):
        await cache.set_json("k", 1, ttl=0)
    with pytest.raises(ValueError, match="ttl"):
        await cache.get_or_set("k", loader, ttl=-1)
    assert loader.calls == 0


async def test_invalidate_tag(cache: Cache) -> None:
    await cache.set_json("tutor:1", 1, ttl=30, tags=["tutors", "t1"])
    await cache.set_json("tutor:2", 2, ttl=30, tags=["tutors"])
    await cache.set_json("session:1", 3, ttl=30, tags=["sessions"])
    await cache.get_or_set("tutor:3", CountingLoader(4), ttl=30, tags=["tutors"])

    assert await cache.invalidate_tag("tutors") == 3
    assert await cache.get_json("tutor:1") is None
    assert await cache.get_json("tutor:2") is None
    assert await cache.get_json("tutor:3") is None
    assert await cache.get_json("session:1") == 3
    assert await cache.invalidate_tag("tutors") == 0
    assert await cache.invalidate_tag("never-used") == 0


async def test_invalidate_prefix_across_scan_batches(cache: Cache) -> None:
    n = 1234  # RedisBackend scans and unlinks in batches of 500
    for i in range(n):
        await cache.set_bytes(f"report:{i}", b"x", ttl=60)
    await cache.set_bytes("reports-summary", b"keep", ttl=60)
    await cache.set_bytes("other:1", b"keep", ttl=60)

    assert await cache.invalidate_prefix("report:") == n
    assert await cache.get_bytes("report:0") is None
    assert await cache.get_bytes(f"report:{n - 1}") is None
    assert await cache.get_bytes("reports-summary") == b"keep"
    assert await cache.get_bytes("other:1") == b"keep"


async def test_invalidate_prefix_treats_glob_characters_literally(cache: Cache) -> None:
    await cache.set_bytes("a*:1", b"1")
    await cache.set_bytes("ab:1", b"2")
    await cache.set_bytes("a?[x]:1", b"3")
    assert await cache.invalidate_prefix("a*") == 1
    assert await cache.get_bytes("ab:1") == b"2"
    assert await cache.invalidate_prefix("a?[x]") == 1
    assert await cache.get_bytes("ab:1") == b"2"


async def test_clear_namespace_leaves_other_namespaces(make_cache: MakeCache) -> None:
    cache = make_cache()
    other = Cache(cache.backend, f"{cache.namespace}-other")
    await cache.set_json("a", 1, tags=["t"])
    await cache.set_json("b", 2, ttl=30)
    await other.set_json("a", 99)
    try:
        assert await cache.clear_namespace() == 2
        assert await cache.get_json("a") is None
        assert await cache.get_json("b") is None
        assert await other.get_json("a") == 99
        # The tag index went too, so a new key under the tag is all that it deletes.
        await cache.set_json("c", 3, tags=["t"])
        assert await cache.invalidate_tag("t") == 1
    finally:
        await other.clear_namespace()


async def test_stats_and_hit_rate(cache: Cache) -> None:
    assert cache.stats.hit_rate == 0.0
    loader = CountingLoader({"v": 1})
    await cache.get_or_set("k", loader, ttl=30)  # miss + load
    await cache.get_or_set("k", loader, ttl=30)  # hit
    await cache.get_or_set("k", loader, ttl=30)  # hit
    assert await cache.get_bytes("absent") is None  # miss
    assert (cache.stats.hits, cache.stats.misses, cache.stats.loads) == (2, 2, 1)
    assert cache.stats.hit_rate == pytest.approx(0.5)
    await cache.get_json("k")
    assert cache.stats.hit_rate == pytest.approx(3 / 5)

    cache.stats.reset()
    assert (cache.stats.hits, cache.stats.misses, cache.stats.loads) == (0, 0, 0)
    assert cache.stats.hit_rate == 0.0


async def test_single_flight_in_process(cache: Cache) -> None:
    loader = CountingLoader({"big": list(range(100))}, delay=0.1)
    results = await asyncio.gather(*(cache.get_or_set("hot", loader, ttl=30) for _ in range(50)))
    assert loader.calls == 1
    assert cache.stats.loads == 1
    assert all(r == {"big": list(range(100))} for r in results)
    assert cache.stats.misses == 50


async def test_single_flight_across_instances(make_cache: MakeCache) -> None:
    first, second = make_cache(), make_cache()
    loader = CountingLoader({"v": "shared"}, delay=0.3)
    calls = [c.get_or_set("hot", loader, ttl=30) for c in (first, second) for _ in range(25)]
    results = await asyncio.gather(*calls)
    assert loader.calls == 1
    assert first.stats.loads + second.stats.loads == 1
    assert all(r == {"v": "shared"} for r in results)


async def test_waiter_loads_itself_after_bounded_wait(make_cache: MakeCache) -> None:
    holder, waiter = make_cache(), make_cache(lock_wait=0.2, poll_interval=0.01)
    release = asyncio.Event()

    async def stuck_loader() -> Any:
        await release.wait()
        return "from holder"

    holder_call = asyncio.create_task(holder.get_or_set("k", stuck_loader, ttl=30))
    await asyncio.sleep(0.05)  # let the holder take the lock
    waiter_loader = CountingLoader("from waiter")
    started = time.monotonic()
    assert await waiter.get_or_set("k", waiter_loader, ttl=30) == "from waiter"
    elapsed = time.monotonic() - started
    assert 0.15 <= elapsed < 1.0
    assert waiter_loader.calls == 1
    release.set()
    assert await holder_call == "from holder"


async def test_loader_exception_propagates_and_does_not_poison(make_cache: MakeCache) -> None:
    cache = make_cache(lock_wait=2.0)
    loader = CountingLoader({"v": "ok"}, delay=0.05, fail_first=1)
    results = await asyncio.gather(
        *(cache.get_or_set("k", loader, ttl=30) for _ in range(10)), return_exceptions=True
    )
    assert loader.calls == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await cache.get_json("k") is None
    assert await cache.get_or_set("k", loader, ttl=30) == {"v": "ok"}
    assert loader.calls == 2
    assert await cache.get_or_set("k", loader, ttl=30) == {"v": "ok"}
    assert loader.calls == 2

    # The lock was released, so another instance retries at once rather than waiting it out.
    flaky = CountingLoader({"v": "ok"}, fail_first=1)
    with pytest.raises(RuntimeError, match="database down"):
        await cache.get_or_set("k2", flaky, ttl=30)
    other = make_cache(lock_wait=2.0)
    started = time.monotonic()
    assert await other.get_or_set("k2", flaky, ttl=30) == {"v": "ok"}
    assert time.monotonic() - started < 1.0
    assert flaky.calls == 2


async def test_cancelled_caller_does_not_cancel_shared_rebuild(cache: Cache) -> None:
    loader = CountingLoader({"v": 1}, delay=0.2)
    first = asyncio.create_task(cache.get_or_set("k", loader, ttl=30))
    await asyncio.sleep(0.02)
    second = asyncio.create_task(cache.get_or_set("k", loader, ttl=30))
    await asyncio.sleep(0.02)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await second == {"v": 1}
    assert loader.calls == 1


async def test_json_round_trip_of_nested_data(cache: Cache) -> None:
    data = {
        "tutors": [{"id": 1, "name": "Zoë", "scores": [4.5, 3.0], "active": True, "tags": None}],
        "totals": {"by_day": {"2024-01-01": [1, 2, {"deep": [[], {}]}]}, "n": 2**53},
        "empty": "",
    }
    await cache.set_json("nested", data, ttl=30)
    assert await cache.get_json("nested") == data
    assert await cache.get_json("missing", default={"d": 1}) == {"d": 1}

    # Tuples and NumPy values come back as JSON would give them, to the loader's caller too.
    async def loader() -> Any:
        return {"pair": (1, 2), "arr": np.array([1.5, 2.5]), "n": np.int64(7)}

    fresh = await cache.get_or_set("np", loader, ttl=30)
    cached = await cache.get_or_set("np", loader, ttl=30)
    assert fresh == cached == {"pair": [1, 2], "arr": [1.5, 2.5], "n": 7}


async def test_memory_lru_bound() -> None:
    backend = MemoryBackend(max_entries=3)
    cache = Cache(backend, "lru")
    for key in ("a", "b", "c"):
        await cache.set_bytes(key, key.encode(), tags=["all"])
    assert await cache.get_bytes("a") == b"a"  # a is now the most recently used
    await cache.set_bytes("d", b"d", tags=["all"])
    assert len(backend) == 3
    assert await cache.get_bytes("b") is None
    assert [await cache.get_bytes(k) for k in ("a", "c", "d")] == [b"a", b"c", b"d"]
    assert await cache.invalidate_tag("all") == 3  # the evicted key left the tag index
    assert len(backend) == 0
    with pytest.raises(ValueError, match="max_entries"):
        MemoryBackend(max_entries=0)


async def test_memory_ttl_uses_injected_clock() -> None:
    now = [1000.0]
    cache = Cache(MemoryBackend(clock=lambda: now[0]), "clock")
    await cache.set_bytes("k", b"v", ttl=10)
    now[0] += 9.9
    assert await cache.get_bytes("k") == b"v"
    now[0] += 0.2
    assert await cache.get_bytes("k") is None


async def test_redis_tag_set_outlives_its_values() -> None:
    cache = build_cache(REDIS_URL, namespace=f"test-{uuid.uuid4().hex}")
    client = aioredis.Redis.from_url(REDIS_URL)
    tag_key = cache.tag_key("t")
    try:
        await cache.set_bytes("a", b"1", ttl=10, tags=["t"])
        assert 9_000 < await client.pttl(tag_key) <= 10_000
        await cache.set_bytes("b", b"2", ttl=100, tags=["t"])
        assert 99_000 < await client.pttl(tag_key) <= 100_000
        await cache.set_bytes("c", b"3", ttl=5, tags=["t"])  # must not shorten it
        assert await client.pttl(tag_key) > 99_000
        await cache.set_bytes("d", b"4", tags=["t"])  # no expiry: neither may the tag set
        assert await client.pttl(tag_key) == -1
        assert await client.pttl(cache.key("a")) > 9_000
    finally:
        await cache.clear_namespace()
        assert await client.exists(tag_key) == 0
        await cache.close()
        await client.aclose()


async def test_build_cache_picks_backend_and_pings() -> None:
    memory = build_cache(None)
    assert isinstance(memory.backend, MemoryBackend)
    assert memory.namespace == "lyceum"
    assert await memory.ping() is True
    await memory.close()

    redis_cache = build_cache(REDIS_URL, namespace="ns")
    assert isinstance(redis_cache.backend, RedisBackend)
    assert await redis_cache.ping() is True
    await redis_cache.close()

    unreachable = build_cache("redis://127.0.0.1:1/0")
    assert await unreachable.ping() is False
    await unreachable.close()


async def test_redis_outage_degrades_to_misses_not_errors() -> None:
    # Nothing listens on this port: every backend call fails.
    cache = build_cache("redis://127.0.0.1:1/0", namespace="outage")
    loads = 0

    async def loader() -> dict[str, int]:
        nonlocal loads
        loads += 1
        return {"value": 42}

    try:
        assert await cache.get_or_set("dashboard", loader, ttl=30) == {"value": 42}
        assert await cache.get_json("dashboard") is None
        await cache.set_json("dashboard", {"value": 1}, ttl=30)  # swallowed, counted
        assert loads == 1
        assert cache.stats.errors >= 3
        assert await cache.ping() is False
    finally:
        await cache.close()


async def test_fetch_bytes_says_which_call_built_the_entry(cache: Cache) -> None:
    async def slow() -> bytes:
        await asyncio.sleep(0.05)
        return b"built"

    results = await asyncio.gather(*(cache.fetch_bytes("reported", slow, 60) for _ in range(10)))
    assert {r.value for r in results} == {b"built"}
    assert [r.hit for r in results].count(False) == 1  # one built it, nine waited for it
    assert (await cache.fetch_bytes("reported", slow, 60)).hit is True
