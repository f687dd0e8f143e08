"""Faults for sync tests (a helper, not tests): a network between one device and the server
that loses, repeats and holds back messages, and a switch that kills a device's process at
its K-th SQL statement.

`FaultyNetwork` wraps the transport the device's `httpx.AsyncClient` speaks through (the app
in process, `httpx.ASGITransport`). Each request takes the next fault of a script the test
sets (`plan`); an empty script delivers normally:

- `DROP`: never delivered (the client sees `httpx.ConnectError`);
- `LOSE_ANSWER`: delivered — the server commits — and the answer is lost on the way back (the
  client sees `httpx.ReadTimeout`): the server failing after its commit, before its answer;
- `DUPLICATE`: delivered twice (the client gets the second answer);
- `DELAY`: held back and delivered later, in whatever order the test picks, after newer
  messages (the client times out; the late message's answer goes nowhere).

The network outlives the device's process: a message held back when the device is killed
still arrives later, as it would on a real network.

`KillSwitch` listens to the device engine's `before_cursor_execute` and `commit` events and,
once armed with K, raises `Killed` at the K-th one from then on: the process dies between any
two statements of a transaction, or just before its COMMIT. `Killed` is a `BaseException`, so
no `except Exception` in the code under test survives it, as nothing survives SIGKILL. After
that every statement raises (a dead process does nothing more); the test abandons the engine
and opens the file again, as a restarted app would.
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class Fault(StrEnum):
    DELIVER = "deliver"
    DROP = "drop"
    LOSE_ANSWER = "lose_answer"
    DUPLICATE = "duplicate"
    DELAY = "delay"


def _copy(request: httpx.Request, body: bytes) -> httpx.Request:
    # A fresh request per delivery: the server reads each copy's body once.
    return httpx.Request(request.method, request.url, headers=request.headers, content=body)


class FaultyNetwork(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.script: deque[Fault] = deque()
        self.held: list[httpx.Request] = []
        # What happened to the requests, and every status the server answered (also the
        # answers that went nowhere): a server error under faults is a bug.
        self.faults: Counter[Fault] = Counter()
        self.statuses: Counter[int] = Counter()

    def plan(self, faults: Iterable[Fault]) -> None:
        """The faults of the next requests, in order; after them, normal delivery."""
        self.script = deque(faults)

    def heal(self) -> None:
        self.script.clear()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.script.popleft() if self.script else Fault.DELIVER
        self.faults[fault] += 1
        if fault is Fault.DROP:
            raise httpx.ConnectError("the network dropped the request", request=request)
        body = await request.aread()
        if fault is Fault.DELAY:
            self.held.append(_copy(request, body))
            raise httpx.ReadTimeout("the request is held up in the network", request=request)
        if fault is Fault.LOSE_ANSWER:
            await self._deliver_unheard(_copy(request, body))
            raise httpx.ReadTimeout("the server's answer was lost", request=request)
        if fault is Fault.DUPLICATE:
            await self._deliver_unheard(_copy(request, body))
        response = await self.inner.handle_async_request(_copy(request, body))
        self.statuses[response.status_code] += 1
        return response

    async def deliver_held(self, picks: Sequence[int]) -> int:
        """Deliver held-back requests now, each pick choosing one of those still held (so
        out of the order they were sent); returns how many were delivered."""
        delivered = 0
        for pick in picks:
            if not self.held:
                break
            await self._deliver_unheard(self.held.pop(pick % len(self.held)))
            delivered += 1
        return delivered

    async def deliver_all_held(self) -> int:
        """Deliver everything still held back, newest first (the stalest arrive last)."""
        count = len(self.held)
        while self.held:
            await self._deliver_unheard(self.held.pop())
        return count

    async def _deliver_unheard(self, request: httpx.Request) -> None:
        response = await self.inner.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        self.statuses[response.status_code] += 1

    async def aclose(self) -> None:
        await self.inner.aclose()


class Killed(BaseException):
    """The device's process died here (kill -9)."""


class KillSwitch:
    def __init__(self, engine: AsyncEngine) -> None:
        self.countdown: int | None = None
        self.dead = False
        self.kills = 0
        self._suspended = False
        # The process's open files: a killed process's handles are closed by the OS, which
        # ends its SQLite transaction and releases the file's locks at once.
        self._handles: list[Any] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before_statement)
        event.listen(engine.sync_engine, "commit", self._before_commit)
        event.listen(engine.sync_engine, "connect", self._opened)

    def arm(self, after: int) -> None:
        """Die at the `after`-th statement or COMMIT from now (0: the very next one)."""
        self.countdown = after

    def disarm(self) -> None:
        self.countdown = None

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """The test's own reads of the device's file, which are not the app's statements."""
        self._suspended = True
        try:
            yield
        finally:
            self._suspended = False

    def _tick(self, what: str) -> None:
        if self.dead:
            raise Killed(f"the process is dead ({what})")
        if self.countdown is None or self._suspended:
            return
        if self.countdown == 0:
            self.dead = True
            self.countdown = None
            self.kills += 1
            raise Killed(f"killed at {what}")
        self.countdown -= 1

    def _opened(self, dbapi_connection: Any, _record: Any) -> None:
        self._handles.append(dbapi_connection)

    async def close_handles(self) -> None:
        """What the OS does for a dead process: close every connection it had open, whether
        the pool holds it or a transaction cut short does (`dispose` closes only the former;
        the latter would hold the write lock until garbage collection)."""
        for handle in self._handles:
            with contextlib.suppress(Exception):
                await handle._connection.close()  # the aiosqlite connection under the adapter
        self._handles.clear()

    def _before_statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self._tick(statement.split(None, 1)[0] if statement else "?")

    def _before_commit(self, _conn: Any) -> None:
        self._tick("COMMIT")


__all__ = ["Fault", "FaultyNetwork", "KillSwitch", "Killed"]
