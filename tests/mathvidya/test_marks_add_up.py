"""The deferred constraint triggers of migration 0014 that make a completed evaluation's marks
add up: its `marks_awarded` is the sum of its `question_marks`, and its evaluated exam's
`total_score` is the MCQ score plus that sum (`mathvidya.assert_evaluation_marks`, fired by
`evaluations_marks_add_up`, `question_marks_marks_add_up`, `exam_instances_marks_add_up`).

The triggers are DEFERRABLE INITIALLY DEFERRED: every statement of a transaction succeeds and
the sums are checked at COMMIT, so a re-marking may write the mark, the evaluation and the
exam in any order. One test commits for real (and is refused, so nothing stays); the others
run in the test's rolled-back transaction and fire the queued checks early with
`SET CONSTRAINTS <the three triggers> IMMEDIATE`, which is what COMMIT would do — inside a
savepoint when the check must fail, so the transaction stays usable.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.mathvidya.rows import (
    CHECK_VIOLATION,
    EXAM_EVALUATED,
    MarkedEvaluation,
    Row,
    add,
    add_evaluation,
    add_exam,
    add_marked_evaluation,
    count_rows,
    delete_row,
    expect_violation,
    fetch_row,
    percentage,
    update_row,
    violation,
)

D = Decimal
TRIGGERS = (
    "evaluations_marks_add_up",
    "question_marks_marks_add_up",
    "exam_instances_marks_add_up",
)
EVALUATION_MARKS = "evaluation_marks_add_up"
EXAM_TOTAL = "exam_total_adds_up"
# Two SA answers (out of 3 each): 2.5 + 1.5 = 4 written marks.
MARKS = (D("2.5"), D("1.5"))


class Change:
    """An UPDATE of one row of a Mathvidya table, by id."""

    def __init__(self, table: str, row_id: uuid.UUID, **values: object) -> None:
        self.table, self.row_id, self.values = table, row_id, values

    async def apply(self, db: AsyncSession) -> None:
        await update_row(db, self.table, self.row_id, self.values)


async def _set_triggers(db: AsyncSession, mode: str) -> None:
    names = ", ".join(f"mathvidya.{name}" for name in TRIGGERS)
    await db.execute(text(f"SET CONSTRAINTS {names} {mode}"))


async def check_now(db: AsyncSession) -> None:
    """Run the marks checks queued so far, as COMMIT would; then defer them again."""
    await _set_triggers(db, "IMMEDIATE")
    await _set_triggers(db, "DEFERRED")


async def expect_refused_at_commit(db: AsyncSession, name: str, *changes: Change) -> None:
    """Each change goes through on its own; the check at commit refuses them, naming `name`.
    In a savepoint: the changes are rolled back with it, and the triggers deferred again."""

    async def attempt() -> None:
        for change in changes:
            await change.apply(db)
        await _set_triggers(db, "IMMEDIATE")

    await expect_violation(db, CHECK_VIOLATION, name, attempt)


def _exam_total(exam: Row, written: Decimal) -> Row:
    """The exam's total_score and percentage for `written` marks beside its MCQ score."""
    mcq = exam["mcq_score"]
    total_marks = exam["total_marks"]
    assert isinstance(mcq, Decimal) and isinstance(total_marks, int)
    total = mcq + written
    return {"total_score": total, "percentage": percentage(total, total_marks)}


async def _marked(db: AsyncSession) -> tuple[MarkedEvaluation, Row]:
    marked = await add_marked_evaluation(db, MARKS)
    exam = await fetch_row(db, "exam_instances", marked.exam_instance_id)
    assert exam is not None
    return marked, exam


async def test_marks_that_add_up_are_kept(db_session: AsyncSession) -> None:
    marked, exam = await _marked(db_session)
    await check_now(db_session)
    evaluation = await fetch_row(db_session, "evaluations", marked.evaluation_id)
    assert evaluation is not None and evaluation["marks_awarded"] == D(4)
    assert exam["total_score"] == exam["mcq_score"] + D(4)


async def test_marks_that_do_not_add_up_are_written_but_refused_at_commit(
    engine: AsyncEngine,
) -> None:
    # A session of its own that really commits: the statements go through, COMMIT does not.
    async with AsyncSession(engine) as db:
        marked = await add_marked_evaluation(db, MARKS)
        await update_row(db, "evaluations", marked.evaluation_id, {"marks_awarded": D(5)})
        with pytest.raises(DBAPIError) as refused:
            await db.commit()
        state, constraint, _ = violation(refused.value)
        assert (state, constraint) == (CHECK_VIOLATION, EVALUATION_MARKS)
        await db.rollback()
        # Nothing of the refused transaction stayed.
        assert await count_rows(db, "evaluations", id=marked.evaluation_id) == 0


async def test_a_completed_evaluation_without_its_question_marks_is_refused(
    db_session: AsyncSession,
) -> None:
    exam = await add_exam(db_session, "evaluated")
    # The builders' completed evaluation awards marks with no question marks behind them.
    evaluation = await add_evaluation(db_session, "completed", exam_instance_id=exam)
    stored = await fetch_row(db_session, "evaluations", evaluation)
    assert stored is not None and stored["marks_awarded"] > 0

    async def attempt() -> None:
        await _set_triggers(db_session, "IMMEDIATE")

    await expect_violation(db_session, CHECK_VIOLATION, EVALUATION_MARKS, attempt)


async def test_changing_only_a_question_mark_is_refused(db_session: AsyncSession) -> None:
    marked, _ = await _marked(db_session)
    mark = marked.question_mark_ids[0]
    await expect_refused_at_commit(
        db_session, EVALUATION_MARKS, Change("question_marks", mark, marks_awarded=D(3))
    )
    stored = await fetch_row(db_session, "question_marks", mark)
    assert stored is not None and stored["marks_awarded"] == MARKS[0]


