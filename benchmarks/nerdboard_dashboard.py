"""Dashboard endpoints over HTTP: p50/p95/max at 1 and 50 concurrent clients, cold and warm.

A real `lyceum serve` process (one uvicorn worker) on a scratch database holding a generated
12-month history, with the simulation worker off: the clock does not move, so a warm entry
stays warm. The client is `RawHttpPool` (keep-alive connections, one per concurrent client) in
this process, on the same machine: httpx's own CPU cost made it, not the server, the bottleneck.

- warm: one priming request, then the requests (at 50 clients: 50 closed loops).
- cold: before every round, every `lyceum:nerdboard:*` key is deleted from Redis (SCAN +
  UNLINK); a round is 1 request, or 50 simultaneous ones. At 50, the cache's single-flight
  rebuild makes one request per round build the entry (X-Cache: miss) while the other 49
  wait for it and are served the built bytes (X-Cache: hit): the miss count per round proves
  the round was cold.

The seed's target (dashboard queries p95 < 100 ms) is judged on the warm rows; cold rows are
reported as they are (/forecast cold fits a statistical model per subject).

Run: `lyceum bench nerdboard` (DATABASE_URL / REDIS_URL, else the embedded server and a
private redis). BENCH_NERDBOARD_SCALE=small makes the history smaller.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as aioredis

from _common import (
    API,
    AUTH,
    LiveServer,
    RawHttpPool,
    clear_dashboard_cache,
    load_history,
    machine,
    percentile,
    print_machine,
    print_table,
    redis_url,
    running_server,
    scratch_database,
    summary_ms,
    write_results,
)

SCALE = os.environ.get("BENCH_NERDBOARD_SCALE", "default")
ENDPOINTS = {
    "overview": "/overview",
    "capacity 90 d": "/capacity?days=90",
    "capacity 365 d weekly": "/capacity?days=365&granularity=week",
    "customer-health": "/customer-health",
    "quality": "/quality",
    "forecast": "/forecast",
    "simulation (uncached)": "/simulation",
}
CONCURRENCY = (1, 50)
WARM_REQUESTS = {1: 200, 50: 500}
COLD_ROUNDS = {1: 20, 50: 6}
TARGET_P95_MS = 100.0


@dataclass
class Cell:
    endpoint: str
    clients: int
    cache: str
    workers: int = 1
    latencies_ms: list[float] = field(default_factory=list)
    x_cache: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    rounds: int = 0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def record(self, latency_ms: float, header: str | None) -> None:
        self.latencies_ms.append(latency_ms)
        self.x_cache[header or "none"] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "path": ENDPOINTS[self.endpoint],
            "clients": self.clients,
            "cache": self.cache,
            "server_workers": self.workers,
            **summary_ms(self.latencies_ms),
            "requests_per_second": round(len(self.latencies_ms) / self.seconds, 1),
            "rounds": self.rounds,
            "x_cache": dict(self.x_cache),
            "server_cpu_ms_per_request": round(self.cpu_ms(self.server_cpu), 2),
            "client_cpu_ms_per_request": round(self.cpu_ms(self.client_cpu), 2),
        }

    def cpu_ms(self, seconds: float) -> float:
        return seconds * 1000 / len(self.latencies_ms)

    def measured(self, server: LiveServer, started: tuple[float, float, float]) -> None:
        self.seconds += time.perf_counter() - started[0]
        self.server_cpu += server.cpu_seconds() - started[1]
        self.client_cpu += time.process_time() - started[2]


def clocks(server: LiveServer) -> tuple[float, float, float]:
    return time.perf_counter(), server.cpu_seconds(), time.process_time()


async def timed_get(http: RawHttpPool, path: str) -> tuple[float, str | None]:
    started = time.perf_counter()
    status, headers, _body = await http.get(API + path)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return elapsed_ms, headers.get("x-cache")


async def measure_cold(
    http: RawHttpPool, server: LiveServer, redis: aioredis.Redis, name: str, clients: int
) -> Cell:
    cell = Cell(name, clients, "cold", rounds=COLD_ROUNDS[clients])
    for _ in range(cell.rounds):
        await clear_dashboard_cache(redis)
        started = clocks(server)
        results = await asyncio.gather(*(timed_get(http, ENDPOINTS[name]) for _ in range(clients)))
        cell.measured(server, started)
        for latency, header in results:
            cell.record(latency, header)
    return cell


async def measure_warm(http: RawHttpPool, server: LiveServer, name: str, clients: int) -> Cell:
    cell = Cell(name, clients, "warm", rounds=1)
    await timed_get(http, ENDPOINTS[name])  # prime

    async def closed_loop() -> None:
        for _ in range(WARM_REQUESTS[clients] // clients):
            cell.record(*await timed_get(http, ENDPOINTS[name]))

    started = clocks(server)
    await asyncio.gather(*(closed_loop() for _ in range(clients)))
    cell.measured(server, started)
    return cell


async def measure(
    server: LiveServer, redis: str, concurrency: tuple[int, ...] = CONCURRENCY
) -> list[Cell]:
    cells = []
    client = aioredis.Redis.from_url(redis)
    http = RawHttpPool("127.0.0.1", int(server.base.rsplit(":", 1)[1]), AUTH, size=max(CONCURRENCY))
    await http.open()
    try:
        for path in ENDPOINTS.values():  # connections, pools and imports, not measured
            await timed_get(http, path)
        for clients in concurrency:
            for name in ENDPOINTS:
                if ENDPOINTS[name] != "/simulation":  # not cached: cold would equal warm
                    cells.append(await measure_cold(http, server, client, name, clients))
                cells.append(await measure_warm(http, server, name, clients))
    finally:
        await http.close()
        await client.aclose()
    return cells


def main() -> None:
    with scratch_database("dashboard") as url, redis_url() as redis:
        info = machine(url)
        history = load_history(url, SCALE)
        with running_server(url, redis, worker=False) as server:
            cells = asyncio.run(measure(server, redis))
        # The same 50-client load on two server processes: one per core of this machine.
        with running_server(url, redis, worker=False, workers=2) as server:
            two = asyncio.run(measure(server, redis, (max(CONCURRENCY),)))
        for cell in two:
            cell.workers = 2
        cells += two

    print_machine(info)
    print(history)
    print(
        "server: `lyceum serve` with 1 worker process (and 2 for the last rows), simulation"
        " worker off; client: raw keep-alive connections, same host"
    )
    rows = []
    for cell in cells:
        p95 = percentile(cell.latencies_ms, 95)
        cached = ENDPOINTS[cell.endpoint] != "/simulation"
        meets = "yes" if p95 < TARGET_P95_MS else "no"
        rows.append(
            [
                cell.endpoint,
                cell.workers,
                cell.clients,
                cell.cache if cached else "-",
                percentile(cell.latencies_ms, 50),
                p95,
                max(cell.latencies_ms),
                len(cell.latencies_ms) / cell.seconds,
                f"{cell.x_cache['hit']}/{cell.x_cache['miss']}" if cached else "-",
                f"{cell.cpu_ms(cell.server_cpu):.1f}/{cell.cpu_ms(cell.client_cpu):.1f}",
                meets,
            ]
        )
    headers = ["endpoint", "workers", "clients", "cache", "p50 ms", "p95 ms", "max ms", "req/s"]
    print_table(
        "dashboard latency (cold: cache cleared before each round)",
        [*headers, "X-Cache hit/miss", "CPU ms/req srv/client", "p95<100"],
        rows,
    )
    warm = [c for c in cells if c.cache == "warm" and ENDPOINTS[c.endpoint] != "/simulation"]
    warm_ok = [c for c in warm if percentile(c.latencies_ms, 95) < TARGET_P95_MS]
    print(
        f"target p95 < {TARGET_P95_MS:.0f} ms on warm cached dashboard queries:"
        f" {len(warm_ok)}/{len(warm)} rows meet it"
    )
    for cell in warm:
        if cell not in warm_ok:
            print(f"  not met: {cell.endpoint} at {cell.clients} clients, {cell.workers} worker(s)")
    for cell in (c for c in warm if c.clients > 1):
        per_request = cell.cpu_ms(cell.server_cpu) + cell.cpu_ms(cell.client_cpu)
        print(
            f"  {cell.endpoint} warm at {cell.clients}: {cell.clients} closed-loop clients /"
            f" {len(cell.latencies_ms) / cell.seconds:.0f} req/s = mean wait"
            f" {cell.clients * cell.seconds / len(cell.latencies_ms) * 1000:.0f} ms (Little's law);"
            f" CPU {per_request:.1f} ms/request (server + client) on {os.cpu_count()} cores"
        )
    cold_ok = [
        c for c in cells if c.cache == "cold" and percentile(c.latencies_ms, 95) < TARGET_P95_MS
    ]
    print(
        "cold rows meeting it too: "
        + ", ".join(f"{c.endpoint}@{c.clients}x{c.workers}w" for c in cold_ok)
    )

    write_results(
        "dashboard",
        info,
        {
            "scale": SCALE,
            "history": history,
            "cold_method": "SCAN+UNLINK of lyceum:nerdboard:* before every round",
            "warm_requests": WARM_REQUESTS,
            "cold_rounds": COLD_ROUNDS,
            "cells": [c.as_json() for c in cells],
            "target": {
                "p95_ms_below": TARGET_P95_MS,
                "applies_to": "warm cached endpoints",
                "warm_rows_meeting": len(warm_ok),
                "warm_rows": len(warm),
                "passed": len(warm_ok) == len(warm),
            },
        },
    )


if __name__ == "__main__":
    main()
