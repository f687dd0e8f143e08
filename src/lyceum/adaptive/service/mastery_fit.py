"""`lyceum adaptive fit`: fit the served mastery model — the individualised BKT with
forgetting of `mastery/individual.py` — by EM from every attempt held, save it (per-concept
parameters in `concept_mastery_params`, per-student prior and per-question offsets in
`mastery_student_offsets` and `mastery_question_offsets`, every row replaced), then recompute
every (student, concept) state under it with `bkt.replay` and the offsets — mastery,
confidence, counts and last practice — so that what `concept_mastery` holds is again exactly
what the incremental update continues from (`bkt.update` with the same offsets, read by
`repository.mastery_params.offsets_for`). All in the caller's transaction (the CLI commits
once at the end: parameters, offsets and states change together or not at all).

Every concept gets a row: those with too little history the pooled fit over all concepts
(`mastery/fit.py`), which beats the textbook defaults for a concept nobody has practised yet.
Offsets are clipped to the tables' CHECK range (±OFFSET_BOUND logits; the fit's ridge priors
keep them far inside it) before they are both stored and replayed, so the two agree.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import BktParams, MasteryState, Observation
from lyceum.adaptive.mastery.fit import ConceptFit, fit_packed
from lyceum.adaptive.mastery.individual import ITERATIONS, fit_individual
from lyceum.adaptive.mastery.sequences import pack
from lyceum.adaptive.repository import mastery as states_repository
from lyceum.adaptive.repository import mastery_params as repository
from lyceum.adaptive.repository.mastery_params import (
    NO_OFFSETS,
    OFFSET_BOUND,
    AttemptRow,
    FittedParams,
    FittedQuestionOffset,
    FittedStudentOffsets,
    StudentOffsets,
)
from lyceum.adaptive.repository.sync import lock_change_log

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class FitSummary:
    concepts: int
    concepts_fitted: int  # the others have too little history and got the pooled fit
    attempts: int
    students: int
    mastery_rows: int
    log_likelihood: float
    fit_seconds: float
    student_offsets: int = 0  # rows saved in mastery_student_offsets
    question_offsets: int = 0  # rows saved in mastery_question_offsets


@dataclass(frozen=True, slots=True)
class ModelFit:
    concepts: list[ConceptFit]
    students: dict[uuid.UUID, StudentOffsets]
    questions: dict[uuid.UUID, float]


def _clipped(value: float) -> float:
    return float(min(max(value, -OFFSET_BOUND), OFFSET_BOUND))


def _fit(rows: list[AttemptRow], concepts: list[uuid.UUID]) -> ModelFit:
    concept_index = {c: i for i, c in enumerate(concepts)}
    students: dict[uuid.UUID, int] = {}
    questions: dict[uuid.UUID, int] = {}
    n = len(rows)
    student = np.fromiter((students.setdefault(r.student_id, len(students)) for r in rows),
                          dtype=np.int64, count=n)  # fmt: skip
    question = np.fromiter((questions.setdefault(r.question_id, len(questions)) for r in rows),
                           dtype=np.int64, count=n)  # fmt: skip
    concept = np.fromiter((concept_index[r.concept_id] for r in rows), dtype=np.int64, count=n)
    days = np.fromiter((r.attempted_at.timestamp() / 86_400.0 for r in rows), np.float64, n)
    correct = np.fromiter((r.is_correct for r in rows), dtype=bool, count=n)
    numeric = np.fromiter((r.kind == "numeric" for r in rows), dtype=bool, count=n)
    # Rows come in (concept, student, time, id) order: the row number breaks time ties by id.
    packed = pack(student * len(concepts) + concept, concept, days, correct, numeric,
                  tiebreak=np.arange(n))  # fmt: skip
    if n == 0:  # nothing to individualise: the pooled (default) parameters, no offsets
        return ModelFit(fit_packed(packed, len(concepts)), {}, {})
    fitted = fit_individual(
        packed,
        len(concepts),
        packed.sequence_key // len(concepts),
        question[packed.source],
        max_iterations=ITERATIONS,
    )
    return ModelFit(
        concepts=fitted.concepts,
        students={
            s: StudentOffsets(prior_offset=_clipped(fitted.prior_offset[i]))
            for s, i in students.items()
        },
        questions={q: _clipped(fitted.question_offset[i]) for q, i in questions.items()},
    )


def replay_all(
    rows: list[AttemptRow],
    params: dict[uuid.UUID, BktParams],
    students: Mapping[uuid.UUID, StudentOffsets] | None = None,
    questions: Mapping[uuid.UUID, float] | None = None,
) -> dict[tuple[uuid.UUID, uuid.UUID], MasteryState]:
    """Every pair's state by `bkt.replay` from the student's prior offset, each attempt's
    effect its question's offset (none given: plain BKT)."""
    students = students or {}
    questions = questions or {}
    histories: dict[tuple[uuid.UUID, uuid.UUID], list[Observation]] = defaultdict(list)
    for r in rows:
        effect = questions.get(r.question_id, 0.0)
        histories[(r.student_id, r.concept_id)].append(
            Observation(r.attempt_id, r.attempted_at, r.is_correct, r.kind, effect)
        )
    return {
        pair: bkt.replay(
            params[pair[1]],
            seen,
            prior_offset=students.get(pair[0], NO_OFFSETS).prior_offset,
        )
        for pair, seen in histories.items()
    }


