"""A student's mastery: the map over the knowledge graph, answering a question (the attempt and
the mastery it changes, in one transaction), and which question to answer next.

The callers (the API, the pages) check who may see the student first (`learner.check_access`).
These functions flush at most; the edge commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import QuestionKind, UserRole
from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import MasteryState, Observation
from lyceum.adaptive.planning.next_question import (
    MASTERED,
    PREREQUISITE_MASTERED,
    NextQuestionRequest,
    QuestionOption,
    RecentAnswer,
    choose_next_question,
)
from lyceum.adaptive.planning.types import ConceptInput
from lyceum.adaptive.repository import learning as repository
from lyceum.adaptive.repository import sync as ledger
from lyceum.adaptive.repository.learning import AnswerRow
from lyceum.adaptive.schemas_learning import (
    AttemptResult,
    AttemptSubmission,
    ConceptMasteryView,
    MasteryMap,
    MasteryStatus,
    NextQuestion,
    TopicMastery,
)
from lyceum.adaptive.service import plans, replanning, tracing
from lyceum.adaptive.service.learner import NO_SUCH_STUDENT, WEB_DEVICE, Learner, load_learner
from lyceum.adaptive.sync import answers_match
from lyceum.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from lyceum.core.ids import uuid7

# A client's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
RECENT_ANSWERS = 50


def status_of(concept: ConceptInput, p_now: dict[str, float]) -> tuple[MasteryStatus, list[str]]:
    """The concept's status, and its prerequisites not mastered yet."""
    locked_by = [p for p in concept.prerequisites if p_now.get(p, 1.0) < PREREQUISITE_MASTERED]
    if concept.state.attempts_count == 0:
        return (MasteryStatus.LOCKED if locked_by else MasteryStatus.NOT_STARTED), locked_by
    return practised_status(concept.state, p_now[concept.code]), locked_by


def practised_status(state: MasteryState, p_now: float) -> MasteryStatus:
    """Mastered now; mastered at the last attempt but forgotten below the line since; or
    learning."""
    if p_now >= MASTERED:
        return MasteryStatus.MASTERED
    if state.p_mastered >= MASTERED:
        return MasteryStatus.DECAYING
    return MasteryStatus.LEARNING


def build_map(learner: Learner, now: datetime) -> MasteryMap:
    p_now = {c.code: bkt.mastery_at(c.params, c.state, now) for c in learner.concepts}
    views: list[ConceptMasteryView] = []
    for concept in learner.concepts:
        if not learner.own_grade(concept.code):
            continue
        status, locked_by = status_of(concept, p_now)
        stored = learner.stored.get(learner.by_code[concept.code].id)
        views.append(
            ConceptMasteryView(
                code=concept.code,
                name=concept.name,
                topic_code=concept.topic_code,
                mastery=p_now[concept.code],
                mastery_after_last_attempt=concept.state.p_mastered,
                confidence=stored[1] if stored else bkt.confidence(concept.state.p_mastered),
                attempts=concept.state.attempts_count,
                correct=concept.state.correct_count,
                last_practiced_at=concept.state.last_practiced_at,
                status=status,
                marks=concept.marks,
                prerequisites=list(concept.prerequisites),
                locked_by=locked_by,
            )
        )
    topics = [t for t in learner.graph.topics if t.grade == learner.profile.grade]
    return MasteryMap(
        student_id=learner.student_id,
        grade=learner.profile.grade,
        as_of=now,
        mastered_at=MASTERED,
        expected_marks=sum(v.marks * v.mastery for v in views),
        concepts=views,
        topics=[
            summary
            for topic in topics
            if (summary := _topic(topic.code, topic.name, topic.syllabus_weightage, views))
        ],
    )


def _topic(
    code: str, name: str, weightage: float, views: Sequence[ConceptMasteryView]
) -> TopicMastery | None:
    mine = [v for v in views if v.topic_code == code]
    if not mine:
        return None  # a unit: its chapters hold the concepts
    count = {status: sum(1 for v in mine if v.status == status) for status in MasteryStatus}
    return TopicMastery(
        code=code,
        name=name,
        syllabus_weightage=weightage,
        concepts=len(mine),
        mean_mastery=sum(v.mastery for v in mine) / len(mine),
        expected_marks=sum(v.marks * v.mastery for v in mine),
        mastered=count[MasteryStatus.MASTERED],
        learning=count[MasteryStatus.LEARNING],
        not_started=count[MasteryStatus.NOT_STARTED],
        decaying=count[MasteryStatus.DECAYING],
        locked=count[MasteryStatus.LOCKED],
    )


async def _learner(db: AsyncSession, student_id: uuid.UUID) -> Learner:
    profile = await repository.profile(db, student_id)
    if profile is None:
        raise NotFound(f"{NO_SUCH_STUDENT} (or the student has no profile yet)")
    return await load_learner(db, profile)


async def mastery_map(db: AsyncSession, student_id: uuid.UUID, now: datetime) -> MasteryMap:
    return build_map(await _learner(db, student_id), now)


# ---- answering -----------------------------------------------------------------------------


