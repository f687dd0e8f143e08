"""The device's sync client: push the queue in order and in batches, then pull until the
server has nothing more, retrying with exponential backoff and jitter when the network or
the server fails.

It speaks HTTP through the `httpx.AsyncClient` it is given (base URL and bearer token set),
so the same client runs against a server over the network (`lyceum adaptive sync`) or the
app in process (the tests, whose transport can drop, duplicate, delay and reorder messages).

What it guarantees, with `store.py`: an operation is marked completed only on the server's
"applied" or "duplicate"; a rejected one goes to the dead letter with the reason and the
rest go on; nothing is lost or applied twice whatever fails, because every step is either
committed locally in one transaction or repeated (the server applies by operation id).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from lyceum.adaptive import schemas
from lyceum.adaptive.device.store import DeviceStore
from lyceum.adaptive.sync import retry_delay

PUSH_PATH = "/api/adaptive/sync/push"
PULL_PATH = "/api/adaptive/sync/pull"
DEFAULT_PAGE = 1_000
# A push that the server refuses as too large is split until it fits.
MIN_BATCH = 1


class SyncUnavailable(Exception):
    """The server could not be reached or asked to come back later (try again)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SyncRefused(Exception):
    """The server refused the device itself (signed out, not a student): retrying will not
    help until a person acts."""


@dataclass
class PushSummary:
    batches: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0


@dataclass
class PullSummary:
    pages: int = 0
    changes: int = 0
    cursor: int = 0
    restarted: bool = False


@dataclass
class SyncSummary:
    push: PushSummary
    pull: PullSummary


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _check(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise SyncRefused(_detail(response) or "the server refused this device's credentials")
    if response.status_code == 429 or response.status_code >= 500:
        raise SyncUnavailable(
            f"the server answered {response.status_code}", retry_after=_retry_after(response)
        )
    if response.status_code >= 400 and response.status_code != 413:
        raise SyncRefused(f"the server answered {response.status_code}: {_detail(response)}")


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or body)[:300]
    return str(body)[:300]


class SyncClient:
    def __init__(
        self,
        store: DeviceStore,
        http: httpx.AsyncClient,
        *,
        batch_size: int = schemas.MAX_PUSH_BATCH,
        page_size: int = DEFAULT_PAGE,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.http = http
        self.batch_size = min(batch_size, schemas.MAX_PUSH_BATCH)
        self.page_size = min(page_size, schemas.MAX_PULL_PAGE)
        # Jitter, not secrecy.
        self.rng = rng or random.Random()  # noqa: S311
        self.sleep = sleep

    async def push(self) -> PushSummary:
        """Send the queue, oldest first, until nothing is waiting."""
        summary = PushSummary()
        state = await self.store.state()
        while True:
            batch = await self.store.take_batch(self.batch_size)
            if not batch.operations:
                return summary
            request = schemas.PushRequest(
                device_id=state.device_id,
                operations=batch.operations,
                pending_operations=batch.waiting_after,
                dead_letters=batch.dead_letters,
            )
            try:
                response = await self.http.post(PUSH_PATH, content=request.model_dump_json())
            except httpx.TransportError as exc:
                raise SyncUnavailable(f"push failed: {type(exc).__name__}") from exc
            if response.status_code == 413 and self.batch_size > MIN_BATCH:
                self.batch_size = max(MIN_BATCH, self.batch_size // 2)
                continue
            _check(response)
            try:
                answer = schemas.PushResponse.model_validate_json(response.content)
            except ValidationError as exc:
                raise SyncUnavailable("the server's answer to a push was unreadable") from exc
            await self.store.settle(answer.results)
            summary.batches += 1
            summary.applied += answer.applied
            summary.duplicates += answer.duplicates
            summary.rejected += answer.rejected

    async def pull(self) -> PullSummary:
        """Pull pages until the server has nothing newer."""
        summary = PullSummary()
        while True:
            state = await self.store.state()
            try:
                response = await self.http.get(
                    PULL_PATH,
                    params={
                        "device_id": state.device_id,
                        "cursor": state.cursor,
                        "limit": self.page_size,
                    },
                )
            except httpx.TransportError as exc:
                raise SyncUnavailable(f"pull failed: {type(exc).__name__}") from exc
            _check(response)
            try:
                page = schemas.PullResponse.model_validate_json(response.content)
            except ValidationError as exc:
                raise SyncUnavailable("the server's answer to a pull was unreadable") from exc
            applied = await self.store.apply_pull(page)
            summary.pages += 1
            if applied is None:
                summary.restarted = True
                continue
            summary.changes += applied
            summary.cursor = page.cursor
            if not page.has_more:
                return summary

    async def sync_once(self) -> SyncSummary:
        """Push, then pull (the pull brings back the mastery recomputed from what was pushed,
        and any retry a teacher asked for, which the next sync sends)."""
        pushed = await self.push()
        pulled = await self.pull()
        return SyncSummary(pushed, pulled)

    async def sync(self, *, max_failures: int = 8) -> SyncSummary:
        """`sync_once`, tried again after a failure with exponential backoff and jitter (the
        server's Retry-After as a floor), up to `max_failures` failures in a row."""
        failures = 0
        while True:
            try:
                summary = await self.sync_once()
            except SyncUnavailable as exc:
                failures += 1
                await self.store.note_error(str(exc))
                if failures >= max_failures:
                    raise
                await self.sleep(retry_delay(failures, self.rng, retry_after=exc.retry_after))
                continue
            await self.store.note_error(None)
            return summary

    async def watch(self, interval: float, stop: asyncio.Event) -> None:
        """Sync every `interval` seconds until `stop` is set; failures back off and go on."""
        while not stop.is_set():
            try:
                await self.sync(max_failures=1_000_000)
            except SyncRefused as exc:
                await self.store.note_error(str(exc))
                raise
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


__all__ = [
    "PULL_PATH",
    "PUSH_PATH",
    "PullSummary",
    "PushSummary",
    "SyncClient",
    "SyncRefused",
    "SyncSummary",
    "SyncUnavailable",
]
