"""Knowledge-tracing state in SQL: the fitted parameters per concept, the stored state per
(student, concept) (`concept_mastery`), a pair's whole history for a replay, and saving
states. Every statement takes whole arrays, so a push touching many concepts is a handful of
round trips. PostgreSQL only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.mastery.bkt import (
    DEFAULT_PARAMS,
    BktParams,
    MasteryState,
    Observation,
    confidence,
    initial_state,
)

Pair = tuple[uuid.UUID, uuid.UUID]  # (student, concept)


async def params_for(db: AsyncSession, concepts: Iterable[uuid.UUID]) -> dict[uuid.UUID, BktParams]:
    """Each concept's fitted parameters; DEFAULT_PARAMS for a concept never fitted."""
    wanted = list(set(concepts))
    rows = await db.execute(
        text(
            "SELECT concept_id, p_init, p_learn, forget_per_day, guess_mcq, guess_numeric, slip"
            " FROM adaptive.concept_mastery_params WHERE concept_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": wanted},
    )
    found = {row[0]: BktParams(*row[1:]) for row in rows}
    return {concept: found.get(concept, DEFAULT_PARAMS) for concept in wanted}


_STORED = text("""
SELECT p.s, p.c, m.mastery, m.attempts_count, m.correct_count, m.last_practiced_at,
       coalesce(so.prior_offset, 0),
       k.p_init, k.p_learn, k.forget_per_day, k.guess_mcq, k.guess_numeric, k.slip
FROM unnest(CAST(:students AS uuid[]), CAST(:concepts AS uuid[])) AS p(s, c)
LEFT JOIN adaptive.concept_mastery m ON m.student_id = p.s AND m.concept_id = p.c
LEFT JOIN adaptive.concept_mastery_params k ON k.concept_id = p.c
LEFT JOIN adaptive.mastery_student_offsets so ON so.student_id = p.s
""")


@dataclass(frozen=True, slots=True)
class Stored:
    """What knowledge tracing starts from for some pairs: the state each pair's
    `concept_mastery` row holds (pairs without a row are absent), each concept's parameters
    (DEFAULT_PARAMS when never fitted) and each student's fitted prior offset (0 if none)."""

    states: dict[Pair, MasteryState]
    params: dict[uuid.UUID, BktParams]
    prior_offsets: dict[uuid.UUID, float]

    def start(self, pair: Pair) -> MasteryState:
        """The pair's stored state, or its state before any attempt."""
        stored = self.states.get(pair)
        if stored is not None:
            return stored
        return initial_state(self.params[pair[1]], prior_offset=self.prior_offsets[pair[0]])


async def stored_states(db: AsyncSession, pairs: Iterable[Pair]) -> Stored:
    """One round trip."""
    wanted = sorted(set(pairs))
    found = Stored({}, {}, {})
    if not wanted:
        return found
    rows = await db.execute(
        _STORED, {"students": [s for s, _ in wanted], "concepts": [c for _, c in wanted]}
    )
    for row in rows:
        if row[2] is not None:
            found.states[(row[0], row[1])] = MasteryState(row[2], row[3], row[4], row[5])
        found.prior_offsets[row[0]] = row[6]
        found.params[row[1]] = DEFAULT_PARAMS if row[7] is None else BktParams(*row[7:13])
    return found


