"""Nerdboard as a user runs it: a real `lyceum serve` process and a real `lyceum worker` (the
simulation ticker and the job queue), a real HTTP client on the SSE stream, and a restart in
the middle.

Uses a database of its own (committed data: the server is another process).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from httpx_sse import aconnect_sse
from sqlalchemy.engine import URL

from lyceum.core.db.url import drop_database
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN
from tests.cli.test_cli import lyceum
from tests.fixtures.live import LiveServer, live_environment

pytestmark = pytest.mark.slow

DEMO = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
API = "/api/nerdboard"


@pytest.fixture(scope="module")
def live(database_url: URL, redis_url: str) -> Iterator[LiveServer]:
    url, env = live_environment(database_url, redis_url, "live", 0.2)
    for args in (["db", "upgrade"], ["generate", "nerdboard", "--scale", "small", "--months", "3"]):
        done = lyceum(*args, env=env)
        assert done.returncode == 0, done.stderr
    server = LiveServer(env)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        drop_database(url)


async def test_stream_pushes_kpis_as_the_simulation_advances(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.base, headers=DEMO, timeout=30) as http:
        await http.put(f"{API}/simulation/speed", json={"speed_multiplier": 86_400})
        events: list[dict[str, object]] = []
        async with aconnect_sse(http, "GET", f"{API}/stream") as source:
            assert source.response.headers["content-type"].startswith("text/event-stream")
            started = False
            async for sse in source.aiter_sse():
                assert sse.event == "kpis"
                events.append(orjson.loads(sse.data))
                if not started:
                    assert (await http.post(f"{API}/simulation/start")).status_code == 200
                    started = True
                days = [d for e in events for d in e["tick"].get("days_written", [])]  # type: ignore[union-attr]
                if len(days) >= 2:
                    break
        await http.post(f"{API}/simulation/pause")
    as_of = [e["overview"]["as_of"] for e in events]  # type: ignore[index]
    assert as_of == sorted(as_of) and as_of[-1] > as_of[0]
    latencies = [
        e["tick"]["received_at"] - e["tick"]["emitted_at"]  # type: ignore[index,operator]
        for e in events
        if "received_at" in e["tick"]  # type: ignore[operator]
    ]
    assert latencies and max(latencies) < 5.0


async def test_a_restart_resumes_the_clock_where_it_stopped(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.base, headers=DEMO, timeout=30) as http:
        await http.put(f"{API}/simulation/speed", json={"speed_multiplier": 86_400})
        await http.post(f"{API}/simulation/start")
        deadline = time.monotonic() + 20
        before = (await http.get(f"{API}/simulation")).json()
        while time.monotonic() < deadline:
            now = (await http.get(f"{API}/simulation")).json()
            if now["current_date"] > before["current_date"]:
                break
            await asyncio.sleep(0.2)
        # A hard kill of the API and the worker mid-run: whatever tick was in flight rolls back.
        live.stop(signal.SIGKILL)
    live.start()
    async with httpx.AsyncClient(base_url=live.base, headers=DEMO, timeout=30) as http:
        after_restart = (await http.get(f"{API}/simulation")).json()
        assert after_restart["is_running"] is True
        assert after_restart["current_date"] >= now["current_date"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            later = (await http.get(f"{API}/simulation")).json()
            if later["current_date"] > after_restart["current_date"]:
                break
            await asyncio.sleep(0.2)
        assert later["current_date"] > after_restart["current_date"]
        await http.post(f"{API}/simulation/pause")
        quality = (await http.get(f"{API}/quality")).json()
        assert quality["checks"] and quality["overall_score"] is not None


async def test_reset_from_the_api_rebuilds_the_history(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.base, headers=DEMO, timeout=30) as http:
        await http.put(f"{API}/simulation/speed", json={"speed_multiplier": 86_400})
        await http.post(f"{API}/simulation/start")
        await asyncio.sleep(1.5)
        accepted = await http.post(f"{API}/simulation/reset")
        assert accepted.status_code == 202
        assert accepted.json()["status"] == "resetting"
        # One at a time: the first is still queued or running in the worker.
        assert (await http.post(f"{API}/simulation/reset")).status_code == 409
        deadline = time.monotonic() + 60
        state = (await http.get(f"{API}/simulation")).json()
        while time.monotonic() < deadline and not (state["last_event"] or "").startswith(
            "reset by demo"
        ):
            await asyncio.sleep(0.3)
            state = (await http.get(f"{API}/simulation")).json()
        assert state["last_event"].startswith("reset by demo")
        assert state["is_running"] is False
        assert state["current_date"].startswith("2026-08-31T00:00:00")
        viewer = await http.post(
            f"{API}/simulation/reset", headers={"Authorization": "Bearer not-a-token"}
        )
        assert viewer.status_code == 401
