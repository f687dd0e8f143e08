"""What `lyceum adaptive sync …` does, apart from the terminal: sign the device in, run one
sync or keep syncing, report the queue and dead letters, retry dead letters. The CLI module
(`cli.py`) only parses arguments and prints."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import jwt

from lyceum.adaptive.device.client import SyncClient, SyncRefused, SyncSummary
from lyceum.adaptive.device.store import DeviceState, DeviceStore, QueueCounts
from lyceum.adaptive.local import create_local_engine, create_local_schema
from lyceum.adaptive.models import SyncOperation

LOGIN_PATH = "/api/auth/login"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class NotSignedIn(Exception):
    """The device has no server or token yet."""


@asynccontextmanager
async def open_store(sqlite_url: str) -> AsyncIterator[DeviceStore]:
    engine = create_local_engine(sqlite_url)
    try:
        await create_local_schema(engine)
        yield DeviceStore(engine)
    finally:
        await engine.dispose()


async def sign_in(sqlite_url: str, server: str, email: str, password: str) -> DeviceState:
    """Sign in at `server` as a student and keep the token on the device."""
    async with httpx.AsyncClient(base_url=server, timeout=TIMEOUT) as http:
        response = await http.post(LOGIN_PATH, json={"email": email, "password": password})
    if response.status_code != 200:
        raise SyncRefused(f"sign-in failed ({response.status_code}): {response.text[:200]}")
    token = response.json()["access_token"]
    # The token is the server's to check; the device only reads whose it is.
    claims = jwt.decode(token, options={"verify_signature": False})
    async with open_store(sqlite_url) as store:
        await store.sign_in(server, token, uuid.UUID(claims["sub"]))
        return await store.state()


@dataclass(frozen=True)
class Status:
    state: DeviceState
    counts: QueueCounts
    dead_letters: list[SyncOperation]


async def status(sqlite_url: str) -> Status:
    async with open_store(sqlite_url) as store:
        return Status(await store.state(), await store.counts(), await store.dead_letters())


async def retry(sqlite_url: str, operation_ids: list[uuid.UUID] | None) -> int:
    async with open_store(sqlite_url) as store:
        return await store.retry(operation_ids)


@asynccontextmanager
async def _client(store: DeviceStore) -> AsyncIterator[SyncClient]:
    state = await store.state()
    if not state.server_url or not state.token:
        raise NotSignedIn("this device is not signed in: run `lyceum adaptive sync login` first")
    headers = {"Authorization": f"Bearer {state.token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=state.server_url, headers=headers,
                                 timeout=TIMEOUT) as http:  # fmt: skip
        yield SyncClient(store, http)


async def sync_once(sqlite_url: str, max_failures: int = 8) -> SyncSummary:
    async with open_store(sqlite_url) as store, _client(store) as client:
        return await client.sync(max_failures=max_failures)


async def watch(sqlite_url: str, interval: float) -> None:
    """Sync every `interval` seconds until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_store(sqlite_url) as store, _client(store) as client:
        await client.watch(interval, stop)


__all__ = [
    "NotSignedIn",
    "Status",
    "open_store",
    "retry",
    "sign_in",
    "status",
    "sync_once",
    "watch",
]
