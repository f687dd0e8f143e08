"""The outbox: messages (emails, chat posts) written in the transaction of the change they
announce, and delivered afterwards by a sender. Any app uses it.

Writing the message in the same transaction as the change is the point: a rolled-back change
sends nothing, a committed one is never forgotten, and nobody waits on a mail server inside
a request. Delivery is at least once: a sender that dies after handing a message over but
before recording it sends it again on the next pass, so a transport that can should dedupe
on the message id.

- `enqueue(db, channel, recipient, subject, body, source=...)` (and `enqueue_many`) only
  flush, like any service code; the edge's commit is what releases the message.
  `dedupe_key` makes a retried job's second enqueue a no-op.
- `deliver_due(db, transports)` takes due pending messages (`FOR UPDATE SKIP LOCKED`, so
  several senders share the work and never send one twice at once), hands each to its
  channel's transport and records the result: `sent`, or another attempt after a growing
  delay (`retry_delay`: 30 s, 2 min, 8 min, 32 min, about 2 h), `failed` after
  `MAX_ATTEMPTS`, with the last error kept for people.
- `run_sender` loops `deliver_due` until stopped: `lyceum worker` runs it beside the jobs
  (`sender_running`); `lyceum outbox deliver` runs one pass.
- Transports: in development and test every channel goes to the log (`log_transport`), so
  a developer sees what would be sent. Elsewhere no transport is configured yet: messages
  wait, pending, until one is (`transports` is a mapping, channel -> async callable; `"*"`
  is the fallback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.db.session import session
from lyceum.core.settings import Settings

logger = logging.getLogger(__name__)

ANY_CHANNEL = "*"
EMAIL = "email"
MAX_ATTEMPTS = 6
FIRST_RETRY_SECONDS = 30
RETRY_GROWTH = 4
SEND_TIMEOUT_SECONDS = 30.0
DEFAULT_BATCH = 100
DEFAULT_POLL_SECONDS = 5.0
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Draft:
    """A message to enqueue."""

    channel: str
    recipient: str
    subject: str
    body: str
    source: str
    reference: str | None = None
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A message as a transport receives it."""

    id: uuid.UUID
    channel: str
    recipient: str
    subject: str
    body: str
    source: str
    reference: str | None
    # Attempts before this one.
    attempts: int
    created_at: datetime


Transport = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _check(draft: Draft) -> None:
    for name in ("channel", "recipient", "subject", "source"):
        if not getattr(draft, name).strip():
            raise ValueError(f"an outbox message needs a {name}")


_INSERT = text("""
    INSERT INTO lyceum.outbox
        (channel, recipient, subject, body, source, reference, dedupe_key, next_attempt_at)
    SELECT d.channel, d.recipient, d.subject, d.body, d.source, d.reference, d.dedupe_key,
           COALESCE(d.deliver_after, now())
    FROM unnest(
        CAST(:channels AS text[]), CAST(:recipients AS text[]), CAST(:subjects AS text[]),
        CAST(:bodies AS text[]), CAST(:sources AS text[]), CAST(:references AS text[]),
        CAST(:dedupe_keys AS text[]), CAST(:deliver_after AS timestamptz[])
    ) AS d(channel, recipient, subject, body, source, reference, dedupe_key, deliver_after)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
""")


async def enqueue_many(
    db: AsyncSession, drafts: Sequence[Draft], *, deliver_after: datetime | None = None
) -> list[uuid.UUID]:
    """Write the messages in the caller's transaction (one statement); returns the ids of
    those written (a draft whose `dedupe_key` is already taken is skipped)."""
    if not drafts:
        return []
    for draft in drafts:
        _check(draft)
    result = await db.execute(
        _INSERT,
        {
            "channels": [d.channel for d in drafts],
            "recipients": [d.recipient for d in drafts],
            "subjects": [d.subject for d in drafts],
            "bodies": [d.body for d in drafts],
            "sources": [d.source for d in drafts],
            "references": [d.reference for d in drafts],
            "dedupe_keys": [d.dedupe_key for d in drafts],
            "deliver_after": [deliver_after] * len(drafts),
        },
    )
    return [row.id for row in result]


async def enqueue(
    db: AsyncSession,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    *,
    source: str,
    reference: str | None = None,
    dedupe_key: str | None = None,
    deliver_after: datetime | None = None,
) -> uuid.UUID | None:
    """Write one message in the caller's transaction; None when `dedupe_key` was taken."""
    ids = await enqueue_many(
        db,
        [Draft(channel, recipient, subject, body, source, reference, dedupe_key)],
        deliver_after=deliver_after,
    )
    return ids[0] if ids else None


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s, then four times longer
    each time (a mail server that is down for an hour is retried, not hammered)."""
    if attempts < 1:
        raise ValueError("retry_delay counts failed attempts from 1")
    return timedelta(seconds=FIRST_RETRY_SECONDS * RETRY_GROWTH ** (attempts - 1))


_CLAIM = """
    SELECT id, channel, recipient, subject, body, source, reference, attempts, created_at
    FROM lyceum.outbox
    WHERE status = 'pending'
      AND next_attempt_at <= COALESCE(CAST(:now AS timestamptz), now()) {channels}
    ORDER BY next_attempt_at, created_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
"""
_MARK_SENT = text("""
    UPDATE lyceum.outbox
    SET status = 'sent', sent_at = COALESCE(CAST(:now AS timestamptz), now()),
        attempts = attempts + 1, last_error = NULL
    WHERE id = ANY(CAST(:ids AS uuid[]))