async def prior_offsets(
    db: AsyncSession, student_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """Each student's fitted prior offset (`lyceum adaptive fit`), 0 when never fitted."""
    wanted = list(set(student_ids))
    rows = await db.execute(
        text(
            "SELECT student_id, prior_offset FROM adaptive.mastery_student_offsets"
            " WHERE student_id = ANY(CAST(:students AS uuid[]))"
        ),
        {"students": wanted},
    )
    found = {row[0]: float(row[1]) for row in rows}
    return {student: found.get(student, 0.0) for student in wanted}


async def prior_offset(db: AsyncSession, student_id: uuid.UUID) -> float:
    return (await prior_offsets(db, [student_id]))[student_id]


# One student's attempts (`idx_attempts_student_timestamp`, behind a MATERIALIZED fence), then
# those at the wanted concepts. Without the fence the planner may probe the touched questions'
# attempts through `question_id` and filter by student — and does, in the generic plan a
# cached prepared statement switches to after five runs — reading every student's attempts at
# those questions: a cost growing with the whole table, not with this student's history.
_HISTORY = text("""
WITH mine AS MATERIALIZED (
    SELECT id, question_id, attempted_at, is_correct FROM adaptive.question_attempts
    WHERE student_id = :student
)
SELECT q.concept_id, m.id, m.attempted_at, m.is_correct, q.kind, coalesce(o.answer_offset, 0)
FROM mine m JOIN adaptive.questions q ON q.id = m.question_id
LEFT JOIN adaptive.mastery_question_offsets o ON o.question_id = m.question_id
WHERE q.concept_id = ANY(CAST(:concepts AS uuid[]))
""")


async def history(db: AsyncSession, pairs: Iterable[Pair]) -> dict[Pair, list[Observation]]:
    """Every attempt of each pair, for a replay (one query a student)."""
    by_student: dict[uuid.UUID, list[uuid.UUID]] = {}
    found: dict[Pair, list[Observation]] = {}
    for student, concept in set(pairs):
        by_student.setdefault(student, []).append(concept)
        found[(student, concept)] = []
    for student, concepts in by_student.items():
        rows = await db.execute(_HISTORY, {"student": student, "concepts": concepts})
        for concept, attempt_id, attempted_at, correct, kind, effect in rows.all():
            found[(student, concept)].append(
                Observation(attempt_id, attempted_at, correct, kind, effect)
            )
    return found


_SAVE = text("""
INSERT INTO adaptive.concept_mastery AS m (id, student_id, concept_id, mastery, confidence,
    attempts_count, correct_count, last_practiced_at)
SELECT gen_random_uuid(), r.s, r.c, r.mastery, r.confidence, r.attempts, r.correct, r.last
FROM unnest(CAST(:students AS uuid[]), CAST(:concepts AS uuid[]), CAST(:mastery AS float8[]),
            CAST(:confidence AS float8[]), CAST(:attempts AS integer[]),
            CAST(:correct AS integer[]), CAST(:last AS timestamptz[]))
     AS r(s, c, mastery, confidence, attempts, correct, last)
ON CONFLICT (student_id, concept_id) DO UPDATE SET
    mastery = EXCLUDED.mastery, confidence = EXCLUDED.confidence,
    attempts_count = EXCLUDED.attempts_count, correct_count = EXCLUDED.correct_count,
    last_practiced_at = EXCLUDED.last_practiced_at, updated_at = now()
WHERE (m.mastery, m.confidence, m.attempts_count, m.correct_count, m.last_practiced_at)
      IS DISTINCT FROM (EXCLUDED.mastery, EXCLUDED.confidence, EXCLUDED.attempts_count,
                        EXCLUDED.correct_count, EXCLUDED.last_practiced_at)
""")


async def save_states(db: AsyncSession, states: Mapping[Pair, MasteryState]) -> None:
    """Upsert each pair's state with its confidence; an unchanged row is not rewritten (so
    the change log devices pull from gains nothing)."""
    if not states:
        return
    pairs = sorted(states)
    await db.execute(
        _SAVE,
        {
            "students": [s for s, _ in pairs],
            "concepts": [c for _, c in pairs],
            "mastery": [states[p].p_mastered for p in pairs],
            "confidence": [confidence(states[p].p_mastered) for p in pairs],
            "attempts": [states[p].attempts_count for p in pairs],
            "correct": [states[p].correct_count for p in pairs],
            "last": [states[p].last_practiced_at for p in pairs],
        },
    )


async def student_states(
    db: AsyncSession, student_id: uuid.UUID
) -> dict[uuid.UUID, tuple[MasteryState, float, datetime]]:
    """Every concept's stored state of one student: (state, confidence, updated_at)."""
    rows = await db.execute(
        text(
            "SELECT concept_id, mastery, attempts_count, correct_count, last_practiced_at,"
            " confidence, updated_at FROM adaptive.concept_mastery WHERE student_id = :student"
        ),
        {"student": student_id},
    )
    return {row[0]: (MasteryState(row[1], row[2], row[3], row[4]), row[5], row[6]) for row in rows}


__all__ = [
    "Pair",
    "Stored",
    "history",
    "params_for",
    "prior_offset",
    "prior_offsets",
    "save_states",
    "stored_states",
    "student_states",
]
