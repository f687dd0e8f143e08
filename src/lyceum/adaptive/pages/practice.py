"""The practice page: the next question (`service.mastery.next_question`) with why it was
chosen, and its plain form, which submits the answer (`service.mastery.submit_attempt`) and
shows the verdict, the explanation and the concept's mastery before → after.

The form carries an attempt id made when the question was shown, so submitting it twice (a
reload, a double click) records one attempt: the service returns the first result again.
It also carries when the question was shown, for the time the answer took.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from lyceum.adaptive import schemas_learning as learning
from lyceum.adaptive.pages import views
from lyceum.adaptive.pages.common import (
    FORMATTERS,
    AdaptiveSession,
    Student,
    account_id,
    checked_form,
    field,
)
from lyceum.adaptive.repository import learning as questions
from lyceum.adaptive.service import mastery as mastery_service
from lyceum.adaptive.service import plans
from lyceum.core.errors import InvalidInput
from lyceum.core.ids import uuid7
from lyceum.core.pages import render

NOTHING_TO_PRACTISE = (
    "Your grade's question bank has no question for you right now. Ask your teacher to add"
    " questions for your topics."
)
# An answer after a day is still recorded, with its time capped at a day (the API's bound).
LONGEST_ANSWER = timedelta(days=1)


async def _today(db: AsyncSession, student: uuid.UUID, now: datetime) -> dict[str, Any]:
    """Today's plan items, shown beside the question: what the practice is for."""
    plan = await plans.current_plan(db, student, now.date())
    return {"today_items": views.plan_context(plan, now.date())["today_items"], "plan": plan}


def _question_context(question: learning.NextQuestion | None, now: datetime) -> dict[str, Any]:
    return {
        **FORMATTERS,
        "title": "Practice",
        "page_name": "adaptive-practice",
        "question": question,
        "attempt_id": uuid7(),
        "shown_at": now.isoformat(),
        "none_reason": NOTHING_TO_PRACTISE,
    }


async def practice_page(request: Request, person: Student, db: AdaptiveSession) -> HTMLResponse:
    now = datetime.now(UTC)
    me = account_id(person)
    question = await mastery_service.next_question(db, me, now)
    context = {**_question_context(question, now), **await _today(db, me, now)}
    return render(request, "adaptive/practice.html", context)


def _submission(form: FormData, now: datetime) -> learning.AttemptSubmission:
    """The form as the service's submission; InvalidInput with a sentence when malformed."""
    try:
        shown = datetime.fromisoformat(field(form, "shown_at"))
        if shown.tzinfo is None:
            raise ValueError("naive")
        taken = min(max(now - shown, timedelta(0)), LONGEST_ANSWER).total_seconds()
        return learning.AttemptSubmission.model_validate(
            {
                "question_id": field(form, "question_id"),
                "answer": field(form, "answer"),
                "time_taken_seconds": taken,
                "attempt_id": field(form, "attempt_id") or None,
            }
        )
    except ValidationError as exc:
        missing = any(e["loc"] == ("answer",) for e in exc.errors())
        raise InvalidInput(
            "type or choose an answer first" if missing else "this form is malformed; reload it"
        ) from None
    except ValueError:
        raise InvalidInput("this form is malformed; reload the page and answer again") from None


async def answer_form(request: Request, person: Student, db: AdaptiveSession) -> HTMLResponse:
    """Submit the answer and show what it changed."""
    form = await checked_form(request)
    me = account_id(person)
    now = datetime.now(UTC)
    try:
        body = _submission(form, now)
    except InvalidInput as exc:
        # The browser asks for an answer before sending; a form sent without one (or
        # tampered with) gets a question again, with the sentence.
        question = await mastery_service.next_question(db, me, now)
        retry = {
            **_question_context(question, now),
            **await _today(db, me, now),
            "error": exc.message,
        }
        return render(request, "adaptive/practice.html", retry, status_code=422)
    result = await mastery_service.submit_attempt(db, me, body, now)
    asked = await questions.question(db, result.question_id)
    # The concept's name and topic and its marks, as the map shows them after this answer.
    after = await mastery_service.mastery_map(db, me, now)
    concept = next((c for c in after.concepts if c.code == result.concept_code), None)
    context: dict[str, Any] = {
        **FORMATTERS,
        "title": "Practice",
        "page_name": "adaptive-practice",
        "result": {
            "is_correct": result.is_correct,
            "answer": body.answer,
            "correct_answer": result.correct_answer,
            "explanation": result.explanation,
            "question_text": asked.text if asked else "",
            "concept_name": concept.name if concept else result.concept_code,
            "topic_code": concept.topic_code if concept else "",
            "before": result.mastery_before,
            "after": result.mastery,
            "status": result.status.value,
            "marks_change": concept.marks * (result.mastery - result.mastery_before)
            if concept
            else None,
            "duplicate": result.duplicate,
        },
        "expected_marks": after.expected_marks,
        **await _today(db, me, now),
    }
    return render(request, "adaptive/practice.html", context)


__all__ = ["answer_form", "practice_page"]
