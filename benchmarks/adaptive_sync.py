"""The adaptive app's offline sync (issue 17): how fast the server applies pushed practice,
against a plain COPY of the same rows; how long a device takes to pull 10,000 changes; and
one sync of a device that practised offline for a month.

Setup (untimed). A scratch database `lyceum_bench_adaptive_sync`, migrated to head with
Alembic (`lyceum db upgrade`) and loaded with `lyceum generate adaptive --scale small` (30
students in 2 classes, 590 questions, ~30,000 attempts of 12 months, all of it in the change
log through the migration's triggers). The app is built in this process
(`lyceum.web.app.create_app`, its lifespan running: the engines, the cache) and spoken to
through `httpx.ASGITransport`, with a student's bearer token as a device holds one.

Measured, each run:

(a) server apply throughput: BENCH_ADAPTIVE_STUDENTS (20) students x BENCH_ADAPTIVE_ATTEMPTS
    (2,000) `question_attempt`/`create` operations each, pushed in batches of 500 (the wire
    maximum), the students' batches in turn, through the real push service
    (`service.sync_push.push`), one transaction per push committed as the HTTP edge does:
    ledger, checks, bulk insert, the change-log trigger, mastery recomputed from every
    attempt of each touched (student, concept). Target >= 5,000 operations/s. The same
    operations (fresh ids) are pushed again through HTTP: POST /api/adaptive/sync/push on
    the app in process, bodies serialised beforehand (the device's work), so the figure adds
    request parsing, validation and the answer's serialisation.
(b) same-run baseline: the same attempt rows (fresh ids) COPYed into question_attempts
    (asyncpg `copy_records_to_table`), 500 rows a transaction: what the bare insert, its
    indexes, foreign keys and change-log trigger cost, with no ledger, checks or mastery.
(c) pull of 10,000 changes: one student whose change feed (their own rows plus the shared
    graph and questions) holds >= BENCH_ADAPTIVE_PULL_CHANGES (10,000) log entries (topped
    up, before the runs, with attempts pushed through the service), paged from cursor 0
    with limit 1,000 and 5,000: the pull service alone (server time), and a fresh device
    (`SyncClient.pull` over HTTP into `DeviceStore` on a temporary SQLite file) end to end,
    with the part spent in `DeviceStore.apply_pull`.
(d) a month offline: a device already synced (its first sync untimed) records
    BENCH_ADAPTIVE_OFFLINE_DAYS (30) x BENCH_ADAPTIVE_OFFLINE_PER_DAY (60) attempts and
    PROFILE_CHANGES profile changes offline, each in its own SQLite transaction as the app
    records them (timed apart), then one `SyncClient.sync()`: push of the whole queue and
    pull of what came back (its attempts, the recomputed mastery), end to end.

Between phases the benchmark's own rows of the students involved (pushed or copied attempts,
ledger rows, mastery, device rows) are deleted and the tables vacuumed, so every phase and
run starts from the same data. Figures are the median over BENCH_ADAPTIVE_RUNS (3) runs.
Pushes and pulls are sequential: pushes serialise on the change log's advisory lock anyway.

Run: `lyceum bench adaptive`, or `python benchmarks/adaptive_sync.py`, with DATABASE_URL
naming any database on the server to use (else the embedded server) and REDIS_URL (else a
private redis-server). Smaller: the variables above, BENCH_ADAPTIVE_MONTHS (months of
generated history, 12), BENCH_ADAPTIVE_HTTP=0 (skip the HTTP push), BENCH_ADAPTIVE_APPS=adaptive
(mount only this app, not all of them as served); BENCH_ADAPTIVE_DATABASE
names the scratch database (lyceum_bench_adaptive_<this>), BENCH_RESULTS_DIR the results'
directory.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text

from _common import (
    console,
    lyceum_command,
    machine,
    percentile,
    print_machine,
    print_table,
    redis_url,
    scratch_database,
    url_string,
    write_results,
)
from lyceum.adaptive import schemas
from lyceum.adaptive.connection import get_engine, get_session
from lyceum.adaptive.device import DeviceStore, SyncClient
from lyceum.adaptive.device.client import PUSH_PATH
from lyceum.adaptive.enums import QuestionKind, UserRole, account_role
from lyceum.adaptive.local import create_local_engine, create_local_schema
from lyceum.adaptive.models import Question, StudentProfile, User
from lyceum.adaptive.offline import AttemptInput
from lyceum.adaptive.service import sync_pull, sync_push
from lyceum.adaptive.sync import answers_match
from lyceum.apps import APPS
from lyceum.core.auth import issue_token
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.ids import uuid7
from lyceum.core.settings import Settings, load_settings, reset_settings_cache
from lyceum.web.app import create_app

RUNS = int(os.environ.get("BENCH_ADAPTIVE_RUNS", "3"))
STUDENTS = int(os.environ.get("BENCH_ADAPTIVE_STUDENTS", "20"))
ATTEMPTS = int(os.environ.get("BENCH_ADAPTIVE_ATTEMPTS", "2000"))
PULL_CHANGES = int(os.environ.get("BENCH_ADAPTIVE_PULL_CHANGES", "10000"))
OFFLINE_DAYS = int(os.environ.get("BENCH_ADAPTIVE_OFFLINE_DAYS", "30"))
OFFLINE_PER_DAY = int(os.environ.get("BENCH_ADAPTIVE_OFFLINE_PER_DAY", "60"))
MONTHS = int(os.environ.get("BENCH_ADAPTIVE_MONTHS", "12"))
HTTP_PUSH = os.environ.get("BENCH_ADAPTIVE_HTTP", "1") != "0"
# "all": every app mounted, as `lyceum serve` runs; "adaptive": this app alone (a smoke test's
# choice: importing the other apps takes seconds, and their routes barely touch these figures).
MOUNTED = os.environ.get("BENCH_ADAPTIVE_APPS", "all")
# The scratch database's name, lyceum_bench_adaptive_<this> (a smoke test uses its own).
DATABASE = os.environ.get("BENCH_ADAPTIVE_DATABASE", "sync")
SCALE, SEED = "small", 42
BATCH = schemas.MAX_PUSH_BATCH
PULL_LIMITS = (1_000, schemas.MAX_PULL_PAGE)
PROFILE_CHANGES = 3
TARGET_OPS = 5_000.0
ATTEMPT_COLUMNS = (
    "id", "student_id", "question_id", "answer", "is_correct", "time_taken_seconds",
    "confidence", "attempted_at", "device_id", "sync_operation_id",
)  # fmt: skip
# The benchmark's devices; every row they leave is deleted between phases.
DEVICE_PREFIX = "bench-"

# Each student's own rows plus the shared graph: what a device of theirs pulls.
FEED_SIZE = """
SELECT count(*) FROM adaptive.change_log WHERE student_id = :student OR student_id IS NULL
"""
FORGET = (
    "DELETE FROM adaptive.question_attempts"
    " WHERE student_id = ANY(CAST(:students AS uuid[])) AND sync_operation_id IS NOT NULL",
    "DELETE FROM adaptive.sync_operations WHERE student_id = ANY(CAST(:students AS uuid[]))",
    "DELETE FROM adaptive.concept_mastery WHERE student_id = ANY(CAST(:students AS uuid[]))",
    "DELETE FROM adaptive.sync_devices WHERE student_id = ANY(CAST(:students AS uuid[]))",
)
VACUUMED = (
    "adaptive.question_attempts",
    "adaptive.sync_operations",
    "adaptive.concept_mastery",
    "adaptive.sync_devices",
    "adaptive.change_log",
)


# ---- the world ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """A question as the benchmark answers it: rightly, or with a wrong answer."""

    id: uuid.UUID
    kind: QuestionKind
    correct: str
    wrong: str


@dataclass(frozen=True)
class World:
    students: list[uuid.UUID]
    items: list[Item]

    def roles(self, needed: int) -> tuple[list[uuid.UUID], uuid.UUID, uuid.UUID]:
        """The students pushing in (a)/(b), the one pulled in (c), the one offline in (d)."""
        if len(self.students) < needed + 2:
            raise SystemExit(f"{needed + 2} students needed, the world has {len(self.students)}")
        return self.students[:needed], self.students[needed], self.students[needed + 1]


def wrong_answer(kind: QuestionKind, correct: str, options: Sequence[str] | None) -> str:
    for option in options or ():
        if not answers_match(kind, option, correct):
            return option
    return f"{correct}9"  # a numeric answer with a digit more: another value


async def load_world() -> World:
    async with get_session() as db:
        students = list(
            (
                await db.execute(
                    select(User.id)
                    .join(StudentProfile, StudentProfile.user_id == User.id)
                    .where(User.role == UserRole.STUDENT, User.is_active)
                    .order_by(User.username)
                )
            ).scalars()
        )
        rows = await db.execute(
            select(Question.id, Question.kind, Question.correct_answer, Question.options).order_by(
                Question.code
            )
        )
        items = [
            Item(qid, kind, correct, wrong_answer(kind, correct, options))
            for qid, kind, correct, options in rows
        ]
    return World(students, items)


# ---- operations a device would queue -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    id: uuid.UUID
    operation_id: uuid.UUID
    student_id: uuid.UUID
    item: Item
    answer: str
    time_taken_seconds: float
    confidence: int
    attempted_at: datetime
    device_id: str

    def payload(self) -> dict[str, Any]:
        """As `offline.record_attempt_offline` queues it."""
        return {
            "id": str(self.id),
            "student_id": str(self.student_id),
            "question_id": str(self.item.id),
            "answer": self.answer,
            "is_correct": self.answer == self.item.correct,
            "time_taken_seconds": self.time_taken_seconds,
            "confidence": self.confidence,
            "attempted_at": self.attempted_at.isoformat(),
            "device_id": self.device_id,
        }

    def operation(self) -> schemas.PushedOperation:
        return schemas.PushedOperation(
            id=self.operation_id,
            entity_type="question_attempt",
            entity_id=self.id,
            operation="create",
            payload=self.payload(),
        )


def practice(
    student: uuid.UUID, items: Sequence[Item], count: int, rng: random.Random, device: str
) -> list[Attempt]:
    """`count` attempts over the last 30 days, oldest first, about 70 % right."""
    now = datetime.now(UTC)
    moments = sorted(now - timedelta(seconds=rng.uniform(60, 30 * 86_400)) for _ in range(count))
    attempts = []
    for moment in moments:
        item = rng.choice(items)
        attempts.append(
            Attempt(
                uuid7(), uuid7(), student, item,
                item.correct if rng.random() < 0.7 else item.wrong,
                round(rng.uniform(10, 180), 1), rng.randint(1, 5), moment, device,
            )
        )  # fmt: skip
    return attempts


def workload(
    students: Sequence[uuid.UUID],
    items: Sequence[Item],
    per_student: int,
    seed: int,
    device_name: str = "push",
) -> list[tuple[uuid.UUID, schemas.PushRequest]]:
    """Each student's attempts as push requests of BATCH operations, the students' batches in
    turn (as devices coming online one after another would send them)."""
    rng = random.Random(seed)
    queues = []
    for number, student in enumerate(students):
        device = f"{DEVICE_PREFIX}{device_name}-{number}"
        attempts = practice(student, items, per_student, rng, device)
        batches = []
        for start in range(0, len(attempts), BATCH):
            chunk = attempts[start : start + BATCH]
            batches.append(
                (
                    student,
                    schemas.PushRequest(
                        device_id=device,
                        operations=[a.operation() for a in chunk],
                        pending_operations=len(attempts) - start - len(chunk),
                    ),
                )
            )
        queues.append(batches)
    return [batch for turn in zip_longest_batches(queues) for batch in turn]


def zip_longest_batches(
    queues: Sequence[Sequence[tuple[uuid.UUID, schemas.PushRequest]]],
) -> list[list[tuple[uuid.UUID, schemas.PushRequest]]]:
    turns = max((len(q) for q in queues), default=0)
    return [[q[i] for q in queues if i < len(q)] for i in range(turns)]


def copy_row(op: schemas.PushedOperation, items: dict[uuid.UUID, Item]) -> tuple[Any, ...]:
    """The row the server would store for a pushed attempt, with fresh ids (the baseline's
    COPY), its correctness decided as the server decides it."""
    p = op.payload
    item = items[uuid.UUID(p["question_id"])]
    return (
        uuid7(), uuid.UUID(p["student_id"]), item.id, p["answer"],
        answers_match(item.kind, p["answer"], item.correct), p["time_taken_seconds"],
        p["confidence"], datetime.fromisoformat(p["attempted_at"]), p["device_id"], uuid7(),
    )  # fmt: skip


# ---- housekeeping -------------------------------------------------------------------------


async def forget(students: Sequence[uuid.UUID]) -> None:
    """Delete what the benchmark's devices left for these students, then vacuum, so the next
    phase starts from the generated data."""
    async with get_session() as db:
        for statement in FORGET:
            await db.execute(text(statement), {"students": list(students)})
    async with get_engine().connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in VACUUMED:
            await autocommit.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def bearer(settings: Settings, student: uuid.UUID) -> dict[str, str]:
    token = issue_token(
        str(student),
        [account_role(UserRole.STUDENT)],
        secret=settings.effective_secret_key,
        audience=settings.jwt_audience,
        ttl_seconds=6 * 3600,
    )
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@asynccontextmanager
async def http_client(
    app: FastAPI, settings: Settings, student: uuid.UUID
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://bench",
        headers=bearer(settings, student),
        timeout=600,
    ) as http:
        yield http


class TimedStore(DeviceStore):
    """A DeviceStore that adds up the time spent applying pulled pages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_seconds = 0.0

    async def apply_pull(self, page: schemas.PullResponse) -> int | None:
        started = time.perf_counter()
        try:
            return await super().apply_pull(page)
        finally:
            self.apply_seconds += time.perf_counter() - started


