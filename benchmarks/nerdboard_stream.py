"""Live stream: SSE per-event delivery latency with 1, 50 and 500 concurrent streams, and what
the open streams cost the dashboard.

A real `lyceum serve` runs the simulation worker (tick 1 s, speed 3600: a simulated day every
24 ticks) on a scratch database with a generated history. For each N, the streams are opened
on one `httpx.AsyncClient` (httpx_sse), then:
- for TICKS ticks (default 24, so each window holds one day's write) every event's delay =
  client receive time - `tick.emitted_at` (worker's clock at NOTIFY, same machine);
  `tick.received_at` splits off the notification (worker -> listener) from the rest (build
  the KPI event once, fan out, HTTP, client);
- with the streams still open, sequential GET /overview for OVERVIEW_SECONDS.

The seed's "50+ streams without degradation (< 5 % latency increase)" cannot hold for a delay
of a few ms against a 1-stream baseline; as /work/shared/ARCHITECTURE.md ("SSE") says, it is
judged as (i) /overview p95 with N streams open against none (measured before and after the
windows, pooled) and (ii) the event p95's increase over 1 stream as % of the tick interval.
The absolute delays and the raw % increase are printed beside them.

Run: `lyceum bench nerdboard`. BENCH_NERDBOARD_SCALE, BENCH_STREAM_TICKS: scale, window.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import orjson
from httpx_sse import aconnect_sse

import _common as bench

SCALE = os.environ.get("BENCH_NERDBOARD_SCALE", "default")
TICK_SECONDS = 1.0
SPEED = 3600
STREAMS = (1, 50, 500)
TICKS = int(os.environ.get("BENCH_STREAM_TICKS", "24"))
OVERVIEW_SECONDS = 10.0
OVERVIEW_GAP_SECONDS = 0.02
TARGET_PCT = 5.0


class Streams:
    """N open streams. Every event after the first ('connected') is kept raw and parsed at
    the end, so parsing 500 payloads does not delay the receive time of the next stream's."""

    def __init__(self, http: httpx.AsyncClient, count: int) -> None:
        self.http = http
        self.count = count
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.started = float("inf")
        self.raw: list[tuple[float, str]] = []
        self.ticks_seen = 0
        self.enough_ticks = asyncio.Event()
        self.tasks = [asyncio.create_task(self._consume(i)) for i in range(count)]

    async def _consume(self, index: int) -> None:
        async with aconnect_sse(self.http, "GET", f"{bench.API}/stream") as source:
            first = True
            async for sse in source.aiter_sse():
                received = time.time()
                if first:
                    first = False
                    self.connected += 1
                    if self.connected == self.count:
                        self.all_connected.set()
                    continue
                self.raw.append((received, sse.data))
                if index == 0 and received > self.started:
                    self.ticks_seen += 1
                    if self.ticks_seen >= TICKS:
                        self.enough_ticks.set()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def delays(raw: list[tuple[float, str]], start: float, stop: float) -> dict[str, Any]:
    """Events of the ticks emitted in [start, stop]; later deliveries of those ticks count
    (the streams stay open and recording while the dashboard is measured)."""
    total, notify, rest = [], [], []
    ticks: set[float] = set()
    day_ticks: set[float] = set()
    for received, data in raw:
        tick = orjson.loads(data)["tick"]
        if not start < tick["emitted_at"] <= stop:
            continue
        ticks.add(tick["emitted_at"])
        total.append((received - tick["emitted_at"]) * 1000)
        if "received_at" in tick:
            notify.append((tick["received_at"] - tick["emitted_at"]) * 1000)
            rest.append((received - tick["received_at"]) * 1000)
        if tick.get("days_written"):
            day_ticks.add(tick["emitted_at"])
    return {
        "ticks": len(ticks),
        "events": len(total),
        "delivery": bench.summary_ms(total),
        "notify_to_listener": bench.summary_ms(notify),
        "listener_to_client": bench.summary_ms(rest),
        "day_ticks": len(day_ticks),
    }


def overview_summary(samples: list[tuple[float, str]]) -> dict[str, Any]:
    x_cache = Counter(header for _ms, header in samples)
    return {**bench.summary_ms([ms for ms, _header in samples]), "x_cache": dict(x_cache)}


async def overview_requests(server: bench.LiveServer) -> list[tuple[float, str]]:
    """Sequential GET /overview (ms, X-Cache), the stream-free request, for OVERVIEW_SECONDS."""
    samples: list[tuple[float, str]] = []
    async with httpx.AsyncClient(base_url=server.base, headers=bench.AUTH, timeout=30) as http:
        deadline = time.monotonic() + OVERVIEW_SECONDS
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = (await http.get(f"{bench.API}/overview")).raise_for_status()
            ms = (time.perf_counter() - started) * 1000
            samples.append((ms, response.headers.get("x-cache", "none")))
            await asyncio.sleep(OVERVIEW_GAP_SECONDS)
    return samples


