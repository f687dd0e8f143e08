"""`lyceum adaptive sync …` in process (typer's CliRunner on the real `lyceum` app) against a
local SQLite file of the test's own (SQLITE_DATABASE_URL): what a student sees of the queue
and the dead letters, and the usage errors. No server is needed: none of these reach one."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner, Result

from lyceum.adaptive.enums import SyncOperationKind, SyncStatus
from lyceum.adaptive.local import create_local_engine, create_local_schema, local_sessionmaker
from lyceum.adaptive.models import SyncOperation
from lyceum.cli.main import app

REASON = "invalid question_attempt: is_correct: Input should be a valid boolean"


@pytest.fixture
def local_db(tmp_path: Path) -> Path:
    return tmp_path / "device" / "local.db"


def lyceum(local_db: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["adaptive", "sync", *args],
        env={"SQLITE_DATABASE_URL": f"sqlite:///{local_db}", "COLUMNS": "200"},
    )


def seed_operations(local_db: Path, statuses: list[SyncStatus]) -> list[uuid.UUID]:
    """Operations in these states in the device's file (the schema made as the app makes it);
    failed ones carry the server's reason."""

    async def write() -> list[uuid.UUID]:
        engine = create_local_engine(f"sqlite:///{local_db}")
        ids = [uuid.uuid4() for _ in statuses]
        now = datetime.now(UTC)
        try:
            await create_local_schema(engine)
            async with local_sessionmaker(engine)() as db, db.begin():
                await db.execute(
                    insert(SyncOperation),
                    [
                        {
                            "id": op_id,
                            "device_id": "phone-1",
                            "entity_type": "question_attempt",
                            "entity_id": uuid.uuid4(),
                            "operation": SyncOperationKind.CREATE,
                            "payload": {},
                            "status": status,
                            "last_error": REASON if status == SyncStatus.FAILED else None,
                            "created_at": now + timedelta(seconds=n),
                            "synced_at": now if status == SyncStatus.COMPLETED else None,
                        }
                        for n, (op_id, status) in enumerate(zip(ids, statuses, strict=True))
                    ],
                )
        finally:
            await engine.dispose()
        return ids

    return asyncio.run(write())


def statuses_in(local_db: Path) -> dict[str, str]:
    with sqlite3.connect(local_db) as connection:
        rows = connection.execute("SELECT id, status FROM sync_operations").fetchall()
    return {str(uuid.UUID(hex=op_id) if len(op_id) == 32 else op_id): s for op_id, s in rows}


def test_status_on_a_fresh_device_names_it_and_counts_nothing(local_db: Path) -> None:
    result = lyceum(local_db, "status")
    assert result.exit_code == 0, result.output
    # The device id was made and kept in the new file; status prints it.
    with sqlite3.connect(local_db) as connection:
        (device_id,) = connection.execute("SELECT device_id FROM sync_state").fetchone()
    assert f"device {device_id}, student -, server -" in result.output
    assert "waiting 0 (sent, answer not received: 0), completed 0, dead letters 0" in result.output
    assert "cursor 0; last push never; last pull never" in result.output
    assert "dead letter " not in result.output
    # The same device the next time.
    again = lyceum(local_db, "status")
    assert f"device {device_id}," in again.output


def test_sync_before_signing_in_is_a_usage_error(local_db: Path) -> None:
    for args in ([], ["--once"]):
        result = lyceum(local_db, *args)
        assert result.exit_code == 2, result.output
        assert "not signed in" in result.output
        assert "lyceum adaptive sync login" in result.output


def test_once_and_watch_together_is_a_usage_error(local_db: Path) -> None:
    result = lyceum(local_db, "--once", "--watch")
    assert result.exit_code == 2
    assert "not both" in result.output
    # Refused before anything was opened.
    assert not local_db.exists()


def test_retry_with_a_malformed_id_is_a_usage_error(local_db: Path) -> None:
    ids = seed_operations(local_db, [SyncStatus.FAILED])
    result = lyceum(local_db, "retry", "not-an-id")
    assert result.exit_code == 2
    assert "operation ids are UUIDs" in result.output
    # Nothing moved.
    assert statuses_in(local_db) == {str(ids[0]): "failed"}


def test_status_lists_dead_letters_and_retry_puts_them_back(local_db: Path) -> None:
    ids = seed_operations(
        local_db,
        [SyncStatus.FAILED, SyncStatus.FAILED, SyncStatus.COMPLETED, SyncStatus.PENDING],
    )
    status = lyceum(local_db, "status")
    assert status.exit_code == 0, status.output
    assert "waiting 1 (sent, answer not received: 0), completed 1, dead letters 2" in status.output
    for op_id in ids[:2]:
        assert f"dead letter {op_id} question_attempt/create: {REASON}" in status.output
    assert str(ids[2]) not in status.output

    # One by id: only that one moves.
    one = lyceum(local_db, "retry", str(ids[0]))
    assert one.exit_code == 0, one.output
    assert "1 dead letter(s) back in the queue" in one.output
    after = lyceum(local_db, "status")
    assert "waiting 2 (sent, answer not received: 0), completed 1, dead letters 1" in after.output
    assert f"dead letter {ids[0]}" not in after.output
    assert f"dead letter {ids[1]}" in after.output

    # The rest; a second retry finds none.
    rest = lyceum(local_db, "retry")
    assert "1 dead letter(s) back in the queue" in rest.output
    assert "0 dead letter(s)" in lyceum(local_db, "retry").output
    assert statuses_in(local_db) == {
        str(ids[0]): "pending", str(ids[1]): "pending", str(ids[2]): "completed",
        str(ids[3]): "pending",
    }  # fmt: skip
    final = lyceum(local_db, "status")
    assert "waiting 3 (sent, answer not received: 0), completed 1, dead letters 0" in final.output
