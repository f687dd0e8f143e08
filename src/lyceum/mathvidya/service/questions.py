"""The question bank for teachers and admins: write, version, review, retire, search, import.

**Versions.** A question is a `question_code` with numbered versions; only the newest version
is edited. A draft (or one under review) that no exam has used is changed in place. An active
question, an archived one, or any version an exam has used (`times_used`, an answer, a mark,
an "unanswered" declaration, or its id in an exam's `questions_snapshot`) is never changed:
the edit becomes a new version (version + 1, `draft`, same code) and the edited row stays as
it was, still active if it was — exams keep pointing at the row they used.

**Review.** The author submits a draft (`under_review`); a *different* teacher or admin
approves it (`active`, `reviewed_by`/`reviewed_at`), which archives the code's previously
active version in the same transaction (the partial unique index allows one active version
per code), or rejects it back to `draft` with a comment (kept in the audit row). An active
question is retired by archiving it. Every step writes an audit row:
`question.created|updated|versioned|submitted|approved|rejected|retired|imported`.

**Import.** A CSV or JSON file is parsed and every row checked by the pure `bank` package,
then codes are checked against the bank; any problem anywhere and nothing is written (422 with
every problem: row, field, reason). Otherwise every row goes in as a draft, in one statement,
in the request's transaction; an admin may ask for them to be approved at once (reviewed
material, e.g. a CBSE sample paper), in which case the admin is recorded as reviewer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from lyceum.mathvidya.bank import (
    CONTENT_FIELDS,
    ImportFileError,
    Problem,
    check_question,
    check_rows,
    new_question_code,
    parse_csv,
    parse_json,
)
from lyceum.mathvidya.bank.importing import csv_field
from lyceum.mathvidya.enums import QuestionStatus, QuestionType, UserRole
from lyceum.mathvidya.models import Question
from lyceum.mathvidya.repository import questions as rows
from lyceum.mathvidya.schemas import questions as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record

ENTITY = "question"
EDITABLE_IN_PLACE = (QuestionStatus.DRAFT, QuestionStatus.UNDER_REVIEW)
CSV_TYPES = ("text/csv",)
JSON_TYPES = ("application/json",)
MAX_PROBLEMS_SHOWN_IN_MESSAGE = 3


def invalid(problems: Sequence[Problem], summary: str | None = None) -> InvalidInput:
    """A 422 naming the first field at fault in its message and listing every problem."""
    first = problems[0]
    where = f"row {first.row}, " if first.row is not None else ""
    message = summary or f"{where}{first.field}: {first.reason}"
    if summary is None and len(problems) > 1:
        message += f" (and {len(problems) - 1} more problems)"
    return InvalidInput(
        message,
        details={"field": first.field, "problems": [p.as_dict() for p in problems]},
    )


def _out(question: Question) -> schemas.Question:
    return schemas.Question.model_validate(question)


def _content(question: Question) -> dict[str, Any]:
    return {name: getattr(question, name) for name in CONTENT_FIELDS}


async def _question(db: AsyncSession, question_id: uuid.UUID) -> Question:
    found = await rows.get(db, question_id)
    if found is None:
        raise NotFound("no question has this id", details={"field": "id"})
    return found


async def _locked(db: AsyncSession, question_id: uuid.UUID) -> tuple[Question, list[Question]]:
    """The question and every version of its code, all locked (oldest first, so concurrent
    edits and approvals of one code queue in the same order and never deadlock)."""
    question = await _question(db, question_id)
    versions = await rows.versions(db, question.question_code, lock=True)
    found = next((v for v in versions if v.id == question_id), None)
    if found is None:  # pragma: no cover - a version's code never changes
        raise NotFound("no question has this id", details={"field": "id"})
    return found, versions


async def _fresh_code(db: AsyncSession, class_level: str, taken: set[str]) -> str:
    for _ in range(10):
        code = new_question_code(class_level)
        if code not in taken and not await rows.existing_codes(db, [code]):
            taken.add(code)
            return code
    raise Conflict("could not find an unused question code; try again")  # pragma: no cover


async def create(
    db: AsyncSession, actor: Actor, origin: Origin, body: schemas.QuestionCreate
) -> schemas.Question:
    values, problems = check_question(body.model_dump(), await rows.curriculum_units(db))
    if problems:
        raise invalid(problems)
    code = values.pop("question_code", None)
    if code is None:
        code = await _fresh_code(db, values["class_level"], set())
    elif await rows.existing_codes(db, [code]):
        raise Conflict(
            f"the bank already has a question {code}; edit it to make a new version, or choose"
            " another code",
            details={"field": "question_code"},
        )
    question = await rows.add(
        db,
        {
            **values,
            "question_code": code,
            "version": 1,
            "status": QuestionStatus.DRAFT,
            "created_by_user_id": actor.user_id,
        },
    )
    await record(
        db, "question.created", ENTITY, question.id, actor=actor, origin=origin,
        details={"question_code": code, "version": 1},
    )  # fmt: skip
    return _out(question)


async def read(db: AsyncSession, question_id: uuid.UUID) -> schemas.Question:
    return _out(await _question(db, question_id))


async def history(db: AsyncSession, question_id: uuid.UUID) -> list[schemas.Question]:
    question = await _question(db, question_id)
    return [_out(v) for v in await rows.versions(db, question.question_code)]


def _merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**current, **changes}
    kind = merged.get("question_type")
    if "question_type" in changes and changes["question_type"] != current["question_type"]:
        # A change of type takes the old type's marks and MCQ parts with it unless given.
        if "marks" not in changes:
            merged["marks"] = None
        if kind != QuestionType.MCQ:
            for name in ("mcq_choices", "correct_option"):
                if name not in changes:
                    merged[name] = None
    return merged


async def update(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    question_id: uuid.UUID,
    body: schemas.QuestionUpdate,
) -> schemas.QuestionEdit:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("give at least one field to change", details={"field": "body"})
    question, versions = await _locked(db, question_id)
    newest = versions[-1]
    if newest.id != question.id:
        raise Conflict(
            f"version {question.version} of {question.question_code} is not the newest; edit"
            f" version {newest.version} (id {newest.id})",
            details={"field": "id", "newest_id": str(newest.id)},
        )
    current = _content(question)
    values, problems = check_question(_merge(current, changes), await rows.curriculum_units(db))
    if problems:
        raise invalid(problems)
    changed = [name for name in CONTENT_FIELDS if values[name] != current[name]]
    if not changed:
        return schemas.QuestionEdit(
            question=_out(question), new_version=False, previous_id=question.id
        )
    if question.status in EDITABLE_IN_PLACE and not await rows.is_used(db, question):
        for name in changed:
            setattr(question, name, values[name])
        question = await rows.refresh(db, question)
        await record(
            db, "question.updated", ENTITY, question.id, actor=actor, origin=origin,
            details={"question_code": question.question_code, "version": question.version,
                     "changed": changed},
        )  # fmt: skip
        return schemas.QuestionEdit(
            question=_out(question), new_version=False, previous_id=question.id
        )
    successor = await rows.add(
        db,
        {
            **values,
            "question_code": question.question_code,
            "version": newest.version + 1,
            "status": QuestionStatus.DRAFT,
            "created_by_user_id": actor.user_id,
        },
    )
    await record(
        db, "question.versioned", ENTITY, successor.id, actor=actor, origin=origin,
        details={"question_code": question.question_code, "version": successor.version,
                 "from_id": str(question.id), "from_version": question.version,
                 "from_status": str(question.status), "changed": changed},
    )  # fmt: skip
    return schemas.QuestionEdit(question=_out(successor), new_version=True, previous_id=question.id)


def _state_conflict(question: Question, wanted: str, action: str) -> Conflict:
    return Conflict(
        f"only a question {wanted} can be {action}; version {question.version} of"
        f" {question.question_code} is {question.status}",
        details={"field": "status", "status": str(question.status)},
    )


async def submit(
    db: AsyncSession, actor: Actor, origin: Origin, question_id: uuid.UUID
) -> schemas.Question:
    question, _ = await _locked(db, question_id)
    if question.status != QuestionStatus.DRAFT:
        raise _state_conflict(question, "in draft", "submitted for review")
    author = question.created_by_user_id
    if author is not None and author != actor.user_id and actor.role != UserRole.ADMIN:
        raise Forbidden("only the question's author (or an admin) submits it for review")
    question.status = QuestionStatus.UNDER_REVIEW
    question = await rows.refresh(db, question)
    await record(
        db, "question.submitted", ENTITY, question.id, actor=actor, origin=origin,
        details={"question_code": question.question_code, "version": question.version},
    )  # fmt: skip
    return _out(question)


def _not_the_author(question: Question, actor: Actor, action: str) -> None:
    if question.created_by_user_id == actor.user_id:
        raise Forbidden(
            f"a question is {action} by a second teacher or admin, not by its author",
            details={"reason": "author_cannot_review"},
        )


async def approve(
    db: AsyncSession, actor: Actor, origin: Origin, question_id: uuid.UUID
) -> schemas.Question:
    question, versions = await _locked(db, question_id)
    if question.status != QuestionStatus.UNDER_REVIEW:
        raise _state_conflict(question, "under review", "approved")
    _not_the_author(question, actor, "approved")
    archived = [v for v in versions if v.status == QuestionStatus.ACTIVE and v.id != question.id]
    for old in archived:
        old.status = QuestionStatus.ARCHIVED
    # The archive goes first: the partial unique index allows one active version per code.
    await db.flush()
    question.status = QuestionStatus.ACTIVE
    question.reviewed_by_user_id = actor.user_id
    question.reviewed_at = datetime.now(UTC)
    question = await rows.refresh(db, question)
    await record(
        db, "question.approved", ENTITY, question.id, actor=actor, origin=origin,
        details={"question_code": question.question_code, "version": question.version,
                 "archived": [str(old.id) for old in archived]},
    )  # fmt: skip
    return _out(question)


async def reject(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    question_id: uuid.UUID,
    body: schemas.ReviewComment,
) -> schemas.Question:
    comment = body.comment.strip()
    if not comment:
        raise InvalidInput(
            "comment: say what the author should change", details={"field": "comment"}
        )
    question, _ = await _locked(db, question_id)
    if question.status != QuestionStatus.UNDER_REVIEW:
        raise _state_conflict(question, "under review", "rejected")
    _not_the_author(question, actor, "rejected")
    question.status = QuestionStatus.DRAFT
    question = await rows.refresh(db, question)
    await record(
        db, "question.rejected", ENTITY, question.id, actor=actor, origin=origin,
        details={"question_code": question.question_code, "version": question.version,
                 "comment": comment},
    )  # fmt: skip
    return _out(question)


async def retire(
    db: AsyncSession, actor: Actor, origin: Origin, question_id: uuid.UUID
) -> schemas.Question:
    question, _ = await _locked(db, question_id)
    if question.status != QuestionStatus.ACTIVE:
        raise _state_conflict(question, "active", "retired")
    question.status = QuestionStatus.ARCHIVED
    question = await rows.refresh(db, question)
    await record(
        db, "question.retired", ENTITY, question.id, actor=actor, origin=origin,
        details={"question_code": question.question_code, "version": question.version},
    )  # fmt: skip
    return _out(question)


async def search(
    db: AsyncSession, filters: rows.SearchFilters, *, limit: int, offset: int
) -> schemas.QuestionPage:
    found, total = await rows.search(db, filters, limit=limit, offset=offset)
    return schemas.QuestionPage(
        items=[_out(q) for q in found], total=total, limit=limit, offset=offset
    )


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


async def import_questions(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    data: bytes,
    content_type: str | None,
    *,
    approve: bool = False,
) -> schemas.ImportResult:
    if approve and actor.role != UserRole.ADMIN:
        raise Forbidden(
            "only an admin imports questions as approved; import them as drafts for review",
            details={"field": "approve"},
        )
    kind = media_type(content_type)
    if kind in CSV_TYPES:
        parse, rename = parse_csv, csv_field
    elif kind in JSON_TYPES:
        parse, rename = parse_json, (lambda field: field)
    else:
        raise InvalidInput(
            f"send the file as text/csv or application/json, not {kind or 'no type'!r}",
            details={"field": "Content-Type"},
        )
    try:
        parsed, problems = parse(data)
    except ImportFileError as error:
        raise InvalidInput(
            f"nothing was imported: {error.message}",
            details={"field": error.field, "problems": [{"row": None, "field": error.field,
                                                         "reason": error.message}]},
        ) from None  # fmt: skip
    checked, found = check_rows(parsed, await rows.curriculum_units(db), rename=rename)
    problems.extend(found)
    given: dict[str, list[int]] = {}
    for number, row in checked:
        if "question_code" in row:
            given.setdefault(row["question_code"], []).append(number)
    for code in await rows.existing_codes(db, given):
        problems.extend(
            Problem("question_code", f"the bank already has a question {code}", number)
            for number in given[code]
        )
    total = len(parsed) + sum(1 for p in problems if p.field == "(row)")
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        bad = len({p.row for p in problems})
        shown = "; ".join(
            f"row {p.row}, {p.field}: {p.reason}" for p in problems[:MAX_PROBLEMS_SHOWN_IN_MESSAGE]
        )
        more = len(problems) - MAX_PROBLEMS_SHOWN_IN_MESSAGE
        raise invalid(
            problems,
            f"{bad} of {total} rows have problems; nothing was imported. {shown}"
            + (f"; and {more} more" if more > 0 else ""),
        )
    taken = set(given)
    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    for _, row in checked:
        code = row.pop("question_code", None) or await _fresh_code(db, row["class_level"], taken)
        inserts.append(
            {
                **row,
                "question_code": code,
                "version": 1,
                "status": QuestionStatus.ACTIVE if approve else QuestionStatus.DRAFT,
                "created_by_user_id": actor.user_id,
                "reviewed_by_user_id": actor.user_id if approve else None,
                "reviewed_at": now if approve else None,
            }
        )
    made = await rows.add_many(db, inserts)
    status = QuestionStatus.ACTIVE if approve else QuestionStatus.DRAFT
    await record(
        db, "question.imported", ENTITY, None, actor=actor, origin=origin,
        details={"rows": len(made), "status": str(status), "format": kind,
                 "question_ids": [str(question_id) for question_id, _ in made]},
    )  # fmt: skip
    return schemas.ImportResult(
        imported=len(made),
        status=status,
        questions=[
            schemas.ImportedQuestion(row=number, id=question_id, question_code=code)
            for (number, _), (question_id, code) in zip(checked, made, strict=True)
        ],
    )


__all__ = [
    "approve",
    "create",
    "history",
    "import_questions",
    "invalid",
    "read",
    "reject",
    "retire",
    "search",
    "submit",
    "update",
]
