"""The tick broadcaster: ticks that queue up while an event is being built are coalesced into
one event, which still carries every simulated day they wrote."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from lyceum.nerdboard.events import TickBroadcaster


async def test_coalesced_ticks_keep_the_days_they_wrote(engine: AsyncEngine) -> None:
    built: list[dict[str, Any]] = []
    first_build_may_finish = asyncio.Event()

    async def build(tick: dict[str, Any]) -> bytes:
        if not built:
            built.append(tick)
            await first_build_may_finish.wait()
        else:
            built.append(tick)
        return orjson.dumps(tick)

    broadcaster = TickBroadcaster(engine, build)
    queue = broadcaster.subscribe()
    await broadcaster.start()
    try:
        broadcaster.publish({"current_date": "2026-09-01T00:00:00Z", "days_written": []})
        await asyncio.sleep(0.05)  # the first event is being built
        # Three ticks arrive meanwhile; only the middle one wrote a day.
        broadcaster.publish({"current_date": "2026-09-01T06:00:00Z", "days_written": []})
        broadcaster.publish(
            {"current_date": "2026-09-02T01:00:00Z", "days_written": ["2026-09-01"]}
        )
        broadcaster.publish({"current_date": "2026-09-02T02:00:00Z", "days_written": []})
        first_build_may_finish.set()
        events = [orjson.loads(await asyncio.wait_for(queue.get(), 5)) for _ in range(2)]
    finally:
        await broadcaster.stop()
    assert len(built) == 2  # the three queued ticks became one event
    assert events[1]["current_date"] == "2026-09-02T02:00:00Z"
    assert events[1]["days_written"] == ["2026-09-01"]