""")
_MARK_FAILED = text("""
    UPDATE lyceum.outbox AS o
    SET attempts = o.attempts + 1, last_error = f.error,
        status = CASE WHEN f.final THEN 'failed' ELSE 'pending' END,
        next_attempt_at = f.next_attempt_at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:errors AS text[]),
                CAST(:next_attempts AS timestamptz[]), CAST(:finals AS boolean[]))
         AS f(id, error, next_attempt_at, final)
    WHERE o.id = f.id
""")


def _error_text(exc: BaseException) -> str:
    words = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {words}"[:MAX_ERROR_CHARS]


async def deliver_due(
    db: AsyncSession,
    transports: Mapping[str, Transport],
    *,
    limit: int = DEFAULT_BATCH,
    now: datetime | None = None,
) -> DeliveryReport:
    """Deliver up to `limit` due messages of the channels `transports` serves, and record
    each result. Only flushes: the caller commits (releasing the claimed rows)."""
    if not transports:
        return DeliveryReport()
    params: dict[str, object] = {"now": now, "limit": limit}
    channels = ""
    if ANY_CHANNEL not in transports:
        channels = "AND channel = ANY(CAST(:channels AS text[]))"
        params["channels"] = sorted(transports)
    rows = (await db.execute(text(_CLAIM.format(channels=channels)), params)).all()
    sent: list[uuid.UUID] = []
    failures: list[tuple[uuid.UUID, str, int]] = []
    for row in rows:
        message = Message(**row._mapping)
        transport = transports.get(message.channel) or transports[ANY_CHANNEL]
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await transport(message)
        except Exception as exc:  # any transport failure is retried, never fatal to a batch
            logger.warning(
                "outbox: %s to %s failed (attempt %d): %s",
                message.channel,
                message.recipient,
                message.attempts + 1,
                exc,
            )
            failures.append((message.id, _error_text(exc), message.attempts + 1))
        else:
            sent.append(message.id)
    if sent:
        await db.execute(_MARK_SENT, {"ids": sent, "now": now})
    if failures:
        clock = now or (await db.execute(text("SELECT now()"))).scalar_one()
        await db.execute(
            _MARK_FAILED,
            {
                "ids": [failure[0] for failure in failures],
                "errors": [failure[1] for failure in failures],
                "next_attempts": [clock + retry_delay(attempt) for _, _, attempt in failures],
                "finals": [attempt >= MAX_ATTEMPTS for _, _, attempt in failures],
            },
        )
    await db.flush()
    gave_up = sum(1 for _, _, attempt in failures if attempt >= MAX_ATTEMPTS)
    return DeliveryReport(
        claimed=len(rows), sent=len(sent), retrying=len(failures) - gave_up, failed=gave_up
    )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A stored message, for people looking at the outbox."""

    id: uuid.UUID
    channel: str
    recipient: str
    subject: str
    source: str
    reference: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


_LIST = """
    SELECT id, channel, recipient, subject, source, reference, status, attempts,
           next_attempt_at, last_error, created_at, sent_at
    FROM lyceum.outbox {where}
    ORDER BY created_at DESC, id
    LIMIT :limit
"""


async def list_messages(
    db: AsyncSession, *, status: str | None = None, limit: int = 50
) -> list[OutboxRow]:
    """The newest messages first, optionally in one status."""
    where = "WHERE status = :status" if status is not None else ""
    rows = await db.execute(text(_LIST.format(where=where)), {"status": status, "limit": limit})
    return [OutboxRow(**row._mapping) for row in rows]


# ---- transports ------------------------------------------------------------------------


async def log_transport(message: Message) -> None:
    """Development's delivery: the message, whole, in the log."""
    logger.info(
        "outbox %s to %s: %s\n%s", message.channel, message.recipient, message.subject, message.body
    )


def transports_for(settings: Settings) -> dict[str, Transport]:
    """Where messages go in this environment (see the module docstring)."""
    if settings.env in ("development", "test"):
        return {ANY_CHANNEL: log_transport}
    return {}


# ---- the sender loop ------------------------------------------------------------------


async def run_sender(
    stop: asyncio.Event,
    transports: Mapping[str, Transport],
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    batch: int = DEFAULT_BATCH,
) -> None:
    """Deliver due messages until `stop` is set: a full batch is followed at once by the
    next, otherwise the loop sleeps `poll_seconds`. A failing pass (the database away) is
    logged and tried again after the pause."""
    if not transports:
        logger.warning(
            "outbox: no transport is configured in this environment; messages wait in "
            "lyceum.outbox until one is"
        )
        return
    while not stop.is_set():
        report = DeliveryReport()
        try:
            async with session() as db:
                report = await deliver_due(db, transports, limit=batch)
        except Exception:
            logger.exception("outbox: a delivery pass failed; trying again shortly")
        if report.sent or report.retrying or report.failed:
            logger.info(
                "outbox: %d sent, %d to retry, %d failed",
                report.sent,
                report.retrying,
                report.failed,
            )
        if report.claimed >= batch:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)


@contextlib.asynccontextmanager
async def sender_running(settings: Settings) -> AsyncIterator[None]:
    """`run_sender` as a background task for the duration of the block (`lyceum worker`)."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_sender(stop, transports_for(settings)), name="outbox-sender")
    try:
        yield
    finally:
        stop.set()
        await task


__all__ = [
    "ANY_CHANNEL",
    "EMAIL",
    "MAX_ATTEMPTS",
    "DeliveryReport",
    "Draft",
    "Message",
    "OutboxRow",
    "Transport",
    "deliver_due",
    "enqueue",
    "enqueue_many",
    "list_messages",
    "log_transport",
    "retry_delay",
    "run_sender",
    "sender_running",
    "transports_for",
]
