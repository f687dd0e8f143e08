"""Mastery as attempts arrive (issue 18, item 1): one knowledge-tracing step per new attempt
from the stored state when it is newer than everything held, a replay of the pair's history
when it is not, and either way the replay's value to the bit; the fitted parameters are used;
the confidence is stored; a push that applied something queues the student's replan."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import QuestionKind
from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import DEFAULT_PARAMS, BktParams, MasteryState, Observation
from lyceum.adaptive.models import ConceptMastery, ConceptMasteryParams, Question
from lyceum.adaptive.planning.types import ConceptInput
from lyceum.adaptive.schemas_learning import MasteryStatus
from lyceum.adaptive.service.mastery import status_of
from lyceum.adaptive.service.replanning import replan_key
from lyceum.adaptive.service.tracing import advance
from lyceum.adaptive.sync import Clock
from tests.adaptive.sync_world import World, attempt_op, build_world, profile_op, push_ops

T0 = datetime(2026, 10, 1, 8, tzinfo=UTC)
DEVICE = "phone-1"
FITTED = BktParams(p_init=0.15, p_learn=0.3, forget_per_day=0.02, guess_mcq=0.2,
                   guess_numeric=0.02, slip=0.05)  # fmt: skip


def history(results: list[tuple[int, bool, str]]) -> list[Observation]:
    """(minutes after T0, correct, kind) -> observations with distinct ids."""
    return [
        Observation(uuid.UUID(int=i + 1), T0 + timedelta(minutes=m), ok, kind)
        for i, (m, ok, kind) in enumerate(results)
    ]


steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 90),
        st.booleans(),
        st.sampled_from([QuestionKind.MCQ.value, QuestionKind.NUMERIC.value]),
    ),
    min_size=2,
    max_size=30,
    unique_by=lambda step: step[0],
)


@settings(max_examples=200, deadline=None)
@given(steps, st.integers(min_value=1, max_value=29))
def test_the_incremental_update_equals_the_replay(
    results: list[tuple[int, bool, str]], cut: int
) -> None:
    seen = sorted(history(results), key=lambda o: o.attempted_at)
    cut = min(cut, len(seen) - 1)
    stored = bkt.replay(FITTED, seen[:cut])
    # Newer attempts in any order within the batch.
    incremental = advance(FITTED, stored, list(reversed(seen[cut:])))
    assert incremental == bkt.replay(FITTED, seen)


def test_an_older_or_simultaneous_attempt_asks_for_a_replay() -> None:
    seen = history([(0, True, "mcq"), (10, False, "numeric"), (20, True, "mcq")])
    stored = bkt.replay(DEFAULT_PARAMS, seen[1:])
    assert advance(DEFAULT_PARAMS, stored, seen[:1]) is None  # older than the stored last
    same_time = Observation(uuid.uuid4(), seen[2].attempted_at, True, "mcq")
    assert advance(DEFAULT_PARAMS, stored, [same_time]) is None
    assert advance(DEFAULT_PARAMS, None, seen) is None  # nothing stored: replay
    assert advance(DEFAULT_PARAMS, MasteryState(0.3), seen) is None


# ---- on the server ---------------------------------------------------------------------------


async def stored(db: AsyncSession, student: uuid.UUID, concept: uuid.UUID) -> ConceptMastery:
    row = await db.scalar(
        select(ConceptMastery).where(
            ConceptMastery.student_id == student, ConceptMastery.concept_id == concept
        )
    )
    assert row is not None
    await db.refresh(row)
    return row


def ops(
    world: World, student: uuid.UUID, question: Question, minutes: list[int]
) -> list[dict[str, Any]]:
    right, wrong = world.answers[question.id]
    return [
        attempt_op(student, question.id, right if i % 3 else wrong, DEVICE,
                   attempted_at=T0 + timedelta(minutes=m))
        for i, m in enumerate(minutes)
    ]  # fmt: skip


def observed(world: World, question: Question, minutes: list[int]) -> list[Observation]:
    return [
        Observation(uuid.uuid4(), T0 + timedelta(minutes=m), bool(i % 3), question.kind.value)
        for i, m in enumerate(minutes)
    ]


async def test_arrivals_in_order_step_from_the_stored_state_and_late_ones_replay(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    concept = question.concept_id
    db_session.add(ConceptMasteryParams(concept_id=concept, **asdict(FITTED), attempts_used=100,
                                        students_used=10, log_likelihood=-50.0))  # fmt: skip
    await db_session.commit()
    first = ops(world, student.id, question, [0, 30, 60])
    assert (await push_ops(client, student, DEVICE, first)).json()["applied"] == 3
    row = await stored(db_session, student.id, concept)
    expected = bkt.replay(FITTED, observed(world, question, [0, 30, 60]))
    assert (row.mastery, row.attempts_count, row.correct_count) == (
        expected.p_mastered, 3, 2,
    )  # fmt: skip
    assert row.confidence == pytest.approx(bkt.confidence(row.mastery))
    assert row.last_practiced_at == T0 + timedelta(minutes=60)
    assert (
        row.mastery != bkt.replay(DEFAULT_PARAMS, observed(world, question, [0, 30, 60])).p_mastered
    )

    # Which path ran shows when the stored state is not the replay's: a newer attempt steps
    # from what is stored, whatever it is (O(1): no history read) ...
    await db_session.execute(
        update(ConceptMastery).where(ConceptMastery.id == row.id).values(mastery=0.5)
    )
    await db_session.commit()
    newer = ops(world, student.id, question, [90])
    await push_ops(client, student, DEVICE, newer)
    row = await stored(db_session, student.id, concept)
    tampered = MasteryState(0.5, 3, 2, T0 + timedelta(minutes=60))
    assert row.mastery == bkt.update(FITTED, tampered, False, T0 + timedelta(minutes=90),
                                     question.kind).p_mastered  # fmt: skip
    assert row.attempts_count == 4

    # ... and an attempt older than the newest held replays all of the pair's attempts.
    late = ops(world, student.id, question, [45])
    await push_ops(client, student, DEVICE, late)
    row = await stored(db_session, student.id, concept)
    everything = [
        *observed(world, question, [0, 30, 60]),
        Observation(uuid.uuid4(), T0 + timedelta(minutes=90), False, question.kind.value),
        Observation(uuid.uuid4(), T0 + timedelta(minutes=45), False, question.kind.value),
    ]
    replayed = bkt.replay(FITTED, everything)
    assert (row.mastery, row.attempts_count, row.correct_count) == (replayed.p_mastered, 5, 2)
    assert row.last_practiced_at == T0 + timedelta(minutes=90)
    assert row.confidence == pytest.approx(bkt.confidence(replayed.p_mastered))


async def test_the_same_attempts_in_any_order_give_the_same_mastery_to_the_bit(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=2)
    first, second = world.students
    question = world.questions[1]
    minutes = [0, 20, 40, 60, 80, 100, 120]
    mine = ops(world, first.id, question, minutes)
    theirs = ops(world, second.id, question, minutes)
    for op in mine:  # one at a time, oldest first: every step incremental
        await push_ops(client, first, DEVICE, [op])
    # Newest first, then a batch mixing old and new.
    await push_ops(client, second, DEVICE, theirs[4:])
    await push_ops(client, second, DEVICE, theirs[:4][::-1])
    a = await stored(db_session, first.id, question.concept_id)
    b = await stored(db_session, second.id, question.concept_id)
    assert (a.mastery, a.confidence, a.attempts_count, a.correct_count, a.last_practiced_at) == (
        b.mastery, b.confidence, b.attempts_count, b.correct_count, b.last_practiced_at,
    )  # fmt: skip
    assert a.mastery == bkt.replay(DEFAULT_PARAMS, observed(world, question, minutes)).p_mastered


async def replan_jobs(db: AsyncSession, student: uuid.UUID) -> int:
    found = await db.scalar(
        text("SELECT count(*) FROM lyceum.procrastinate_jobs WHERE queueing_lock = :key"),
        {"key": replan_key(student)},
    )
    return int(found or 0)


async def test_a_push_queues_the_replan_when_it_applied_attempts_or_profile_fields(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, students=3)
    practising, editing, refused = world.students
    await push_ops(client, practising, DEVICE, ops(world, practising.id, world.questions[0], [5]))
    assert await replan_jobs(db_session, practising.id) == 1
    stamp = Clock(int(datetime.now(UTC).timestamp() * 1000) - 1000, 0, DEVICE).encode()
    await push_ops(client, editing, DEVICE,
                   [profile_op(editing.id, {"available_hours_per_week": 4.0}, stamp)])  # fmt: skip
    assert await replan_jobs(db_session, editing.id) == 1
    # Nothing applied (an unknown question), or a profile write that changes nothing: no job.
    bad = attempt_op(refused.id, uuid.uuid4(), "1", DEVICE)
    same = profile_op(refused.id, {"available_hours_per_week": 6.0}, stamp)
    response = await push_ops(client, refused, DEVICE, [bad, same])
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "applied"]
    assert await replan_jobs(db_session, refused.id) == 0


def test_each_status_of_the_mastery_map() -> None:
    def concept(code: str, state: MasteryState, *needs: str) -> ConceptInput:
        return ConceptInput(code, code, "T", 1.0, needs, DEFAULT_PARAMS, state)

    last = T0
    known = MasteryState(0.99, 8, 8, last)
    now = {"base": 0.99, "weak": 0.5}
    cases = {
        MasteryStatus.NOT_STARTED: (concept("a", MasteryState(0.3), "base"), 0.3),
        MasteryStatus.LOCKED: (concept("b", MasteryState(0.3), "base", "weak"), 0.3),
        MasteryStatus.MASTERED: (concept("c", known), 0.97),
        # Mastered at the last attempt, forgotten below the line since.
        MasteryStatus.DECAYING: (concept("d", known), 0.9),
        MasteryStatus.LEARNING: (concept("e", MasteryState(0.6, 3, 2, last), "weak"), 0.6),
    }
    for expected, (item, p) in cases.items():
        status, locked_by = status_of(item, {**now, item.code: p})
        assert status == expected, item.code
        assert locked_by == [n for n in item.prerequisites if now[n] < 0.8]


async def test_fitted_offsets_are_used_by_the_step_and_by_the_replay_alike(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """After `lyceum adaptive fit`, a question's emission offset shifts every update of an
    attempt at it, and the student's prior offset is where a replay starts: stepping in order
    and replaying a late arrival both give `bkt.replay` with those offsets."""
    world = await build_world(db_session, students=1)
    student, question = world.students[0], world.questions[0]
    concept = question.concept_id
    db_session.add(ConceptMasteryParams(concept_id=concept, **asdict(FITTED), attempts_used=100,
                                        students_used=10, log_likelihood=-50.0))  # fmt: skip
    await db_session.execute(
        text(
            "INSERT INTO adaptive.mastery_student_offsets (student_id, prior_offset,"
            " attempts_used) VALUES (:s, 1.2, 40)"
        ),
        {"s": student.id},
    )
    await db_session.execute(
        text(
            "INSERT INTO adaptive.mastery_question_offsets (question_id, answer_offset,"
            " attempts_used) VALUES (:q, -0.8, 40)"
        ),
        {"q": question.id},
    )
    await db_session.commit()

    def with_offsets(minutes: list[int], wrong_at: set[int]) -> bkt.MasteryState:
        seen = [
            Observation(uuid.uuid4(), T0 + timedelta(minutes=m), m not in wrong_at,
                        question.kind.value, -0.8)
            for m in minutes
        ]  # fmt: skip
        return bkt.replay(FITTED, seen, prior_offset=1.2)

    first = ops(world, student.id, question, [0, 30, 60])  # right except the first
    for op in first:  # one at a time: the first replays (no row), the others step
        await push_ops(client, student, DEVICE, [op])
    row = await stored(db_session, student.id, concept)
    expected = with_offsets([0, 30, 60], wrong_at={0})
    assert row.mastery == expected.p_mastered
    assert row.mastery != bkt.replay(FITTED, observed(world, question, [0, 30, 60])).p_mastered

    late = ops(world, student.id, question, [45])  # wrong (i = 0), older than the newest
    await push_ops(client, student, DEVICE, late)
    row = await stored(db_session, student.id, concept)
    assert row.mastery == with_offsets([0, 30, 45, 60], wrong_at={0, 45}).p_mastered
