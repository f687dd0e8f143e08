"""The dashboard under the seed's load model: operators loading whole pages while the
simulation ticks, open loop.

Each operator loads the whole dashboard every 5 s (`PAGE_INTERVAL`), starting at a random
phase: every endpoint the Nerdboard pages read (docs/nerdboard.md, "Pages"), all at once as
a browser does, over keep-alive connections of its own (one per endpoint). Open loop: a page
load starts on schedule whether or not the previous one has finished, so a slow server is
met with the same arrival rate rather than fewer requests (a closed loop hides queueing;
`nerdboard_dashboard.py`'s 50 closed-loop clients remain the saturation measure).

Meanwhile a real `lyceum worker` process ticks the simulation every second at `SPEED`
(3600x: a simulated hour per tick, a simulated day every 24 s), so every tick moves every
dashboard cache key and every simulated day brings a new forecast: the work a live
dashboard causes, not a warm cache that never changes. The server is one `lyceum serve`
process (its own ticker off). Each run measures 1 operator, then `OPERATORS` operators, for
`SECONDS` each; the figures are the median over `RUNS` runs.

Reported: request latency (send to last byte) and page latency (first request sent to the
page's last byte), p50/p95/max, X-Cache counts, and the CPU the server and the worker used.
Target (the seed's): request p95 < 100 ms and page p95 < 150 ms at 50 operators.

Run: `lyceum bench nerdboard` (DATABASE_URL / REDIS_URL, else the embedded server and a
private redis). BENCH_NERDBOARD_SCALE, BENCH_OPENLOOP_OPERATORS, _SECONDS and _RUNS make it
smaller (the smoke test does).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from _common import (
    API,
    AUTH,
    LiveServer,
    LiveWorker,
    RawHttpPool,
    Timed,
    console,
    load_history,
    machine,
    percentile,
    print_machine,
    print_table,
    redis_url,
    running_server,
    running_worker,
    scratch_database,
    simulation_running,
    summary_ms,
    timed_get,
    write_results,
)

SCALE = os.environ.get("BENCH_NERDBOARD_SCALE", "default")
OPERATORS = int(os.environ.get("BENCH_OPENLOOP_OPERATORS", "50"))
SECONDS = float(os.environ.get("BENCH_OPENLOOP_SECONDS", "60"))
RUNS = int(os.environ.get("BENCH_OPENLOOP_RUNS", "3"))
PAGE_INTERVAL = 5.0
TICK_SECONDS = 1.0
SPEED = 3600
SEED = 13
# Every read of the Nerdboard pages (the pages contract), loaded together as one "page".
DASHBOARD = (
    "/overview",
    "/simulation",
    "/capacity?days=90&granularity=day",
    "/capacity?days=182&granularity=week",
    "/forecast?weeks=8",
    "/customer-health?limit=200",
    "/quality?history=100",
)
TARGET_REQUEST_P95_MS = 100.0
TARGET_PAGE_P95_MS = 150.0


@dataclass
class Phase:
    operators: int
    requests: list[Timed] = field(default_factory=list)
    pages_ms: list[float] = field(default_factory=list)
    # (perf_counter at the page's start, its latency): when in the simulated day slow pages fall.
    pages_at: list[tuple[float, float]] = field(default_factory=list)
    started: float = 0.0
    sim_start: float = 0.0
    late_starts: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    worker_cpu: float = 0.0
    simulated_hours: float = 0.0

    @property
    def request_ms(self) -> list[float]:
        return [r.ms for r in self.requests]

    def figures(self) -> dict[str, Any]:
        errors = sum(r.status != 200 for r in self.requests)
        slowest = max(self.requests, key=lambda r: r.ms) if self.requests else None
        per_path = {
            path: {
                **summary_ms([r.ms for r in self.requests if r.path == API + path]),
                "x_cache": dict(Counter(r.x_cache for r in self.requests if r.path == API + path)),
            }
            for path in DASHBOARD
        }
        return {
            "operators": self.operators,
            "request": summary_ms(self.request_ms),
            "page": summary_ms(self.pages_ms),
            "per_endpoint": per_path,
            "errors": errors,
            "x_cache": dict(Counter(r.x_cache or "none" for r in self.requests)),
            "page_loads_started_late": self.late_starts,
            "seconds": round(self.seconds, 1),
            "requests_per_second": round(len(self.requests) / self.seconds, 1),
            "server_cpu_share_of_one_core": round(self.server_cpu / self.seconds, 3),
            "worker_cpu_share_of_one_core": round(self.worker_cpu / self.seconds, 3),
            "simulated_hours": round(self.simulated_hours, 1),
            "pages_over_target_by_simulated_hour": self.slow_pages_by_hour(),
            "slowest_request": None
            if slowest is None
            else {"path": slowest.path, "ms": round(slowest.ms, 1), "x_cache": slowest.x_cache},
        }

    def slow_pages_by_hour(self) -> dict[int, int]:
        """Pages over the page target, by the simulated hour of day they started in (the
        clock moves `SPEED` times real time; a day's data and forecast land at hour 0)."""
        hours: Counter[int] = Counter()
        for at, ms in self.pages_at:
            if ms >= TARGET_PAGE_P95_MS:
                simulated = self.sim_start + (at - self.started) * SPEED
                hours[int(simulated // 3600 % 24)] += 1
        return dict(sorted(hours.items()))


async def load_page(http: RawHttpPool, phase: Phase) -> None:
    started = time.perf_counter()
    results = await asyncio.gather(*(timed_get(http, API + path) for path in DASHBOARD))
    phase.requests.extend(results)
    elapsed_ms = (max(r.done for r in results) - started) * 1000
    phase.pages_ms.append(elapsed_ms)
    phase.pages_at.append((started, elapsed_ms))


async def operator(port: int, phase: Phase, until: float, rng: random.Random) -> None:
    http = RawHttpPool("127.0.0.1", port, AUTH, size=len(DASHBOARD))
    await http.open()
    pages: set[asyncio.Task[None]] = set()
    try:
        due = time.perf_counter() + rng.uniform(0, PAGE_INTERVAL)
        while due < until:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if time.perf_counter() - due > 0.05:
                phase.late_starts += 1  # the load generator itself fell behind
            # Open loop: not awaited here, so a slow page never delays the next one.
            task = asyncio.create_task(load_page(http, phase))
            pages.add(task)
            task.add_done_callback(pages.discard)
            due += PAGE_INTERVAL
        await asyncio.gather(*pages)
    finally:
        await http.close()


async def simulated_now(http: httpx.AsyncClient) -> float:
    state = (await http.get(f"{API}/simulation")).raise_for_status().json()
    return datetime.fromisoformat(state["current_date"].replace("Z", "+00:00")).timestamp()


async def measure_phase(
    server: LiveServer, worker: LiveWorker, http: httpx.AsyncClient, operators: int, seed: int
) -> Phase:
    phase = Phase(operators)
    port = int(server.base.rsplit(":", 1)[1])
    rng = random.Random(seed)
    sim_start = await simulated_now(http)
    server_cpu, worker_cpu = server.cpu_seconds(), worker.cpu_seconds()
    started = time.perf_counter()
    phase.started, phase.sim_start = started, sim_start
    until = started + SECONDS
    await asyncio.gather(
        *(operator(port, phase, until, random.Random(rng.random())) for _ in range(operators))
    )
    phase.seconds = time.perf_counter() - started
    phase.server_cpu = server.cpu_seconds() - server_cpu
    phase.worker_cpu = worker.cpu_seconds() - worker_cpu
    phase.simulated_hours = (await simulated_now(http) - sim_start) / 3600
    return phase


async def wait_for_ticks(http: httpx.AsyncClient, limit_seconds: float = 60.0) -> None:
    """Until the worker has ticked twice (its first tick after a start moves nothing)."""
    first = await simulated_now(http)
    deadline = time.monotonic() + limit_seconds
    while await simulated_now(http) <= first:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not tick")
        await asyncio.sleep(0.2)


async def measure(server: LiveServer, worker: LiveWorker) -> list[dict[str, Any]]:
    runs = []
    async with (
        httpx.AsyncClient(base_url=server.base, headers=AUTH, timeout=30) as http,
        simulation_running(http, SPEED),
    ):
        await wait_for_ticks(http)
        # Connections, pools, imports and the first forecast: not measured.
        warm = Phase(1)
        warm_http = RawHttpPool("127.0.0.1", int(server.base.rsplit(":", 1)[1]), AUTH, 7)
        await warm_http.open()
        await load_page(warm_http, warm)
        await warm_http.close()
        for run in range(RUNS):
            single = await measure_phase(server, worker, http, 1, SEED + run)
            many = await measure_phase(server, worker, http, OPERATORS, SEED + 100 + run)
            runs.append({"single": single, "many": many})
            console.print(
                f"run {run + 1}/{RUNS}: 1 operator page p95"
                f" {percentile(single.pages_ms, 95):.0f} ms; {OPERATORS} operators request"
                f" p95 {percentile(many.request_ms, 95):.0f} ms, page p95"
                f" {percentile(many.pages_ms, 95):.0f} ms"
            )
    return runs


def median_figure(phases: list[Phase], kind: str, pct: float) -> float:
    values = [percentile(p.request_ms if kind == "request" else p.pages_ms, pct) for p in phases]
    return round(statistics.median(values), 1)


def main() -> None:
    # Its own database name lets the smoke test run beside a full run.
    database = os.environ.get("BENCH_OPENLOOP_DATABASE", "openloop")
    with scratch_database(database) as url, redis_url() as redis:
        info = machine(url)
        history = load_history(url, SCALE)
        with (
            running_server(url, redis, worker=False) as server,
            running_worker(url, redis, tick_seconds=TICK_SECONDS) as worker,
        ):
            runs = asyncio.run(measure(server, worker))

    print_machine(info)
    print(history)
    print(
        f"server: one `lyceum serve` process; `lyceum worker` ticking every {TICK_SECONDS:g} s"
        f" at {SPEED}x; {len(DASHBOARD)} endpoints per page, every {PAGE_INTERVAL:g} s per"
        f" operator, random phase, open loop; {SECONDS:g} s per phase, {RUNS} run(s)"
    )
    rows = []
    medians: dict[str, dict[str, float]] = {}
    for label, key in (("1 operator", "single"), (f"{OPERATORS} operators", "many")):
        phases = [run[key] for run in runs]
        figures = {
            "request_p50_ms": median_figure(phases, "request", 50),
            "request_p95_ms": median_figure(phases, "request", 95),
            "page_p50_ms": median_figure(phases, "page", 50),
            "page_p95_ms": median_figure(phases, "page", 95),
        }
        medians[key] = figures
        x_cache: Counter[str] = Counter()
        for phase in phases:
            x_cache.update(r.x_cache or "none" for r in phase.requests)
        rows.append(
            [
                label,
                sum(len(p.requests) for p in phases),
                sum(len(p.pages_ms) for p in phases),
                *figures.values(),
                max(max(p.pages_ms) for p in phases),
                f"{statistics.median(p.server_cpu / p.seconds for p in phases):.0%}",
                f"{statistics.median(p.worker_cpu / p.seconds for p in phases):.0%}",
                "/".join(str(x_cache[k]) for k in ("hit", "miss", "stale")),
                sum(r.status != 200 for p in phases for r in p.requests),
            ]
        )
    print_table(
        f"dashboard under the open-loop load model (medians of {RUNS} run(s))",
        [
            "operators",
            "requests",
            "pages",
            "req p50 ms",
            "req p95 ms",
            "page p50 ms",
            "page p95 ms",
            "page max ms",
            "server CPU (1 core)",
            "worker CPU",
            "X-Cache hit/miss/stale",
            "errors",
        ],
        rows,
    )
    many = medians["many"]
    request_ok = many["request_p95_ms"] < TARGET_REQUEST_P95_MS
    page_ok = many["page_p95_ms"] < TARGET_PAGE_P95_MS
    print(
        f"target at {OPERATORS} operators: request p95 < {TARGET_REQUEST_P95_MS:.0f} ms:"
        f" {'met' if request_ok else 'NOT met'} ({many['request_p95_ms']:.0f} ms);"
        f" page p95 < {TARGET_PAGE_P95_MS:.0f} ms: {'met' if page_ok else 'NOT met'}"
        f" ({many['page_p95_ms']:.0f} ms)"
    )
    write_results(
        "openloop",
        info,
        {
            "scale": SCALE,
            "history": history,
            "load_model": {
                "operators": OPERATORS,
                "page_interval_seconds": PAGE_INTERVAL,
                "endpoints_per_page": list(DASHBOARD),
                "seconds_per_phase": SECONDS,
                "tick_seconds": TICK_SECONDS,
                "speed_multiplier": SPEED,
                "server_processes": 1,
            },
            "runs": RUNS,
            "medians": medians,
            "per_run": [
                {"single": run["single"].figures(), "many": run["many"].figures()} for run in runs
            ],
            "target": {
                "request_p95_ms_below": TARGET_REQUEST_P95_MS,
                "page_p95_ms_below": TARGET_PAGE_P95_MS,
                "applies_to": f"{OPERATORS} operators",
                "passed": request_ok and page_ok,
            },
        },
    )


if __name__ == "__main__":
    main()
