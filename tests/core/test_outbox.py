"""The platform outbox: messages written in the caller's transaction, delivered by a sender
that marks them sent, retries failures with a growing delay and gives up after
MAX_ATTEMPTS; several senders never take the same message."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lyceum.core import outbox
from lyceum.core.settings import load_settings


@pytest.fixture
def now() -> datetime:
    """A minute ahead of the clock: what a test enqueues is due then."""
    return datetime.now(UTC) + timedelta(minutes=1)


class Recorder:
    """A transport that keeps what it is given and fails for chosen recipients."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.delivered: list[outbox.Message] = []
        self.failing = failing or set()

    async def __call__(self, message: outbox.Message) -> None:
        if message.recipient in self.failing:
            raise ConnectionError(f"mail server refused {message.recipient}")
        self.delivered.append(message)


async def _rows(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    result = await db.execute(
        text(
            "SELECT id, status, attempts, next_attempt_at, last_error, sent_at"
            " FROM lyceum.outbox WHERE id = ANY(:ids)"
        ),
        {"ids": ids},
    )
    return {row.id: row for row in result}


async def _enqueue(db: AsyncSession, recipient: str, **extra: Any) -> uuid.UUID:
    message_id = await outbox.enqueue(
        db, "email", recipient, f"Hello {recipient}", "Body", source="test", **extra
    )
    assert message_id is not None
    return message_id


async def test_enqueued_messages_are_delivered_and_marked_sent(
    db_session: AsyncSession, now: datetime
) -> None:
    first = await _enqueue(db_session, "a@example.com", reference="thing:1")
    second = await _enqueue(db_session, "b@example.com")
    later = await _enqueue(db_session, "c@example.com", deliver_after=now + timedelta(hours=1))
    transport = Recorder()

    report = await outbox.deliver_due(db_session, {"email": transport}, now=now)

    assert (report.claimed, report.sent, report.retrying, report.failed) == (2, 2, 0, 0)
    assert [m.recipient for m in transport.delivered] == ["a@example.com", "b@example.com"]
    assert transport.delivered[0].reference == "thing:1" and transport.delivered[0].attempts == 0
    rows = await _rows(db_session, [first, second, later])
    assert {rows[k].status for k in (first, second)} == {"sent"}
    assert rows[first].sent_at == now and rows[first].attempts == 1
    assert rows[later].status == "pending"
    # Sent messages are not sent again; the later one goes when it is due.
    again = await outbox.deliver_due(db_session, {"email": transport}, now=now)
    assert again.claimed == 0
    await outbox.deliver_due(db_session, {"email": transport}, now=now + timedelta(hours=2))
    assert [m.recipient for m in transport.delivered][-1] == "c@example.com"


async def test_failures_are_retried_later_then_given_up(
    db_session: AsyncSession, now: datetime
) -> None:
    bad = await _enqueue(db_session, "bounce@example.com")
    good = await _enqueue(db_session, "fine@example.com")
    transport = Recorder(failing={"bounce@example.com"})
    moment = now
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        report = await outbox.deliver_due(db_session, {"email": transport}, now=moment)
        row = (await _rows(db_session, [bad]))[bad]
        assert row.attempts == attempt
        assert row.last_error == "ConnectionError: mail server refused bounce@example.com"
        if attempt < outbox.MAX_ATTEMPTS:
            assert row.status == "pending" and report.retrying == 1
            waits.append(row.next_attempt_at - moment)
            # Not due before its delay has passed.
            early = await outbox.deliver_due(
                db_session, {"email": transport}, now=row.next_attempt_at - timedelta(seconds=1)
            )
            assert early.claimed == 0
            moment = row.next_attempt_at
        else:
            assert row.status == "failed" and report.failed == 1
    assert waits == [outbox.retry_delay(n) for n in range(1, outbox.MAX_ATTEMPTS)]
    assert waits[0] == timedelta(seconds=30) and waits[1] == timedelta(minutes=2)
    assert (await _rows(db_session, [good]))[good].status == "sent"
    # Given up: never tried again.
    much_later = now + timedelta(days=9)
    retried = await outbox.deliver_due(db_session, {"email": transport}, now=much_later)
    assert retried.claimed == 0


async def test_only_channels_with_a_transport_are_taken(
    db_session: AsyncSession, now: datetime
) -> None:
    sms = await outbox.enqueue(db_session, "sms", "+100", "Hi", "Body", source="test")
    mail = await _enqueue(db_session, "x@example.com")
    transport = Recorder()
    report = await outbox.deliver_due(db_session, {"email": transport}, now=now)
    assert report.claimed == 1
    rows = await _rows(db_session, [sms, mail])  # type: ignore[list-item]
    assert (rows[sms].status, rows[sms].attempts) == ("pending", 0)
    assert (await outbox.deliver_due(db_session, {}, now=now)).claimed == 0
    assert (
        await outbox.deliver_due(db_session, {outbox.ANY_CHANNEL: transport}, now=now)
    ).sent == 1
    assert transport.delivered[-1].channel == "sms"


async def test_a_dedupe_key_enqueues_once(db_session: AsyncSession) -> None:
    first = await outbox.enqueue(
        db_session, "email", "a@example.com", "S", "B", source="test", dedupe_key="job:42"
    )
    second = await outbox.enqueue(
        db_session, "email", "a@example.com", "S", "B", source="test", dedupe_key="job:42"
    )
    assert first is not None and second is None
    drafts = [outbox.Draft("email", f"{n}@example.com", "S", "B", "test") for n in range(3)]
    assert len(await outbox.enqueue_many(db_session, drafts)) == 3
    assert await outbox.enqueue_many(db_session, []) == []
    with pytest.raises(ValueError, match="needs a recipient"):
        await outbox.enqueue(db_session, "email", " ", "S", "B", source="test")


async def test_the_table_refuses_inconsistent_rows(db_session: AsyncSession) -> None:
    for sql in (
        "INSERT INTO lyceum.outbox (channel, recipient, subject, body, source, status)"
        " VALUES ('email', 'a@b', 's', 'b', 't', 'sent')",
        "INSERT INTO lyceum.outbox (channel, recipient, subject, body, source, status)"
        " VALUES ('email', 'a@b', 's', 'b', 't', 'lost')",
        "INSERT INTO lyceum.outbox (channel, recipient, subject, body, source)"
        " VALUES ('', 'a@b', 's', 'b', 't')",
        "INSERT INTO lyceum.outbox (channel, recipient, subject, body, source, attempts)"
        " VALUES ('email', 'a@b', 's', 'b', 't', -1)",
    ):
        with pytest.raises(IntegrityError):
            async with db_session.begin_nested():
                await db_session.execute(text(sql))


async def test_two_senders_never_take_the_same_message(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as db:
        ids = [await _enqueue(db, f"pair-{n}@example.com") for n in range(4)]
        await db.commit()
    try:
        slow_started = asyncio.Event()
        release = asyncio.Event()
        fast = Recorder()

        async def slow(message: outbox.Message) -> None:
            slow_started.set()
            await release.wait()

        async with AsyncSession(engine) as first, AsyncSession(engine) as second:
            holding = asyncio.create_task(outbox.deliver_due(first, {"email": slow}, limit=2))
            await slow_started.wait()
            # The first sender holds two messages; the second takes only the other two.
            report = await outbox.deliver_due(second, {"email": fast}, limit=10)
            await second.commit()
            release.set()
            await holding
            await first.commit()
        assert report.sent == 2 and len({m.id for m in fast.delivered} & set(ids)) == 2
        async with AsyncSession(engine) as db:
            assert {row.status for row in (await _rows(db, ids)).values()} == {"sent"}
    finally:
        async with AsyncSession(engine) as db:
            await db.execute(text("DELETE FROM lyceum.outbox WHERE id = ANY(:ids)"), {"ids": ids})
            await db.commit()


async def test_the_sender_loop_delivers_until_stopped(
    db_connection: Any, db_session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    message_id = await _enqueue(db_session, "loop@example.com")
    await db_session.commit()
    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="lyceum.core.outbox")
    loop = asyncio.create_task(
        outbox.run_sender(stop, {outbox.ANY_CHANNEL: outbox.log_transport}, poll_seconds=0.05)
    )
    for _ in range(100):
        row = (await _rows(db_session, [message_id]))[message_id]
        if row.status == "sent":
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, timeout=5)
    assert row.status == "sent"
    assert "outbox email to loop@example.com: Hello loop@example.com\nBody" in caplog.text


def test_development_logs_every_channel_and_production_configures_none() -> None:
    settings = load_settings()
    development = settings.model_copy(update={"env": "development"})
    production = settings.model_copy(update={"env": "production"})
    assert outbox.transports_for(development) == {outbox.ANY_CHANNEL: outbox.log_transport}
    assert outbox.transports_for(production) == {}
    with pytest.raises(ValueError, match="counts failed attempts from 1"):
        outbox.retry_delay(0)