@asynccontextmanager
async def device_store(directory: Path, name: str) -> AsyncIterator[TimedStore]:
    engine = create_local_engine(f"sqlite:///{directory / f'{name}.db'}")
    try:
        await create_local_schema(engine)
        store = TimedStore(engine)
        await store.state(f"{DEVICE_PREFIX}{name}")
        yield store
    finally:
        await engine.dispose()


# ---- (a) and (b): applying pushed operations ------------------------------------------------


@dataclass
class Applied:
    operations: int
    seconds: float
    push_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


async def push_through_service(
    requests: Sequence[tuple[uuid.UUID, schemas.PushRequest]],
) -> Applied:
    samples = []
    operations = 0
    started = time.perf_counter()
    for student, request in requests:
        began = time.perf_counter()
        async with get_session() as db:
            answer = await sync_push.push(db, student, request)
        samples.append((time.perf_counter() - began) * 1000)
        if answer.applied != len(request.operations):
            raise RuntimeError(f"push applied {answer.applied} of {len(request.operations)}")
        operations += answer.applied
    return Applied(operations, time.perf_counter() - started, samples)


async def push_through_http(
    app: FastAPI, settings: Settings, requests: Sequence[tuple[uuid.UUID, schemas.PushRequest]]
) -> Applied:
    bodies = [(student, request.model_dump_json().encode()) for student, request in requests]
    headers = {student: bearer(settings, student) for student, _ in requests}
    samples = []
    operations = 0
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
        started = time.perf_counter()
        for student, body in bodies:
            began = time.perf_counter()
            response = await http.post(PUSH_PATH, content=body, headers=headers[student])
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")
            operations += int(response.json()["applied"])
        seconds = time.perf_counter() - started
    return Applied(operations, seconds, samples)