async def submit_attempt(
    db: AsyncSession, student_id: uuid.UUID, body: AttemptSubmission, now: datetime
) -> AttemptResult:
    """Record the answer, decide whether it is right (from the question, never the client),
    update the concept's mastery by one knowledge-tracing step and queue the student's
    replan — all in the caller's transaction. The same `attempt_id` sent again returns the
    first result and changes nothing."""
    account = await ledger.student_account(db, student_id)
    if account is None or account[0] != UserRole.STUDENT.value:
        raise NotFound(NO_SUCH_STUDENT)
    if not account[1]:
        raise Forbidden("this student's account is deactivated; it records no attempts")
    question = await repository.question(db, body.question_id)
    if question is None:
        raise InvalidInput(f"question {body.question_id} does not exist (or was retired)")
    attempted_at = body.attempted_at or now
    if attempted_at > now + CLOCK_SKEW:
        raise InvalidInput("attempted_at is in the future; send when the question was answered")
    # Writers of the change log take its lock first (as a push does), then row locks: no
    # deadlock with a push of the same student's attempts.
    await ledger.lock_change_log(db)
    attempt_id = body.attempt_id or uuid7()
    if body.attempt_id is not None:
        earlier = await repository.answer_by_id(db, body.attempt_id)
        if earlier is not None:
            return await _repeat(db, student_id, body, earlier, question, now)
    correct = answers_match(QuestionKind(question.kind), body.answer, question.correct_answer)
    row = AnswerRow(attempt_id, student_id, question.id, question.concept_id, body.answer,
                    correct, attempted_at)  # fmt: skip
    pair = (student_id, question.concept_id)
    loaded = await tracing.load(db, [pair])
    inserted = await repository.insert_attempt(
        db, row, body.time_taken_seconds, body.confidence, body.device_id or WEB_DEVICE
    )
    if not inserted:  # the id is taken (the change log's lock makes this a rare race)
        raise Conflict("an attempt with this attempt_id is already stored")
    observation = Observation(
        attempt_id, attempted_at, correct, question.kind, question.answer_offset
    )
    after = (await tracing.record_attempts(db, {pair: [observation]}, loaded))[pair]
    await replanning.request_replan(db, student_id)
    before, params = loaded.start(pair), loaded.params[question.concept_id]
    return _result(question, row, params, before, after, now, duplicate=False)


async def _repeat(
    db: AsyncSession,
    student_id: uuid.UUID,
    body: AttemptSubmission,
    earlier: AnswerRow,
    question: repository.QuestionRow,
    now: datetime,
) -> AttemptResult:
    same = (earlier.student_id, earlier.question_id, earlier.answer) == (
        student_id, body.question_id, body.answer,
    )  # fmt: skip
    if not same or (body.attempted_at is not None and body.attempted_at != earlier.attempted_at):
        raise Conflict(
            "an attempt with this attempt_id is already stored with other content; "
            "make a new attempt_id for a new attempt"
        )
    pair = (student_id, question.concept_id)
    loaded = await tracing.load(db, [pair])
    state = loaded.start(pair)
    params = loaded.params[question.concept_id]
    return _result(question, earlier, params, state, state, now, duplicate=True)


def _result(
    question: repository.QuestionRow,
    row: AnswerRow,
    params: bkt.BktParams,
    before: MasteryState,
    after: MasteryState,
    now: datetime,
    *,
    duplicate: bool,
) -> AttemptResult:
    start = before
    p_after = bkt.mastery_at(params, after, max(now, row.attempted_at))
    return AttemptResult(
        attempt_id=row.attempt_id,
        question_id=question.id,
        concept_code=question.concept_code,
        is_correct=row.is_correct,
        correct_answer=question.correct_answer,
        explanation=question.explanation,
        attempted_at=row.attempted_at,
        duplicate=duplicate,
        mastery_before=bkt.mastery_at(params, start, row.attempted_at),
        mastery=p_after,
        confidence=bkt.confidence(after.p_mastered),
        status=practised_status(after, p_after),
    )


# ---- the next question ---------------------------------------------------------------------


async def next_question(
    db: AsyncSession, student_id: uuid.UUID, now: datetime
) -> NextQuestion | None:
    """The question to answer next (planning.next_question's rules), without its answer;
    None when the student's grade has no questions."""
    learner = await _learner(db, student_id)
    concept_ids = {learner.by_code[c.code].id: c.code for c in learner.concepts}
    questions = await repository.questions_of(db, list(concept_ids))
    recent = await repository.recent_answers(db, student_id, RECENT_ANSWERS)
    plan = await plans.current_plan(db, student_id, now.date())
    today = [item.concept_code for item in plan.today.items] if plan and plan.today else []
    choice = choose_next_question(
        NextQuestionRequest(
            now=now,
            concepts=learner.concepts,
            questions=tuple(
                QuestionOption(
                    q.id, concept_ids[q.concept_id], q.kind, q.difficulty, q.fitted_offset
                )
                for q in questions
            ),
            recent=tuple(
                RecentAnswer(a.question_id, concept_ids[a.concept_id], a.attempted_at, a.is_correct)
                for a in recent
                if a.concept_id in concept_ids
            ),
            planned_today=tuple(today),
        )
    )
    if choice is None:
        return None
    question = next(q for q in questions if q.id == choice.question_id)
    concept = learner.by_code[choice.concept_code]
    return NextQuestion(
        question_id=question.id,
        code=question.code,
        text=question.text,
        kind=question.kind,
        options=question.options,
        concept_code=concept.code,
        concept_name=concept.name,
        topic_code=concept.topic_code,
        predicted_success=choice.predicted_success,
        mode=choice.mode,
        reason=choice.reason,
    )


__all__ = ["build_map", "mastery_map", "next_question", "status_of", "submit_attempt"]