async def test_adding_or_removing_a_question_mark_of_a_completed_evaluation_is_refused(
    db_session: AsyncSession,
) -> None:
    marked, _ = await _marked(db_session)

    async def add_mark() -> None:
        await add(db_session, "question_marks", evaluation_id=marked.evaluation_id)
        await _set_triggers(db_session, "IMMEDIATE")

    async def remove_mark() -> None:
        await delete_row(db_session, "question_marks", marked.question_mark_ids[1])
        await _set_triggers(db_session, "IMMEDIATE")

    await expect_violation(db_session, CHECK_VIOLATION, EVALUATION_MARKS, add_mark)
    await expect_violation(db_session, CHECK_VIOLATION, EVALUATION_MARKS, remove_mark)
    assert await count_rows(db_session, "question_marks", evaluation_id=marked.evaluation_id) == 2


async def test_a_remarking_of_the_mark_and_both_totals_together_is_kept(
    db_session: AsyncSession,
) -> None:
    marked, exam = await _marked(db_session)
    mark = marked.question_mark_ids[0]
    # A re-evaluation gives the first answer full marks: 3 + 1.5. The exam is written first,
    # the mark last: the order does not matter, only the state at commit.
    await update_row(db_session, "exam_instances", marked.exam_instance_id,
                     _exam_total(exam, D("4.5")))  # fmt: skip
    await update_row(db_session, "evaluations", marked.evaluation_id, {"marks_awarded": D("4.5")})
    await update_row(db_session, "question_marks", mark, {"marks_awarded": D(3)})
    await check_now(db_session)
    evaluation = await fetch_row(db_session, "evaluations", marked.evaluation_id)
    remarked = await fetch_row(db_session, "exam_instances", marked.exam_instance_id)
    assert evaluation is not None and evaluation["marks_awarded"] == D("4.5")
    assert remarked is not None and remarked["total_score"] == exam["mcq_score"] + D("4.5")


async def test_a_remarking_that_leaves_the_exam_total_behind_is_refused(
    db_session: AsyncSession,
) -> None:
    marked, _ = await _marked(db_session)
    await expect_refused_at_commit(
        db_session,
        EXAM_TOTAL,
        Change("question_marks", marked.question_mark_ids[0], marks_awarded=D(3)),
        Change("evaluations", marked.evaluation_id, marks_awarded=D("4.5")),
    )


async def test_a_remarking_that_leaves_the_evaluation_behind_is_refused(
    db_session: AsyncSession,
) -> None:
    marked, exam = await _marked(db_session)
    await expect_refused_at_commit(
        db_session,
        EVALUATION_MARKS,
        Change("question_marks", marked.question_mark_ids[0], marks_awarded=D(3)),
        Change("exam_instances", marked.exam_instance_id, **_exam_total(exam, D("4.5"))),
    )


async def test_an_exam_total_changed_alone_is_refused(db_session: AsyncSession) -> None:
    marked, exam = await _marked(db_session)
    await expect_refused_at_commit(
        db_session,
        EXAM_TOTAL,
        Change("exam_instances", marked.exam_instance_id, **_exam_total(exam, D(5))),
    )


async def test_an_mcq_score_changed_alone_is_refused(db_session: AsyncSession) -> None:
    marked, exam = await _marked(db_session)
    mcq = exam["mcq_score"]
    assert isinstance(mcq, Decimal)
    await expect_refused_at_commit(
        db_session, EXAM_TOTAL, Change("exam_instances", marked.exam_instance_id, mcq_score=mcq - 1)
    )


async def test_open_evaluations_and_unevaluated_exams_are_not_summed(
    db_session: AsyncSession,
) -> None:
    # Marks are saved one by one while the evaluation is open: nothing to add up yet.
    in_progress = await add_evaluation(db_session, "in_progress")
    for _ in range(2):
        await add(db_session, "question_marks", evaluation_id=in_progress)
    # A completed evaluation whose exam is not yet evaluated: only its own sum is checked.
    exam = await add_exam(db_session, "under_evaluation")
    completed = await add_evaluation(
        db_session, "completed", exam_instance_id=exam, marks_awarded=MARKS[0]
    )
    await add(db_session, "question_marks", evaluation_id=completed, marks_awarded=MARKS[0])
    await check_now(db_session)
    assert await count_rows(db_session, "question_marks", evaluation_id=in_progress) == 2


async def test_completing_an_evaluation_with_its_marks_and_the_exam_total_is_kept(
    db_session: AsyncSession,
) -> None:
    # The service's step: the last mark, the evaluation and the exam, in one transaction.
    exam_id = await add_exam(db_session, "under_evaluation")
    evaluation = await add_evaluation(db_session, "in_progress", exam_instance_id=exam_id)
    for mark in MARKS:
        await add(db_session, "question_marks", evaluation_id=evaluation, marks_awarded=mark)
    exam = await fetch_row(db_session, "exam_instances", exam_id)
    assert exam is not None
    done = {"status": "completed", "completed_at": EXAM_EVALUATED, "claim_expires_at": None}
    await update_row(db_session, "evaluations", evaluation, done | {"marks_awarded": D(4)})
    await update_row(db_session, "exam_instances", exam_id,
                     {"status": "evaluated", "evaluated_at": EXAM_EVALUATED}
                     | _exam_total(exam, D(4)))  # fmt: skip
    await check_now(db_session)
    assert await count_rows(db_session, "exam_instances", id=exam_id, status="evaluated") == 1
    # Completing it with a different figure than its marks is refused.
    await expect_refused_at_commit(
        db_session, EVALUATION_MARKS, Change("evaluations", evaluation, marks_awarded=D(3))
    )
