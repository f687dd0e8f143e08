"""Cache hit rate during a scripted dashboard session while the simulation runs.

A real `lyceum serve` process runs the simulation worker (tick every 1 s, speed 3600) on a
scratch database with a generated history. 20 simulated operators each loop for 60 s over the
cached dashboard reads (overview, capacity, customer-health, quality, forecast), each starting
at a different page, with 0.5 s of think time after every response. Every response's X-Cache
header is counted.

Every tick moves the clock version that keys the per-tick entries, so each of those is
rebuilt once per tick by whichever operator asks first (the overview is usually rebuilt by
the live-stream broadcaster, which builds it after every tick); forecasts are keyed per
simulated day. The seed's target is a hit rate above 90 %.

Run: `lyceum bench nerdboard`. BENCH_NERDBOARD_SCALE and BENCH_CACHE_SECONDS change the
history scale and the session length.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from _common import (
    API,
    AUTH,
    LiveServer,
    load_history,
    machine,
    percentile,
    print_machine,
    print_table,
    redis_url,
    running_server,
    scratch_database,
    simulation_running,
    summary_ms,
    write_results,
)

SCALE = os.environ.get("BENCH_NERDBOARD_SCALE", "default")
TICK_SECONDS = 1.0
SPEED = 3600
OPERATORS = 20
SESSION_SECONDS = float(os.environ.get("BENCH_CACHE_SECONDS", "60"))
THINK_SECONDS = 0.5
PAGES = {
    "overview": "/overview",
    "capacity": "/capacity?days=90",
    "customer-health": "/customer-health",
    "quality": "/quality",
    "forecast": "/forecast",
}
TARGET_HIT_RATE = 0.90


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.x_cache: dict[str, Counter[str]] = defaultdict(Counter)
        self.errors = 0

    def hits(self, page: str | None = None) -> tuple[int, int]:
        pages = [page] if page else list(PAGES)
        return (
            sum(self.x_cache[p]["hit"] for p in pages),
            sum(self.x_cache[p]["miss"] for p in pages),
        )


async def operator(http: httpx.AsyncClient, index: int, deadline: float, tally: Tally) -> None:
    names = list(PAGES)
    start = index % len(names)
    order = names[start:] + names[:start]
    await asyncio.sleep(random.Random(index).uniform(0, THINK_SECONDS))  # operators arrive apart
    step = 0
    while time.monotonic() < deadline:
        page = order[step % len(order)]
        step += 1
        started = time.perf_counter()
        response = await http.get(API + PAGES[page])
        tally.latencies[page].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            tally.errors += 1
        tally.x_cache[page][response.headers.get("x-cache", "none")] += 1
        await asyncio.sleep(THINK_SECONDS)


async def measure(server: LiveServer) -> tuple[Tally, dict[str, Any], dict[str, Any], float]:
    tally = Tally()
    limits = httpx.Limits(max_connections=OPERATORS + 5, max_keepalive_connections=OPERATORS + 5)
    http = httpx.AsyncClient(base_url=server.base, headers=AUTH, limits=limits, timeout=60)
    async with http, simulation_running(http, SPEED):
        await asyncio.sleep(3 * TICK_SECONDS)  # the worker's first ticks load the market
        before = (await http.get(f"{API}/simulation")).json()
        started = time.monotonic()
        deadline = started + SESSION_SECONDS
        await asyncio.gather(*(operator(http, i, deadline, tally) for i in range(OPERATORS)))
        elapsed = time.monotonic() - started
        after = (await http.get(f"{API}/simulation")).json()
    return tally, before, after, elapsed


def main() -> None:
    with scratch_database("cache") as url, redis_url() as redis:
        info = machine(url)
        history = load_history(url, SCALE)
        with running_server(url, redis, worker=True, tick_seconds=TICK_SECONDS) as server:
            tally, before, after, elapsed = asyncio.run(measure(server))

    advanced = (
        datetime.fromisoformat(after["current_date"])
        - datetime.fromisoformat(before["current_date"])
    ).total_seconds()
    ticks = advanced / (SPEED * TICK_SECONDS)
    hits, misses = tally.hits()
    requests = hits + misses
    hit_rate = hits / requests if requests else 0.0
    every = [ms for samples in tally.latencies.values() for ms in samples]
    passed = hit_rate > TARGET_HIT_RATE

    print_machine(info)
    print(history)
    print(
        f"{OPERATORS} operators x {SESSION_SECONDS:.0f} s, think {THINK_SECONDS} s; tick"
        f" {TICK_SECONDS:.0f} s at {SPEED}x; clock {before['current_date']} ->"
        f" {after['current_date']} ({advanced / 3600:.1f} simulated h, ~{ticks:.0f} ticks"
        f" in {elapsed:.0f} s)"
    )
    rows: list[list[object]] = []
    for page in PAGES:
        page_hits, page_misses = tally.hits(page)
        samples = tally.latencies[page]
        rows.append(
            [
                page,
                len(samples),
                page_hits,
                page_misses,
                f"{page_hits / max(1, page_hits + page_misses):.1%}",
                percentile(samples, 50),
                percentile(samples, 95),
            ]
        )
    rows.append(
        ["all", len(every), hits, misses, f"{hit_rate:.1%}", percentile(every, 50),
         percentile(every, 95)]
    )  # fmt: skip
    print_table(
        "dashboard session while the simulation runs",
        ["page", "requests", "hits", "misses", "hit rate", "p50 ms", "p95 ms"],
        rows,
    )
    print(f"misses per tick: {misses / max(ticks, 1):.1f}; errors: {tally.errors}")
    verdict = "PASS" if passed else "FAIL"
    print(f"target hit rate > {TARGET_HIT_RATE:.0%}: {verdict} ({hit_rate:.1%})")
    write_results(
        "cache",
        info,
        {
            "scale": SCALE,
            "history": history,
            "operators": OPERATORS,
            "session_seconds": SESSION_SECONDS,
            "think_seconds": THINK_SECONDS,
            "tick_seconds": TICK_SECONDS,
            "speed_multiplier": SPEED,
            "simulation_before": before,
            "simulation_after": after,
            "simulated_hours": round(advanced / 3600, 2),
            "ticks_estimated": round(ticks),
            "requests": requests,
            "hits": hits,
            "misses": misses,
            "hit_rate": round(hit_rate, 4),
            "errors": tally.errors,
            "latency_all": summary_ms(every),
            "pages": {
                page: {
                    "x_cache": dict(tally.x_cache[page]),
                    **summary_ms(tally.latencies[page]),
                }
                for page in PAGES
            },
            "target": {"hit_rate_above": TARGET_HIT_RATE, "passed": passed},
        },
    )


if __name__ == "__main__":
    main()