async def copy_baseline(batches: Sequence[Sequence[tuple[Any, ...]]]) -> Applied:
    samples = []
    rows = 0
    async with get_engine().connect() as connection:
        started = time.perf_counter()
        for batch in batches:
            began = time.perf_counter()
            async with connection.begin():
                raw = await raw_asyncpg_connection(connection)
                await raw.copy_records_to_table(
                    "question_attempts",
                    schema_name="adaptive",
                    columns=list(ATTEMPT_COLUMNS),
                    records=batch,
                )
            samples.append((time.perf_counter() - began) * 1000)
            rows += len(batch)
        seconds = time.perf_counter() - started
    return Applied(rows, seconds, samples)


# ---- (c): pulling ---------------------------------------------------------------------------


async def top_up_feed(student: uuid.UUID, items: Sequence[Item], target: int) -> tuple[int, int]:
    """Push attempts for `student` (untimed) until their feed holds `target` log entries;
    returns (entries, attempts pushed)."""
    async with get_session() as db:
        have = int((await db.execute(text(FEED_SIZE), {"student": student})).scalar_one())
    missing = max(target - have, 0)
    if missing:
        await push_through_service(workload([student], items, missing, SEED + 1, "pull-source"))
    async with get_session() as db:
        have = int((await db.execute(text(FEED_SIZE), {"student": student})).scalar_one())
    return have, missing


