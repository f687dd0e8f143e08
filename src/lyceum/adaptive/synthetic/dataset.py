"""`simulate(scale, seed, months, end)`: the whole synthetic data set and its ground truth.

Product rows (what the app would hold) are lists of dicts per table, except the attempts,
which are NumPy columns (`AttemptColumns`; `AdaptiveHistory.question_attempts` turns them into
dicts). The ground truth (`GroundTruth`: true mastery before and after every attempt, the
prerequisite mastery that set its learning rate, the response probability, and the initial
and final true mastery of every student-concept pair) is kept apart, for scoring a mastery
model later; it never appears in a product row.

Deterministic: each purpose draws from its own generator, `default_rng([seed, purpose])`, so
(scale, seed, months, end) fixes every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.adaptive.synthetic.attempts import run_attempts, to_utc
from lyceum.adaptive.synthetic.graph import build_graph
from lyceum.adaptive.synthetic.people import SCALES, build_cohort
from lyceum.adaptive.synthetic.questions import build_bank

# Mid-January before the 2026 boards: the window covers the last teaching months and the
# start of revision.
DEFAULT_END = datetime(2026, 1, 15, tzinfo=UTC)
DEFAULT_MONTHS = 6
MAX_MONTHS = 24
STREAMS = ("cohort", "bank", "prior", "schedule", "choice", "response")


@dataclass(frozen=True)
class AttemptColumns:
    """One entry per attempt, sorted by student then time."""

    username: npt.NDArray[np.str_]
    question_code: npt.NDArray[np.str_]
    concept_code: npt.NDArray[np.str_]
    answer: npt.NDArray[np.str_]
    is_correct: npt.NDArray[np.bool_]
    time_taken_seconds: npt.NDArray[np.int64]
    confidence: npt.NDArray[np.int64]
    attempted_at: list[datetime]
    device_id: npt.NDArray[np.str_]
    # Indices into the students / concepts / questions, for vectorised use.
    student_index: npt.NDArray[np.int64]
    concept_index: npt.NDArray[np.int64]
    question_index: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.is_correct.size)


@dataclass(frozen=True)
class LatentState:
    """The generator's latent model at the end of the window, per (student, concept): θ, its
    floor, the last practice (days since the window's start) and the practice count; per
    student: the learning-rate multiplier and the forgetting time constant. Enough to carry
    the students forward with `learning` (the plan evaluation)."""

    theta: npt.NDArray[np.float64]
    floor: npt.NDArray[np.float64]
    last_days: npt.NDArray[np.float64]
    count: npt.NDArray[np.float64]
    learning_rate: npt.NDArray[np.float64]
    forgetting_days: npt.NDArray[np.float64]


@dataclass(frozen=True)
class GroundTruth:
    """True (latent) mastery, never shown to the product."""

    usernames: list[str]
    concept_codes: list[str]
    # Aligned with AttemptColumns.
    mastery_before: npt.NDArray[np.float64]
    mastery_after: npt.NDArray[np.float64]
    prerequisite_mastery: npt.NDArray[np.float64]
    p_correct: npt.NDArray[np.float64]
    # (students, concepts): at the start of the window, at its end, and attempts in between.
    initial_mastery: npt.NDArray[np.float64]
    final_mastery: npt.NDArray[np.float64]
    practice_count: npt.NDArray[np.int64]
    latent: LatentState | None = field(default=None, repr=False)

    def final_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "username": username,
                "concept_code": code,
                "initial_mastery": float(self.initial_mastery[i, j]),
                "true_mastery": float(self.final_mastery[i, j]),
                "attempts": int(self.practice_count[i, j]),
            }
            for i, username in enumerate(self.usernames)
            for j, code in enumerate(self.concept_codes)
        ]


@dataclass(frozen=True)
class AdaptiveHistory:
    scale: str
    seed: int
    start: datetime
    end: datetime
    users: list[dict[str, Any]]
    student_profiles: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    topic_prerequisites: list[dict[str, str]]
    concepts: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    attempts: AttemptColumns
    truth: GroundTruth

    @property
    def question_attempts(self) -> list[dict[str, Any]]:
        a = self.attempts
        return [
            {
                "username": str(a.username[i]),
                "question_code": str(a.question_code[i]),
                "concept_code": str(a.concept_code[i]),
                "answer": str(a.answer[i]),
                "is_correct": bool(a.is_correct[i]),
                "time_taken_seconds": int(a.time_taken_seconds[i]),
                "confidence": int(a.confidence[i]),
                "attempted_at": a.attempted_at[i],
                "device_id": str(a.device_id[i]),
            }
            for i in range(len(a))
        ]


def window_start(end: datetime, months: int) -> datetime:
    """Midnight UTC `months` average months (30.44 days) before `end`."""
    start = end - timedelta(days=round(months * 30.4375))
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def simulate(
    scale: str = "default",
    seed: int = 0,
    months: int = DEFAULT_MONTHS,
    end: datetime = DEFAULT_END,
) -> AdaptiveHistory:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}")
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    end = end.astimezone(UTC)
    spec = SCALES[scale]
    streams = {name: np.random.default_rng([seed, k]) for k, name in enumerate(STREAMS)}

    graph = build_graph()
    bank = build_bank(graph, spec.questions_per_concept, streams["bank"])
    cohort = build_cohort(spec, end, streams["cohort"])
    start = window_start(end, months)
    days = (end - start).days
    cols, mastery = run_attempts(graph, bank, cohort, start, days, streams)

    at_days = cols["at_days"].astype(np.float64)
    student = cols["student"].astype(np.int64)
    order = np.lexsort((at_days, student))
    # An attempt can only finish before `end`: sessions on the last day that run past it
    # are cut.
    order = order[at_days[order] < (end - start).total_seconds() / 86_400]
    student, at_days = student[order], at_days[order]
    question = cols["question"].astype(np.int64)[order]
    concept = cols["concept"].astype(np.int64)[order]
    correct = cols["is_correct"].astype(bool)[order]
    wrong = bank.wrong_answers[question, cols["wrong_pick"].astype(np.int64)[order]]
    primary = cols["primary_device"].astype(bool)[order]
    devices = np.array([[d[0], d[-1]] for d in cohort.devices])
    usernames = np.array(cohort.usernames)
    question_codes = np.array([row["code"] for row in bank.rows])
    concept_codes = np.array(graph.concept_codes)

    attempts = AttemptColumns(
        username=usernames[student],
        question_code=question_codes[question],
        concept_code=concept_codes[concept],
        answer=np.where(correct, bank.correct_answer[question], wrong),
        is_correct=correct,
        time_taken_seconds=cols["time_taken"].astype(np.int64)[order],
        confidence=cols["confidence"].astype(np.int64)[order],
        attempted_at=to_utc(start, at_days),
        device_id=devices[student, np.where(primary, 0, 1)],
        student_index=student,
        concept_index=concept,
        question_index=question,
    )
    truth = GroundTruth(
        usernames=list(cohort.usernames),
        concept_codes=graph.concept_codes,
        mastery_before=cols["mastery_before"].astype(np.float64)[order],
        mastery_after=cols["mastery_after"].astype(np.float64)[order],
        prerequisite_mastery=cols["prerequisite_mastery"].astype(np.float64)[order],
        p_correct=cols["p_correct"].astype(np.float64)[order],
        initial_mastery=mastery["initial"],
        final_mastery=mastery["final"],
        practice_count=mastery["count"].astype(np.int64),
        latent=LatentState(
            theta=mastery["theta"],
            floor=mastery["floor"],
            last_days=mastery["last"],
            count=mastery["count"],
            learning_rate=cohort.learning_rate,
            forgetting_days=cohort.forgetting_days,
        ),
    )
    return AdaptiveHistory(
        scale=scale,
        seed=seed,
        start=start,
        end=end,
        users=cohort.users,
        student_profiles=cohort.student_profiles,
        classes=cohort.classes,
        topics=graph.topics,
        topic_prerequisites=graph.topic_prerequisites,
        concepts=graph.concepts,
        questions=bank.rows,
        attempts=attempts,
        truth=truth,
    )
