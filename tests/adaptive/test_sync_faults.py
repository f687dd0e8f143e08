"""The sync under faults, as a Hypothesis stateful test: three devices of one student, one
server (the app in process, on the test PostgreSQL, committing for real), and a network that
drops, duplicates, delays and reorders messages and loses the server's answer after its
commit. Devices are killed between any two SQL statements of a sync (mid-batch) and while
idle, and restarted from their file.

The machine's rules: a device answers a question (acknowledged once `record_attempt` returns);
changes the profile's weekly hours; queues an operation the server must reject (another
student's, an unknown question, stamped in the future, an attempt id reused with other
content); syncs through a scripted run of faults, perhaps killed at its K-th statement; the
network delivers held-back messages out of order; a device is killed while idle.

After each run the faults stop, held messages arrive, and every device syncs twice. Then:
every device and the server hold the same attempts, each once, and every acknowledged attempt
is among them; no operation is still waiting; the dead letters are exactly the operations
that were invalid; every device shows the profile hours of the latest change by the hybrid
clock, and the server's mastery; the server never answered 5xx.

At least `STEPS_WANTED` steps run in all (runs are repeated until they have); the count,
the runs, the faults and the time are written to `test-artifacts/sync_faults.json`.

Speed: each run's devices start from a copy of one device that has pulled the knowledge
graph once (the first pull of a big graph is the benchmark's, `lyceum bench adaptive`), then
take the new student's rows from the server like any device.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import LRUCache

from lyceum.adaptive.device import DeviceStore, SyncClient, SyncUnavailable
from lyceum.adaptive.enums import SyncOperationKind, SyncStatus, UserRole
from lyceum.adaptive.generate import TRUNCATE_ALL
from lyceum.adaptive.local import create_local_engine, create_local_schema, sync_state
from lyceum.adaptive.models import (
    ConceptMastery,
    QuestionAttempt,
    StudentProfile,
    SyncOperation,
    User,
)
from lyceum.adaptive.offline import AttemptInput
from lyceum.adaptive.service.replanning import REPLAN_JOB
from lyceum.adaptive.sync import Clock
from lyceum.core.ids import uuid7
from tests.adaptive.faulty_network import Fault, FaultyNetwork, Killed, KillSwitch
from tests.adaptive.rows import ARGON2ID, suffix
from tests.adaptive.sync_world import World, build_world, student_headers
from tests.fixtures.browser import artifacts_dir

STEPS_WANTED = 10_000
RUNS_PER_ROUND = 3
STEPS_PER_RUN = 1_000
DEVICES = ("phone", "laptop", "tablet")
SMALL_BATCH = 7
FULL_BATCH = 500
INVALID_KINDS = ("other_student", "unknown_question", "future", "reused_id")

T = TypeVar("T")

# 10,000 steps take two to three minutes on a 2-core machine; most of it is the devices'
# SQLite work through aiosqlite and the in-process server's pushes and pulls.
pytestmark = [pytest.mark.slow]


@dataclass
class Totals:
    steps: int = 0
    runs: int = 0
    syncs: int = 0
    kills: int = 0
    kills_mid_sync: int = 0
    attempts: int = 0
    invalid: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    # Where the time goes: starting a run's devices, the steps, converging and checking.
    seconds: Counter[str] = field(default_factory=Counter)


@dataclass
class Context:
    """What every run shares: the loop the app runs on, the app, the world, a template."""

    loop: asyncio.AbstractEventLoop
    app: FastAPI
    sessions: async_sessionmaker[AsyncSession]
    world: World
    template: Path
    workdir: Path
    totals: Totals

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)


CONTEXT: Context | None = None
COMPILED: LRUCache[Any, Any] = LRUCache(1_000)


async def _no_wait(_: float) -> None:
    return None


class Device:
    """One device: its file, and the engine, store and client of the process now running on
    it (replaced when the process is killed)."""

    def __init__(
        self, name: str, path: Path, headers: dict[str, str], network: FaultyNetwork
    ) -> None:
        self.name = name
        self.path = path
        # The student's token, issued once: a restarted process signs in with the same one.
        self.headers = headers
        self.network = network
        self.alive = False
        self.engine: AsyncEngine
        self.switch: KillSwitch
        self.store: DeviceStore
        self.client: SyncClient
        self.http: httpx.AsyncClient

    async def start(self) -> None:
        self.engine = create_local_engine(f"sqlite:///{self.path}")
        self.switch = KillSwitch(self.engine)
        # The SQL the code compiles to is the same in every process: a restarted device takes
        # it from the run's cache instead of compiling it again (a kill is about the file and
        # the network, not about the compiler; recompiling was a fifth of the test's time).
        self.store = DeviceStore(self.engine.execution_options(compiled_cache=COMPILED))
        self.http = httpx.AsyncClient(
            transport=self.network,
            base_url="http://test",
            headers={**self.headers, "Content-Type": "application/json"},
        )
        self.client = SyncClient(self.store, self.http, batch_size=SMALL_BATCH, sleep=_no_wait)
        self.alive = True
        self.worked = False

    async def kill(self) -> None:
        """kill -9: the process stops between two statements; SQLite rolls back what it had
        not committed when the file is opened again."""
        self.switch.dead = True
        self.alive = False
        # Closing the connections is what the OS does to a dead process's file handles; the
        # network (shared, like the real one) keeps whatever the process had sent.
        await self.switch.close_handles()
        with contextlib.suppress(BaseException):
            await self.engine.dispose()

    async def ensure_running(self) -> None:
        if not self.alive:
            await self.start()
        # It has done something since it (re)started: killing it now can lose something.
        self.worked = True


async def _new_student(context: Context) -> User:
    async with context.sessions() as db:
        student = User(username=f"fault-{suffix()}", role=UserRole.STUDENT,
                       password_hash=ARGON2ID)  # fmt: skip
        db.add(student)
        await db.flush()
        db.add(StudentProfile(user_id=student.id, grade=10, available_hours_per_week=6.0,
                              class_id=context.world.group.id))  # fmt: skip
        await db.commit()
        return student


def _copy_template(template: Path, target: Path, device_id: str, student: User) -> None:
    with sqlite3.connect(template) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    with sqlite3.connect(target) as copy:
        copy.execute(
            "UPDATE sync_state SET device_id = ?, student_id = ?",
            (device_id, student.id.hex),
        )


class SyncUnderFaults(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert CONTEXT is not None
        self.context = CONTEXT
        self.context.totals.runs += 1
        started = time.perf_counter()
        self.world = self.context.world
        self.student = self.context.run(_new_student(self.context))
        self.network = FaultyNetwork(httpx.ASGITransport(app=self.context.app,
                                                         raise_app_exceptions=False))  # fmt: skip
        run_dir = self.context.workdir / f"run-{self.context.totals.runs}"
        run_dir.mkdir()
        self.devices: list[Device] = []
        headers = student_headers(self.student)
        for name in DEVICES:
            path = run_dir / f"{name}.db"
            _copy_template(self.context.template, path, name, self.student)
            self.devices.append(Device(name, path, headers, self.network))
        for device in self.devices:
            self.context.run(device.start())
            # Signed in, a device syncs before the student practises on it (the student's
            # own rows come down; the attempts' foreign keys need them).
            self.context.run(device.client.sync(max_failures=1))
        # What the model knows: the acknowledged attempts, the operations that must end as
        # dead letters (per device), and every profile change with its clock.
        self.acknowledged: set[uuid.UUID] = set()
        self.invalid: dict[str, set[uuid.UUID]] = {name: set() for name in DEVICES}
        self.hours: list[tuple[str, float]] = [("", 6.0)]
        self.step_count = 0
        self.last_step: tuple[str, float] | None = None
        self.context.totals.seconds["setup"] += time.perf_counter() - started

    def _step(self, name: str) -> None:
        # A step's time (with Hypothesis' drawing of the next) is counted at the next step.
        now = time.perf_counter()
        if self.last_step is not None:
            self.context.totals.seconds[self.last_step[0]] += now - self.last_step[1]
        self.last_step = (name, now)
        self.step_count += 1
        self.context.totals.steps += 1
        self.context.totals.rules[name] += 1

    # ---- rules --------------------------------------------------------------------------

    @rule(device=st.sampled_from(range(3)), question=st.integers(0, 5), right=st.booleans())
    def answer(self, device: int, question: int, right: bool) -> None:
        self._step("answer")
        self.context.run(self._answer(self.devices[device], question, right))

    async def _answer(self, device: Device, index: int, right: bool) -> None:
        await device.ensure_running()
        question = self.world.questions[index]
        given = self.world.answers[question.id][0 if right else 1]
        attempt_id = await device.store.record_attempt(
            AttemptInput(
                student_id=self.student.id, question_id=question.id, answer=given,
                is_correct=right, time_taken_seconds=20.0, confidence=3,
                attempted_at=datetime.now(UTC) - timedelta(seconds=5), device_id=device.name,
            )
        )  # fmt: skip
        self.acknowledged.add(attempt_id)
        self.context.totals.attempts += 1

    @rule(device=st.sampled_from(range(3)), hours=st.integers(1, 40))
    def change_hours(self, device: int, hours: int) -> None:
        self._step("change_hours")
        self.context.run(self._change_hours(self.devices[device], float(hours)))

    async def _change_hours(self, device: Device, hours: float) -> None:
        await device.ensure_running()
        change = await device.store.record_profile_change(
            self.student.id, {"available_hours_per_week": hours}
        )
        self.hours.append((change.clock, hours))

    @rule(device=st.sampled_from(range(3)), kind=st.sampled_from(INVALID_KINDS))
    def queue_invalid(self, device: int, kind: str) -> None:
        self._step("queue_invalid")
        self.context.run(self._queue_invalid(self.devices[device], kind))

    async def _queue_invalid(self, device: Device, kind: str) -> None:
        """An operation a buggy or tampered client could queue; the server must reject it
        and the device keep it as a dead letter without holding up the rest."""
        await device.ensure_running()
        question = self.world.questions[0]
        attempt_id = uuid.uuid4()
        payload: dict[str, Any] = {
            "id": str(attempt_id), "student_id": str(self.student.id),
            "question_id": str(question.id), "answer": "1", "is_correct": True,
            "time_taken_seconds": 10.0, "confidence": 3,
            "attempted_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            "device_id": device.name,
        }  # fmt: skip
        if kind == "other_student":
            payload["student_id"] = str(self.world.students[0].id)
        elif kind == "unknown_question":
            payload["question_id"] = str(uuid.uuid4())
        elif kind == "future":
            payload["attempted_at"] = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        elif kind == "reused_id":
            mine = await self._an_acknowledged_attempt_of(device)
            if mine is None:
                return
            attempt_id = mine
            payload["id"] = str(mine)
            payload["answer"] = "a different answer"
        # A UUIDv7 like every queued operation: the queue drains in creation order (the
        # device's clock stamps `created_at` to the second; the id orders within it), so a
        # reused attempt id comes after the genuine attempt and is the one refused. (With a
        # random id it could go first; the server would keep its content and refuse the
        # genuine one — converged, but not the dead letter this model expects.)
        op_id = uuid7()
        async with device.store._sessions() as db, db.begin():
            db.add(
                SyncOperation(
                    id=op_id, device_id=device.name, student_id=self.student.id,
                    entity_type="question_attempt", entity_id=attempt_id,
                    operation=SyncOperationKind.CREATE, payload=payload,
                    status=SyncStatus.PENDING,
                )
            )  # fmt: skip
        self.invalid[device.name].add(op_id)
        self.context.totals.invalid += 1

    async def _an_acknowledged_attempt_of(self, device: Device) -> uuid.UUID | None:
        async with device.store._sessions() as db:
            return await db.scalar(
                select(QuestionAttempt.id)
                .where(QuestionAttempt.device_id == device.name)
                .where(QuestionAttempt.id.in_(self.acknowledged))
                .limit(1)
            )

    @rule(
        device=st.sampled_from(range(3)),
        faults=st.lists(st.sampled_from(list(Fault)), max_size=4),
        kill_at=st.none() | st.integers(0, 40),
    )
    def sync(self, device: int, faults: list[Fault], kill_at: int | None) -> None:
        self._step("sync")
        self.context.totals.syncs += 1
        self.context.run(self._sync(self.devices[device], faults, kill_at))

    async def _sync(self, device: Device, faults: list[Fault], kill_at: int | None) -> None:
        await device.ensure_running()
        self.network.plan(faults)
        if kill_at is not None:
            device.switch.arm(kill_at)
        try:
            await device.client.sync_once()
        except SyncUnavailable:
            pass  # the network failed; the next sync goes on from the queue
        except Killed:
            self.context.totals.kills += 1
            self.context.totals.kills_mid_sync += 1
            await device.kill()
        finally:
            device.switch.disarm()
            self.network.heal()

    @precondition(lambda machine: bool(machine.network.held))
    @rule(picks=st.lists(st.integers(0, 20), min_size=1, max_size=3))
    def deliver_held(self, picks: list[int]) -> None:
        self._step("deliver_held")
        self.context.run(self.network.deliver_held(picks))

    @precondition(lambda machine: any(d.alive and d.worked for d in machine.devices))
    @rule(pick=st.integers(0, 2))
    def kill_idle(self, pick: int) -> None:
        """Kill a device between two of its steps (one that has worked since it started: a
        process killed again before it did anything has nothing more to lose)."""
        self._step("kill_idle")
        alive = [device for device in self.devices if device.alive and device.worked]
        self.context.totals.kills += 1
        self.context.run(alive[pick % len(alive)].kill())

    # ---- after the faults -------------------------------------------------------------------

    def teardown(self) -> None:
        started = time.perf_counter()
        if self.last_step is not None:
            self.context.totals.seconds[self.last_step[0]] += started - self.last_step[1]
        try:
            self.context.run(self._converge_and_check())
        finally:
            self.context.totals.seconds["teardown"] += time.perf_counter() - started
            for device in self.devices:
                self.context.run(device.kill())
            self.context.totals.faults.update({k.value: v for k, v in self.network.faults.items()})

    async def _converge_and_check(self) -> None:
        self.network.heal()
        await self.network.deliver_all_held()
        for device in self.devices:
            await device.ensure_running()
            # Batches of the normal size once the faults are over (small ones, above, put
            # the kills between a batch's statements).
            device.client.batch_size = FULL_BATCH
        for _ in range(2):
            for device in self.devices:
                await device.client.sync(max_failures=1)

        assert not [s for s in self.network.statuses if s >= 500], self.network.statuses

        async with self.context.sessions() as db:
            server = set(
                (
                    await db.scalars(
                        select(QuestionAttempt.id).where(
                            QuestionAttempt.student_id == self.student.id
                        )
                    )
                ).all()
            )
            server_hours = await db.scalar(
                select(StudentProfile.available_hours_per_week).where(
                    StudentProfile.user_id == self.student.id
                )
            )
            server_mastery = dict(
                (
                    await db.execute(
                        select(ConceptMastery.concept_id, ConceptMastery.mastery)
                        .where(ConceptMastery.student_id == self.student.id)
                    )
                ).all()
            )  # fmt: skip
        # Every acknowledged attempt reached the server, once (the primary key), and nothing
        # else did (the invalid ones never apply).
        assert server == self.acknowledged
        latest = max(self.hours, key=lambda change: change[0])
        assert server_hours == latest[1]
        for device in self.devices:
            async with device.store._sessions() as db:
                local = set(
                    (
                        await db.scalars(
                            select(QuestionAttempt.id).where(
                                QuestionAttempt.student_id == self.student.id
                            )
                        )
                    ).all()
                )
                statuses = dict(
                    (
                        await db.execute(select(SyncOperation.id, SyncOperation.status))
                    ).all()
                )  # fmt: skip
                hours = await db.scalar(
                    select(StudentProfile.available_hours_per_week).where(
                        StudentProfile.user_id == self.student.id
                    )
                )
                mastery = dict(
                    (
                        await db.execute(
                            select(ConceptMastery.concept_id, ConceptMastery.mastery)
                            .where(ConceptMastery.student_id == self.student.id)
                        )
                    ).all()
                )  # fmt: skip
            # Invalid operations were queued without a local attempt row: every device holds
            # exactly the server's attempts.
            assert local == server, device.name
            assert not [s for s in statuses.values() if s in (SyncStatus.PENDING,
                                                             SyncStatus.IN_PROGRESS)]  # fmt: skip
            failed = {op for op, status in statuses.items() if status == SyncStatus.FAILED}
            assert failed == self.invalid[device.name], device.name
            assert hours == latest[1], device.name
            assert mastery == server_mastery, device.name


def _clock_order_is_string_order() -> None:
    # The model takes the latest profile change as the greatest encoded clock, as the server
    # does; make sure the encoding keeps that promise for the stamps this test makes.
    early = Clock(wall_ms=1_000, counter=9, node="tablet").encode()
    later = Clock(wall_ms=1_001, counter=0, node="laptop").encode()
    assert early < later


@pytest.fixture
async def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.fixture
async def fault_world(engine: AsyncEngine) -> AsyncIterator[World]:
    """The world, committed (the app in process commits for real); emptied afterwards, so the
    modules that run on this worker after this one find the adaptive tables as they expect."""
    async with AsyncSession(engine, expire_on_commit=False) as db:
        world = await build_world(db, students=1)
    yield world
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        await connection.execute(text(TRUNCATE_ALL))
        # The replans its pushes queued (no worker runs here): not left for later tests.
        await connection.execute(
            text(
                "DELETE FROM lyceum.procrastinate_jobs WHERE task_name = :task AND status = 'todo'"
            ),
            {"task": REPLAN_JOB},
        )


async def _template(app: FastAPI, world: World, path: Path) -> None:
    """One device of the world's student that has pulled everything once."""
    engine = create_local_engine(f"sqlite:///{path}")
    try:
        await create_local_schema(engine)
        store = DeviceStore(engine)
        await store.state("template")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={**student_headers(world.students[0]), "Content-Type": "application/json"},
        ) as http:
            await SyncClient(store, http, sleep=_no_wait).sync(max_failures=1)
        async with store._sessions() as db, db.begin():
            # The copies start with nothing of the template's student but the graph.
            await db.execute(update(sync_state).values(student_id=None))
    finally:
        await engine.dispose()