@dataclass
class Pulled:
    limit: int
    pages: int
    changes: int
    server_seconds: float
    device_seconds: float
    apply_seconds: float
    device_pages: int
    device_changes: int


async def pull_through_service(
    student: uuid.UUID, limit: int, device: str
) -> tuple[int, int, float]:
    """Page through the feed with the pull service alone; (pages, changes, seconds)."""
    cursor, pages, changes = 0, 0, 0
    started = time.perf_counter()
    while True:
        async with get_session() as db:
            page = await sync_pull.pull(
                db, student, schemas.PullParams(device_id=device, cursor=cursor, limit=limit)
            )
        pages += 1
        changes += len(page.changes)
        cursor = page.cursor
        if not page.has_more:
            return pages, changes, time.perf_counter() - started


async def pull_once(
    app: FastAPI, settings: Settings, student: uuid.UUID, limit: int, directory: Path, run: int
) -> Pulled:
    pages, changes, server = await pull_through_service(
        student, limit, f"{DEVICE_PREFIX}pull-service-{limit}-{run}"
    )
    async with (
        device_store(directory, f"pull-{limit}-{run}") as store,
        http_client(app, settings, student) as http,
    ):
        client = SyncClient(store, http, page_size=limit)
        started = time.perf_counter()
        summary = await client.pull()
        device = time.perf_counter() - started
    return Pulled(limit, pages, changes, server, device, store.apply_seconds, summary.pages,
                  summary.changes)  # fmt: skip