async def window(server: bench.LiveServer, count: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=count + 10, max_keepalive_connections=count + 10)
    timeout = httpx.Timeout(60, read=60)
    async with httpx.AsyncClient(
        base_url=server.base, headers=bench.AUTH, limits=limits, timeout=timeout
    ) as http:
        streams = Streams(http, count)
        try:
            await asyncio.wait_for(streams.all_connected.wait(), timeout=120)
            cpu = (server.cpu_seconds(), time.process_time(), time.perf_counter())
            streams.started = time.time()
            await asyncio.wait_for(streams.enough_ticks.wait(), timeout=TICKS * 5 + 30)
            stopped = time.time()
            elapsed = time.perf_counter() - cpu[2]
            server_cpu = (server.cpu_seconds() - cpu[0]) / elapsed * 100
            client_cpu = (time.process_time() - cpu[1]) / elapsed * 100
            overview = overview_summary(await overview_requests(server))
        finally:
            await streams.close()
    await asyncio.sleep(2)  # let the server drop the closed streams
    result = delays(streams.raw, streams.started, stopped)
    return {
        "streams": count,
        **result,
        "events_expected": result["ticks"] * count,
        "overview_with_streams_open": overview,
        "server_cpu_pct": round(server_cpu),
        "client_cpu_pct": round(client_cpu),
    }


async def measure(server: bench.LiveServer) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with (
        httpx.AsyncClient(base_url=server.base, headers=bench.AUTH, timeout=30) as http,
        bench.simulation_running(http, SPEED),
    ):
        await asyncio.sleep(5 * TICK_SECONDS)  # the worker's first ticks load the market
        before = await overview_requests(server)
        windows = [await window(server, count) for count in STREAMS]
        baseline = overview_summary(before + await overview_requests(server))
    return baseline, windows


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it
    with bench.scratch_database("stream") as url, bench.redis_url() as redis:
        info = bench.machine(url)
        history = bench.load_history(url, SCALE)
        with bench.running_server(url, redis, worker=True, tick_seconds=TICK_SECONDS) as server:
            baseline, windows = asyncio.run(measure(server))

    bench.print_machine(info)
    print(history)
    print(f"tick {TICK_SECONDS:.1f} s, speed {SPEED}x, {TICKS} ticks per window, one client")
    one, tick_ms, base95 = windows[0]["delivery"], TICK_SECONDS * 1000, baseline["p95_ms"]
    rows: list[list[object]] = [[0, *[""] * 6, base95, bench.hit_miss(baseline["x_cache"]), ""]]
    verdicts: dict[str, dict[str, Any]] = {}
    for w in windows:
        d, o = w["delivery"], w["overview_with_streams_open"]
        rows.append([
            w["streams"], f"{w['events']:,}/{w['events_expected']:,}",
            f"{d['p50_ms']:.1f} ({bench.pct_increase(d['p50_ms'], one['p50_ms']):+.0f} %)",
            f"{d['p95_ms']:.1f} ({bench.pct_increase(d['p95_ms'], one['p95_ms']):+.0f} %)",
            d["max_ms"], w["notify_to_listener"]["p50_ms"], f"{d['p95_ms'] / tick_ms:.1%}",
            f"{o['p95_ms']:.1f} ({bench.pct_increase(o['p95_ms'], base95):+.0f} %)",
            bench.hit_miss(o["x_cache"]), f"{w['server_cpu_pct']} / {w['client_cpu_pct']} %",
        ])  # fmt: skip
        dashboard = round(bench.pct_increase(o["p95_ms"], base95), 1)
        lateness = round((d["p95_ms"] - one["p95_ms"]) / tick_ms * 100, 2)
        verdicts[str(w["streams"])] = {
            "overview_p95_increase_pct": dashboard,
            "event_p95_increase_pct_of_tick": lateness,
            "event_p95_pct_of_tick": round(d["p95_ms"] / tick_ms * 100, 2),
            "raw_event_p95_increase_pct": round(bench.pct_increase(d["p95_ms"], one["p95_ms"]), 1),
            "passed": dashboard < TARGET_PCT and lateness < TARGET_PCT,
        }
    bench.print_table(
        "SSE delay = client receive - tick.emitted_at (% vs 1 stream); GET /overview p95 with"
        " the streams open (% vs none)",
        ["streams", "events/exp.", "p50 ms", "p95 ms", "max ms", "notify p50 ms",
         "p95 of tick", "/overview p95 ms", "X-Cache hit/miss", "CPU srv/client"],
        rows,
    )  # fmt: skip
    for count, judged in list(verdicts.items())[1:]:
        print(
            f"{count} streams: (i) /overview p95 {judged['overview_p95_increase_pct']:+.1f} % vs"
            f" none; (ii) event p95 {judged['event_p95_increase_pct_of_tick']:+.2f} % of the tick"
            f" vs 1 stream (raw {judged['raw_event_p95_increase_pct']:+.0f} %) -> both"
            f" < {TARGET_PCT:.0f} %: {'PASS' if judged['passed'] else 'FAIL'}"
        )
    passed = bool(verdicts["50"]["passed"])
    bench.write_results(
        "stream",
        info,
        {
            "scale": SCALE,
            "history": history,
            "tick_seconds": TICK_SECONDS,
            "speed_multiplier": SPEED,
            "ticks_per_window": TICKS,
            "overview_baseline_no_streams": baseline,
            "windows": windows,
            "judged": verdicts,
            "target": {"pct_below": TARGET_PCT, "judged_at_streams": 50, "passed": passed},
        },
    )


if __name__ == "__main__":
    main()
