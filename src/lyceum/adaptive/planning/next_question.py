"""`choose_next_question`: which question a student should answer next, and why.

Rules (thresholds on P(L) now, i.e. BKT mastery decayed to the instant):

- Outer fringe: a concept whose prerequisites (those in the request) all have P(L) ≥ 0.8
  (`PREREQUISITE_MASTERED`) and which itself has P(L) < 0.95 (`MASTERED`). "new" when the
  student has never attempted it, "practice" when they have.
- Decaying: a concept that was mastered after its last practice (P(L) then ≥ 0.95) and has
  since decayed below 0.9 (`REVIEW_BELOW`).
- Review interleaving: every fourth question of the day (the 4th, 8th, …: counted from the
  recent answers given on the same UTC date) is a review of a decaying concept when there is
  one; a decaying concept is also reviewed when the fringe offers no question.
- Today's plan first: when some of today's planned concepts are eligible (on the fringe, or
  decaying on a review turn), only they are considered.
- Predicted success of a question: once `lyceum adaptive fit` has fitted the question's
  emission offset, the served model's own prediction (`bkt.p_correct_given` with that offset,
  the same figure the model is scored on). Before any fit: BKT's p_correct_given for its kind
  (MCQ or numeric), with P(L) shifted on the logit scale by how much harder than its
  concept's average question its authored difficulty is: P' = sigmoid(logit(P(L)) - (b - mean
  b of the concept's questions)). The average question of a concept thus keeps BKT's own
  prediction, a harder one predicts less.
- Target band: 70-85 % predicted success. The question closest to the band wins (distance 0
  inside it); ties go to the higher-marks concept, then the lower mastery, then the question
  id (deterministic).
- Recent questions: a question answered in the last 24 hours is avoided while its concept
  has another; if every candidate was answered that recently, the one answered longest ago.
- Nothing on the fringe and nothing decaying (all mastered, or everything blocked by its
  prerequisites): the band-closest question of any concept, as "practice".
- None when there is no question of any requested concept.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lyceum.adaptive.mastery.bkt import mastery_at, p_correct_given
from lyceum.adaptive.planning.types import ConceptInput

PREREQUISITE_MASTERED = 0.8
MASTERED = 0.95
REVIEW_BELOW = 0.9
REVIEW_EVERY = 4
BAND = (0.70, 0.85)
RECENT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class QuestionOption:
    question_id: uuid.UUID
    concept_code: str
    kind: str  # "mcq" | "numeric"
    difficulty: float
    # The question's fitted emission offset (`lyceum adaptive fit`), when it has one: then
    # the served model's own prediction is used instead of the authored difficulty.
    fitted_offset: float | None = None


@dataclass(frozen=True, slots=True)
class RecentAnswer:
    question_id: uuid.UUID
    concept_code: str
    answered_at: datetime
    is_correct: bool


@dataclass(frozen=True, slots=True)
class NextQuestionRequest:
    now: datetime
    concepts: tuple[ConceptInput, ...]
    questions: tuple[QuestionOption, ...]
    recent: tuple[RecentAnswer, ...]  # newest first, at most ~50
    planned_today: tuple[str, ...] = ()  # concept codes in today's plan (preferred)


@dataclass(frozen=True, slots=True)
class QuestionChoice:
    question_id: uuid.UUID
    concept_code: str
    predicted_success: float
    mode: str  # "new" (outer fringe) | "practice" | "review" (decaying)
    reason: str  # one sentence


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def predicted_success(concept: ConceptInput, p_now: float, kind: str, relative_b: float) -> float:
    shifted = 1.0 / (1.0 + math.exp(-(_logit(p_now) - relative_b)))
    return p_correct_given(concept.params, shifted, kind)


def band_distance(p: float) -> float:
    low, high = BAND
    return max(low - p, 0.0, p - high)


def in_words(p: float) -> str:
    """The nearest simple odds, as in "about 3 in 4"."""
    odds = [(1, 4), (1, 3), (2, 5), (1, 2), (3, 5), (2, 3), (7, 10), (3, 4), (4, 5), (5, 6),
            (9, 10), (19, 20)]  # fmt: skip
    a, b = min(odds, key=lambda ab: abs(ab[0] / ab[1] - p))
    return f"about {a} in {b}"


@dataclass(frozen=True, slots=True)
class _Candidate:
    concept: ConceptInput
    question: QuestionOption
    p_now: float
    success: float
    answered_at: datetime | None


def _candidates(
    request: NextQuestionRequest, codes: set[str], p_now: dict[str, float]
) -> list[_Candidate]:
    concepts = {c.code: c for c in request.concepts}
    by_concept: dict[str, list[QuestionOption]] = {}
    for question in request.questions:
        if question.concept_code in codes:
            by_concept.setdefault(question.concept_code, []).append(question)
    last_answered: dict[uuid.UUID, datetime] = {}
    for answer in request.recent:
        seen = last_answered.get(answer.question_id)
        if seen is None or answer.answered_at > seen:
            last_answered[answer.question_id] = answer.answered_at
    found: list[_Candidate] = []
    for code, questions in by_concept.items():
        concept = concepts[code]
        mean_b = sum(q.difficulty for q in questions) / len(questions)
        fresh = [q for q in questions
                 if q.question_id not in last_answered
                 or request.now - last_answered[q.question_id] >= RECENT]  # fmt: skip
        if not fresh:
            # Every question of the concept was answered lately: the one answered longest ago.
            fresh = [min(questions, key=lambda q: (last_answered[q.question_id], q.question_id))]
        for question in fresh:
            p = p_now[code]
            if question.fitted_offset is not None:
                success = p_correct_given(
                    concept.params, p, question.kind, effect=question.fitted_offset
                )
            else:
                success = predicted_success(concept, p, question.kind, question.difficulty - mean_b)
            found.append(_Candidate(concept, question, p, success,
                                    last_answered.get(question.question_id)))  # fmt: skip
    return found


def _best(candidates: Sequence[_Candidate]) -> _Candidate:
    return min(
        candidates,
        key=lambda c: (
            round(band_distance(c.success), 9),
            c.answered_at is not None,
            -c.concept.marks,
            c.p_now,
            c.question.question_id,
        ),
    )


def _review_turn(request: NextQuestionRequest) -> bool:
    today = request.now.astimezone(UTC).date()
    answered_today = sum(1 for a in request.recent if a.answered_at.astimezone(UTC).date() == today)
    return (answered_today + 1) % REVIEW_EVERY == 0


def choose_next_question(request: NextQuestionRequest) -> QuestionChoice | None:
    concepts = {c.code: c for c in request.concepts}
    p_now = {c.code: mastery_at(c.params, c.state, request.now) for c in request.concepts}
    with_questions = {q.concept_code for q in request.questions if q.concept_code in concepts}
    if not with_questions:
        return None
    fringe = {
        code for code in with_questions
        if p_now[code] < MASTERED
        and all(p_now[p] >= PREREQUISITE_MASTERED for p in concepts[code].prerequisites
                if p in p_now)
    }  # fmt: skip
    decaying = {
        code for code in with_questions
        if concepts[code].state.attempts_count > 0
        and concepts[code].state.p_mastered >= MASTERED and p_now[code] < REVIEW_BELOW
    }  # fmt: skip
    planned = set(request.planned_today)

    def pick(codes: set[str]) -> _Candidate | None:
        preferred = codes & planned
        found = _candidates(request, preferred or codes, p_now)
        return _best(found) if found else None

    if decaying and (_review_turn(request) or not fringe):
        choice = pick(decaying)
        if choice is not None:
            return _explain(choice, "review")
    if fringe:
        choice = pick(fringe)
        if choice is not None:
            new = choice.concept.state.attempts_count == 0
            return _explain(choice, "new" if new else "practice")
    choice = pick(with_questions)
    return _explain(choice, "practice", fallback=True) if choice is not None else None


def _explain(choice: _Candidate, mode: str, fallback: bool = False) -> QuestionChoice:
    name, odds = choice.concept.name, in_words(choice.success)
    if mode == "review":
        reason = (f"Review: {name} — you had mastered it but it is fading "
                  f"(now {choice.p_now:.0%}), and you should get {odds} right.")  # fmt: skip
    elif fallback:
        reason = (f"Practice: {name} — nothing new is open to you right now, "
                  f"and you should get {odds} right.")  # fmt: skip
    elif mode == "new":
        reason = (f"New: {name} — its prerequisites are mastered and you should get "
                  f"{odds} right.")  # fmt: skip
    else:
        reason = (f"Practice: {name} — you are at {choice.p_now:.0%} mastery and should get "
                  f"{odds} right.")  # fmt: skip
    return QuestionChoice(
        question_id=choice.question.question_id,
        concept_code=choice.concept.code,
        predicted_success=choice.success,
        mode=mode,
        reason=reason,
    )


__all__ = [
    "NextQuestionRequest",
    "QuestionChoice",
    "QuestionOption",
    "RecentAnswer",
    "choose_next_question",
]