def test_devices_converge_under_faults(
    app: FastAPI,
    engine: AsyncEngine,
    fault_world: World,
    running_loop: asyncio.AbstractEventLoop,
    tmp_path: Path,
) -> None:
    _clock_order_is_string_order()
    global CONTEXT
    template = tmp_path / "template.db"
    running_loop.run_until_complete(_template(app, fault_world, template))
    totals = Totals()
    CONTEXT = Context(
        loop=running_loop,
        app=app,
        sessions=async_sessionmaker(engine, expire_on_commit=False),
        world=fault_world,
        template=template,
        workdir=tmp_path,
        totals=totals,
    )
    started = time.perf_counter()
    run_settings = settings(
        max_examples=RUNS_PER_ROUND,
        stateful_step_count=STEPS_PER_RUN,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    try:
        while totals.steps < STEPS_WANTED:
            run_state_machine_as_test(SyncUnderFaults, settings=run_settings)
    finally:
        CONTEXT = None
    seconds = time.perf_counter() - started
    report = {
        "steps": totals.steps,
        "runs": totals.runs,
        "seconds": round(seconds, 1),
        "syncs": totals.syncs,
        "kills": totals.kills,
        "kills_mid_sync": totals.kills_mid_sync,
        "attempts_acknowledged": totals.attempts,
        "invalid_operations": totals.invalid,
        "messages": dict(totals.faults),
        "rules": dict(totals.rules),
        "seconds_in": {k: round(v, 1) for k, v in totals.seconds.items()},
    }
    out = artifacts_dir() / "sync_faults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    assert totals.steps >= STEPS_WANTED
    # The faults were really exercised, not just scheduled.
    assert totals.kills_mid_sync > 0 and totals.invalid > 0
    for fault in Fault:
        assert totals.faults[fault.value] > 0, fault