async def fit_mastery(db: AsyncSession, now: datetime) -> FitSummary:
    # Before reading: a push applied between this read and the writes below would have its
    # attempts' mastery overwritten by a replay that never saw them. Pushes (and the change
    # log's trigger) take this lock first too, so they wait while the fit runs — tens of
    # seconds at default scale: a job for the night, or for `lyceum up` before serving.
    await lock_change_log(db)
    rows = await repository.all_attempts(db)
    concepts = await repository.concept_ids(db)
    started = time.perf_counter()
    model = await asyncio.to_thread(_fit, rows, concepts)
    seconds = time.perf_counter() - started
    fitted = [
        FittedParams(c, f.params, f.attempts_used, f.students_used, f.log_likelihood)
        for c, f in zip(concepts, model.concepts, strict=True)
    ]
    params = {f.concept_id: f.params for f in fitted}
    states = await asyncio.to_thread(replay_all, rows, params, model.students, model.questions)
    by_student = Counter(r.student_id for r in rows)
    by_question = Counter(r.question_id for r in rows)
    student_rows = [
        FittedStudentOffsets(s, offsets, by_student[s]) for s, offsets in model.students.items()
    ]
    question_rows = [
        FittedQuestionOffset(q, offset, by_question[q]) for q, offset in model.questions.items()
    ]
    await repository.save_params(db, fitted, now)
    await repository.save_offsets(db, student_rows, question_rows, now)
    await states_repository.save_states(db, states)
    return FitSummary(
        concepts=len(concepts),
        concepts_fitted=sum(f.fitted for f in model.concepts),
        attempts=len(rows),
        students=len(by_student),
        mastery_rows=len(states),
        log_likelihood=round(sum(f.log_likelihood for f in model.concepts), 3),
        fit_seconds=round(seconds, 2),
        student_offsets=len(student_rows),
        question_offsets=len(question_rows),
    )


async def fit_if_never_fitted(db: AsyncSession, now: datetime) -> str:
    """`lyceum up`'s catch-up after generating a history: the first fit, so the demo's
    students have mastery from their history; nothing when a fit exists or nothing was
    practised. One line saying which."""
    if await repository.fitted_concepts(db) > 0:
        return "Adaptive: mastery model already fitted (refit with `lyceum adaptive fit`)"
    summary = await fit_mastery(db, now)
    if summary.attempts == 0:
        return "Adaptive: no attempts yet, mastery model not fitted"
    return (
        f"Adaptive: mastery model fitted by EM on {summary.attempts:,} attempts in "
        f"{summary.fit_seconds:.1f} s; {summary.mastery_rows:,} mastery rows computed"
    )


__all__ = ["FitSummary", "ModelFit", "fit_if_never_fitted", "fit_mastery", "replay_all"]
