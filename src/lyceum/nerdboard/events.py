"""Simulation ticks, fanned out to every open stream of this process.

The worker sends `NOTIFY nerdboard_tick` in the transaction that writes a tick, so a
listener hears of a tick exactly when its data is visible, whichever process (or machine)
the worker runs in. Each process holds one LISTEN connection; on each tick it builds the KPI
event once and hands the same bytes to every subscriber, so 500 streams cost one query, not
500.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

TICK_CHANNEL = "nerdboard_tick"
# A subscriber further behind than this loses its oldest events, not the others' speed.
SUBSCRIBER_BACKLOG = 16

EventBuilder = Callable[[dict[str, Any]], Awaitable[bytes]]


def sse_frame(payload: bytes) -> bytes:
    """One `kpis` Server-Sent Event. The JSON payload holds no newline (orjson never writes
    one), so it fits a single `data:` line."""
    return b"event: kpis\r\ndata: " + payload + b"\r\n\r\n"


def _setter(event: asyncio.Event) -> Callable[[Any], None]:
    def set_event(_connection: Any) -> None:
        event.set()

    return set_event


class TickBroadcaster:
    """Listens for ticks on one connection and fans built events out to subscriber queues."""

    def __init__(
        self,
        engine: AsyncEngine,
        build_event: EventBuilder,
        *,
        reconnect_seconds: float = 2.0,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        self._engine = engine
        # Called as soon as a tick is heard (before the event is built): drops cached clocks.
        self._on_tick = on_tick
        self._build_event = build_event
        self._reconnect_seconds = reconnect_seconds
        self._subscribers: set[asyncio.Queue[bytes]] = set()
        self._pending: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.latest: bytes | None = None
        self.events_built = 0

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[bytes]) -> None:
        self._subscribers.discard(queue)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="nerdboard-tick-listener"),
            asyncio.create_task(self._fan_out(), name="nerdboard-tick-fan-out"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def build_now(self) -> bytes:
        """The current KPI event, for a stream that connects before the first tick."""
        event = await self._build_event({"reason": "connected", "emitted_at": time.time()})
        self.latest = self.latest or event
        return event

    def publish(self, payload: dict[str, Any]) -> None:
        """Queue a tick for fan-out (the LISTEN callback, or a test)."""
        self._pending.put_nowait(payload)

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            tick = orjson.loads(payload)
        except orjson.JSONDecodeError:
            logger.warning("ignoring a malformed tick notification: %r", payload[:200])
            return
        tick["received_at"] = time.time()
        if self._on_tick is not None:
            self._on_tick()
        self.publish(tick)

    async def _listen(self) -> None:
        while True:
            connection: AsyncConnection | None = None
            try:
                connection = await self._engine.connect()
                raw = (await connection.get_raw_connection()).driver_connection
                assert raw is not None
                closed = asyncio.Event()
                raw.add_termination_listener(_setter(closed))
                await raw.add_listener(TICK_CHANNEL, self._on_notify)
                await closed.wait()
                logger.warning("tick listener connection closed; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarting must not end the streams
                logger.warning("tick listener failed (%s); retrying", exc)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.invalidate()
                        await connection.close()
            await asyncio.sleep(self._reconnect_seconds)

    async def _fan_out(self) -> None:
        while True:
            tick = await self._pending.get()
            # Several ticks queued while one event was being built: only the newest matters,
            # but the days the skipped ones wrote are kept, so a page still learns that the
            # simulation wrote a new day (and fetches its views again).
            days = list(tick.get("days_written") or [])
            while not self._pending.empty():
                tick = self._pending.get_nowait()
                days.extend(tick.get("days_written") or [])
            if days:
                tick = {**tick, "days_written": days}
            try:
                event = await self._build_event(tick)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("building the KPI event failed; subscribers keep the last one")
                continue
            self.latest = event
            self.events_built += 1
            for queue in list(self._subscribers):
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(event)


__all__ = ["TICK_CHANNEL", "TickBroadcaster", "sse_frame"]