# ---- (d): a month offline -------------------------------------------------------------------


@dataclass
class Offline:
    attempts: int
    profile_changes: int
    record_seconds: float
    first_sync_seconds: float
    sync_seconds: float
    pushed: int
    applied: int
    pulled_changes: int
    pull_pages: int

    @property
    def rate(self) -> float:
        return self.pushed / self.sync_seconds


async def month_offline(
    app: FastAPI,
    settings: Settings,
    student: uuid.UUID,
    items: Sequence[Item],
    directory: Path,
    run: int,
) -> Offline:
    rng = random.Random(SEED + 100 + run)
    name = f"offline-{run}"
    async with device_store(directory, name) as store, http_client(app, settings, student) as http:
        client = SyncClient(store, http)
        started = time.perf_counter()
        await client.sync()  # already synced before going offline: untimed
        first_sync = time.perf_counter() - started
        device = f"{DEVICE_PREFIX}{name}"
        today = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
        total = OFFLINE_DAYS * OFFLINE_PER_DAY
        profile_at = {total * (k + 1) // (PROFILE_CHANGES + 1) for k in range(PROFILE_CHANGES)}
        started = time.perf_counter()
        done = 0
        for day in range(OFFLINE_DAYS, 0, -1):
            session_start = today - timedelta(days=day)
            for minute in range(OFFLINE_PER_DAY):
                item = rng.choice(items)
                answer = item.correct if rng.random() < 0.7 else item.wrong
                await store.record_attempt(
                    AttemptInput(
                        student_id=student, question_id=item.id, answer=answer,
                        is_correct=answer == item.correct,
                        time_taken_seconds=round(rng.uniform(10, 120), 1),
                        confidence=rng.randint(1, 5),
                        attempted_at=session_start + timedelta(minutes=minute),
                        device_id=device,
                    )
                )  # fmt: skip
                done += 1
                if done in profile_at:
                    await store.record_profile_change(
                        student,
                        {
                            "available_hours_per_week": float(rng.randint(4, 20)),
                            "exam_date": date.today() + timedelta(days=rng.randint(60, 200)),
                        },
                    )
        recorded = time.perf_counter() - started
        queued = (await store.counts()).waiting
        started = time.perf_counter()
        summary = await client.sync()
        seconds = time.perf_counter() - started
        if summary.push.applied != queued or (await store.counts()).waiting:
            raise RuntimeError(f"the month's sync applied {summary.push.applied} of {queued}")
    return Offline(
        total, len(profile_at), recorded, first_sync, seconds, queued, summary.push.applied,
        summary.pull.changes, summary.pull.pages,
    )  # fmt: skip


# ---- the runs -------------------------------------------------------------------------------


@dataclass
class Run:
    service: Applied
    http: Applied | None
    copy: Applied
    pulls: list[Pulled]
    offline: Offline


@dataclass
class Measured:
    runs: list[Run]
    feed_entries: int
    feed_topped_up: int
    students: int
    questions: int


def freeze_heap() -> None:
    """Move everything alive now out of the cyclic collector's reach, as the app's lifespan
    does at startup: the benchmark holds tens of thousands of prepared operations a server
    would not, and full collections walking them would be measured as the server's time.
    (Objects freed later are still freed: freezing affects only cycle detection.)"""
    gc.collect()
    gc.freeze()


def log(message: str) -> None:
    console.print(message, highlight=False)


async def one_run(app: FastAPI, settings: Settings, world: World, run: int, directory: Path) -> Run:
    pushers, puller, offline_student = world.roles(STUDENTS)
    requests = workload(pushers, world.items, ATTEMPTS, seed=SEED + 10 * run)
    by_id = {item.id: item for item in world.items}
    rows = [[copy_row(op, by_id) for op in request.operations] for _, request in requests]

    freeze_heap()
    copied = await copy_baseline(rows)
    await forget(pushers)
    log(f"  (b) COPY baseline: {copied.operations:,} rows in {copied.seconds:.2f} s")
    freeze_heap()
    service = await push_through_service(requests)
    await forget(pushers)
    log(f"  (a) push service: {service.operations:,} operations in {service.seconds:.2f} s")
    http = None
    if HTTP_PUSH:
        again = workload(pushers, world.items, ATTEMPTS, seed=SEED + 10 * run + 5)
        freeze_heap()
        http = await push_through_http(app, settings, again)
        await forget(pushers)
        log(f"  (a) push over HTTP: {http.operations:,} operations in {http.seconds:.2f} s")
    pulls = []
    for limit in PULL_LIMITS:
        freeze_heap()
        pulled = await pull_once(app, settings, puller, limit, directory, run)
        pulls.append(pulled)
        log(
            f"  (c) pull, limit {limit:,}: server {pulled.server_seconds:.2f} s,"
            f" device end to end {pulled.device_seconds:.2f} s"
        )
    freeze_heap()
    offline = await month_offline(app, settings, offline_student, world.items, directory, run)
    await forget([offline_student])
    log(
        f"  (d) month offline: {offline.pushed:,} operations synced in {offline.sync_seconds:.2f} s"
    )
    return Run(service, http, copied, pulls, offline)


async def measure(settings: Settings) -> Measured:
    quiet = settings.model_copy(update={"nerdboard_simulation_worker": False})
    apps = None if MOUNTED == "all" else [APPS[name] for name in MOUNTED.split(",")]
    application = create_app(quiet, apps=apps)
    async with application.router.lifespan_context(application):
        world = await load_world()
        _pushers, puller, _offline = world.roles(STUDENTS)
        log(f"filling one student's change feed to {PULL_CHANGES:,} entries (untimed) ...")
        entries, topped_up = await top_up_feed(puller, world.items, PULL_CHANGES)
        runs = []
        with tempfile.TemporaryDirectory(prefix="adaptive-sync-bench-") as directory:
            for number in range(RUNS):
                log(f"run {number + 1}/{RUNS}:")
                runs.append(await one_run(application, settings, world, number, Path(directory)))
    return Measured(runs, entries, topped_up, len(world.students), len(world.items))


# ---- report ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def applied_figures(samples: Sequence[Applied]) -> dict[str, Any]:
    seconds = median([s.seconds for s in samples])
    return {
        "operations": samples[0].operations,
        "seconds": round(seconds, 3),
        "ops_per_second": round(median([s.rate for s in samples]), 1),
        "ops_per_second_by_run": [round(s.rate, 1) for s in samples],
        "batch_ms_p50": round(median([percentile(s.push_ms, 50) for s in samples]), 2),
        "batch_ms_p95": round(median([percentile(s.push_ms, 95) for s in samples]), 2),
    }


def report(measured: Measured, info: dict[str, Any]) -> dict[str, Any]:
    runs = measured.runs
    service = applied_figures([r.service for r in runs])
    copy = applied_figures([r.copy for r in runs])
    http = applied_figures([r.http for r in runs if r.http is not None]) if HTTP_PUSH else None
    ratio = service["ops_per_second"] / copy["ops_per_second"]
    passed = service["ops_per_second"] >= TARGET_OPS
    figures: dict[str, Any] = {
        "scale": SCALE,
        "seed": SEED,
        "months": MONTHS,
        "runs": RUNS,
        "apps_mounted": MOUNTED,
        "students_in_world": measured.students,
        "questions_in_world": measured.questions,
        "push": {
            "students": STUDENTS,
            "attempts_per_student": ATTEMPTS,
            "batch": BATCH,
            "service": service,
            "http": http,
            "copy_baseline": copy,
            "service_vs_copy": round(ratio, 3),
        },
        "target": {"push_service_ops_per_second_at_least": TARGET_OPS, "passed": passed},
    }
    pulls = {}
    for index, limit in enumerate(PULL_LIMITS):
        samples = [r.pulls[index] for r in runs]
        pulls[str(limit)] = {
            "pages": samples[0].pages,
            "changes_sent": samples[0].changes,
            "server_seconds": round(median([p.server_seconds for p in samples]), 3),
            "device_end_to_end_seconds": round(median([p.device_seconds for p in samples]), 3),
            "device_apply_pull_seconds": round(median([p.apply_seconds for p in samples]), 3),
            "device_pages": samples[0].device_pages,
            "device_changes_applied": samples[0].device_changes,
        }
    figures["pull"] = {
        "feed_log_entries": measured.feed_entries,
        "attempts_pushed_to_fill_it": measured.feed_topped_up,
        "by_limit": pulls,
    }
    offline = [r.offline for r in runs]
    figures["offline_month"] = {
        "days": OFFLINE_DAYS,
        "attempts": offline[0].attempts,
        "profile_changes": offline[0].profile_changes,
        "operations_pushed": offline[0].pushed,
        "changes_pulled_back": offline[0].pulled_changes,
        "pull_pages": offline[0].pull_pages,
        "sync_seconds": round(median([o.sync_seconds for o in offline]), 3),
        "sync_seconds_by_run": [round(o.sync_seconds, 3) for o in offline],
        "ops_per_second": round(median([o.rate for o in offline]), 1),
        "offline_recording_seconds": round(median([o.record_seconds for o in offline]), 3),
        "first_sync_seconds": round(median([o.first_sync_seconds for o in offline]), 3),
    }

    print_machine(info)
    log(
        f"{SCALE} scale, seed {SEED}, {MONTHS} months: {measured.students} students,"
        f" {measured.questions} questions; median of {RUNS} run(s)"
    )
    rows: list[list[object]] = [
        ["(a) push service, one transaction a push", f"{service['operations']:,}",
         f"{service['seconds']:.2f}", f"{service['ops_per_second']:,.0f}",
         f"{service['batch_ms_p50']:.0f}", f"{service['batch_ms_p95']:.0f}"],
    ]  # fmt: skip
    if http is not None:
        rows.append(
            ["(a) push over HTTP (app in process)", f"{http['operations']:,}",
             f"{http['seconds']:.2f}", f"{http['ops_per_second']:,.0f}",
             f"{http['batch_ms_p50']:.0f}", f"{http['batch_ms_p95']:.0f}"]
        )  # fmt: skip
    rows.append(
        ["(b) baseline: COPY of the same rows", f"{copy['operations']:,}",
         f"{copy['seconds']:.2f}", f"{copy['ops_per_second']:,.0f}",
         f"{copy['batch_ms_p50']:.0f}", f"{copy['batch_ms_p95']:.0f}"]
    )  # fmt: skip
    print_table(
        f"Push: {STUDENTS} students x {ATTEMPTS:,} attempts, batches of {BATCH}",
        ["", "operations", "seconds", "ops/s", "batch p50 ms", "batch p95 ms"],
        rows,
    )
    log(f"push service / COPY baseline: {ratio:.2f} (COPY is {1 / ratio:.1f}x faster)")
    print_table(
        f"(c) Pull of {measured.feed_entries:,} change-log entries from cursor 0",
        ["limit", "pages", "changes", "server s", "device end to end s", "of which apply_pull s"],
        [
            [f"{limit:,}", p["pages"], f"{p['changes_sent']:,}", f"{p['server_seconds']:.2f}",
             f"{p['device_end_to_end_seconds']:.2f}", f"{p['device_apply_pull_seconds']:.2f}"]
            for limit, p in ((int(k), v) for k, v in pulls.items())
        ],
    )  # fmt: skip
    month = figures["offline_month"]
    log(
        f"(d) a month offline ({OFFLINE_DAYS} days x {OFFLINE_PER_DAY} attempts +"
        f" {month['profile_changes']} profile changes = {month['operations_pushed']:,}"
        f" operations): one sync in {month['sync_seconds']:.2f} s"
        f" ({month['ops_per_second']:,.0f} ops/s; pulled back {month['changes_pulled_back']:,}"
        f" changes in {month['pull_pages']} page(s)); recording them offline took"
        f" {month['offline_recording_seconds']:.1f} s"
    )
    log(
        f"target: push service >= {TARGET_OPS:,.0f} ops/s:"
        f" {service['ops_per_second']:,.0f} {'PASS' if passed else 'FAIL'}"
    )
    return figures


def main() -> None:
    with scratch_database(DATABASE, app="adaptive") as url, redis_url() as redis:
        info = machine(url)
        env = {**os.environ, "DATABASE_URL": url_string(url), "COLUMNS": "400"}
        log(f"generating the {SCALE}-scale world (untimed) ...")
        args = ["generate", "adaptive", "--scale", SCALE, "--seed", str(SEED)]
        lyceum_command([*args, "--months", str(MONTHS)], env)
        os.environ["DATABASE_URL"] = url_string(url)
        os.environ["REDIS_URL"] = redis
        reset_settings_cache()
        measured = asyncio.run(measure(load_settings()))
    info = {**info, "load_average_1m_5m_at_end": [round(x, 2) for x in os.getloadavg()[:2]]}
    figures = report(measured, info)
    write_results("sync", info, figures, app="adaptive")
    if not figures["target"]["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
