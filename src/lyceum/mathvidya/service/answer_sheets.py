"""Answer-sheet pages: uploading (size, then content, then store, then row), listing with
signed links, deleting, and serving a file to whoever holds a valid link.

Who: only the student who owns the exam uploads, replaces or deletes pages, and only while
the exam is running or handed in (`in_progress`, `submitted`, `under_evaluation`) and its
marking has not started (no evaluation yet, or one `pending`, or `assigned` with no
`started_at`); otherwise 409 with a sentence. Anyone else gets 404 for the exam (the
ownership rule). Pages are read by `require_exam_access`: the student, a linked parent, an
admin, and the teacher who marks it.

Order of an upload, cheapest refusal first: the page number against
`upload.max_pages_per_exam` (422); the exam and the caller (404) and its state (409), all
before a byte of the body is read; the declared Content-Length against
`upload.max_file_size_bytes` (413, nothing read); the body, counted as it streams and cut at
limit + 1 bytes (413); its content (`sheets.sniff`, 422); a duplicate of another page (409,
naming it); the store (503 when it is down); then, under the exam's and the evaluation's
row locks, the state again and the row (one transaction with its audit row).

Replacing a page is a PUT of the same page number: the old row goes and a new one (a new
id, so links to the old file stop working) takes its place. The old file is deleted after
the transaction commits (the edge runs `StaleFile` as a background task of the response);
should that deletion fail, the file is left behind unreferenced, never served (files are
read only through their row).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, Forbidden, InvalidInput, LyceumError, NotFound
from lyceum.mathvidya.enums import EvaluationStatus, ExamStatus, UserRole
from lyceum.mathvidya.models import AnswerSheetUpload, Evaluation, ExamInstance
from lyceum.mathvidya.repository import answer_sheets as repository
from lyceum.mathvidya.repository import exams as exam_rows
from lyceum.mathvidya.schemas import answer_sheets as schemas
from lyceum.mathvidya.service.audit import Actor, Origin, record
from lyceum.mathvidya.service.exam_generation import exam_not_found
from lyceum.mathvidya.service.ownership import require_exam_access
from lyceum.mathvidya.sheets import SheetKind, SheetRefused, SniffedSheet, sniff
from lyceum.mathvidya.sheets.signing import TokenRefused, make_token, read_token
from lyceum.mathvidya.storage import SheetStorage, signing_secret

LINK_PURPOSE = "answer-sheet"
FILES_PATH = "/api/mathvidya/files"
UPLOADABLE = (ExamStatus.IN_PROGRESS, ExamStatus.SUBMITTED, ExamStatus.UNDER_EVALUATION)
_KIND_OF_MIME = {kind.mime_type: kind for kind in SheetKind}


class FileTooLarge(LyceumError):
    status_code = 413
    code = "file_too_large"


class UnsupportedEncoding(LyceumError):
    status_code = 415
    code = "unsupported_encoding"


class LinkExpired(LyceumError):
    status_code = 410
    code = "link_expired"


@dataclass(frozen=True, slots=True)
class StaleFile:
    """A stored file no row names any more, to delete once the transaction has committed."""

    storage: SheetStorage
    key: str

    async def delete(self) -> None:
        await self.storage.delete(self.key)


@dataclass(frozen=True, slots=True)
class Uploaded:
    page: schemas.SheetUploaded
    # The replaced file, to delete after the commit.
    stale: StaleFile | None
    # A page that had no file before (201), rather than a replacement or a repeat (200).
    created: bool


@dataclass(frozen=True, slots=True)
class ServedFile:
    data: bytes
    mime_type: str
    download_name: str


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def too_large(limit: int, size: int | None = None) -> FileTooLarge:
    told = f"This file is {_megabytes(size)}; " if size is not None else "This file is too big; "
    return FileTooLarge(
        told + f"a page may be at most {_megabytes(limit)}. Take the photo at a lower"
        " resolution, or save the PDF smaller, and upload it again.",
        details={"reason": "too_large", "limit_bytes": limit, "size_bytes": size},
    )


# ---- who may change an exam's pages ---------------------------------------------------------


def _marking_started(evaluation: Evaluation | None) -> bool:
    if evaluation is None or evaluation.status is EvaluationStatus.PENDING:
        return False
    return not (evaluation.status is EvaluationStatus.ASSIGNED and evaluation.started_at is None)


def _refusal(exam: ExamInstance, evaluation: Evaluation | None) -> Conflict | None:
    """Why the owner may not change the exam's pages now, or None when they may."""
    if exam.status is ExamStatus.CREATED:
        return Conflict(
            "This exam has not started yet; start it before uploading answer sheets.",
            details={"reason": "not_started"},
        )
    if exam.status is ExamStatus.EXPIRED:
        return Conflict(
            "This exam expired without being handed in, so it has no answer sheets to upload.",
            details={"reason": "expired"},
        )
    if exam.status is ExamStatus.EVALUATED or _marking_started(evaluation):
        return Conflict(
            "The teacher has started marking this exam, so its answer sheets can no longer change.",
            details={"reason": "marking_started"},
        )
    return None


async def _own_exam(db: AsyncSession, actor: Actor, exam_id: uuid.UUID) -> ExamInstance:
    exam = await exam_rows.exam_by_id(db, exam_id)
    if exam is None or actor.role is not UserRole.STUDENT or exam.student_user_id != actor.user_id:
        raise exam_not_found()
    return exam


async def _require_changeable(db: AsyncSession, exam: ExamInstance, *, lock: bool) -> None:
    if lock:
        # The exam's lock orders this upload against others of the same exam and its
        # hand-in; the evaluation's against a teacher starting to mark.
        exam = await exam_rows.exam_by_id(db, exam.id, lock=True) or exam
    evaluation = await repository.evaluation_of(db, exam.id, lock=lock)
    refusal = _refusal(exam, evaluation)
    if refusal is not None:
        raise refusal


async def prepare_upload(
    db: AsyncSession, actor: Actor, exam_id: uuid.UUID, page_number: int
) -> repository.UploadLimits:
    """Everything that can refuse an upload before its body is read: the page number, the
    exam and the caller, the exam's state. The limits for the body."""
    limits = await repository.limits(db)
    if page_number > limits.max_pages:
        raise InvalidInput(
            f"An exam may have at most {limits.max_pages} answer-sheet pages; page"
            f" {page_number} is past that.",
            details={"reason": "too_many_pages", "field": "page_number"},
        )
    exam = await _own_exam(db, actor, exam_id)
    await _require_changeable(db, exam, lock=False)
    return limits


# ---- reading the body -------------------------------------------------------------------------


async def read_capped(
    chunks: AsyncIterator[bytes], declared_length: int | None, limit: int
) -> bytes:
    """The body, read only while it stays within `limit`: a declared length over it is refused
    before anything is read, and a body without one (chunked) at the first chunk past it."""
    if declared_length is not None and declared_length > limit:
        raise too_large(limit, declared_length)
    parts: list[bytes] = []
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


# ---- pages and links -----------------------------------------------------------------------


def _link(secret: bytes, row: AnswerSheetUpload, seconds: int, now: float) -> tuple[str, datetime]:
    expires = int(now) + seconds
    token = make_token(secret, row.id, expires, LINK_PURPOSE)
    return f"{FILES_PATH}/{token}", datetime.fromtimestamp(expires, UTC)


def _page_fields(
    row: AnswerSheetUpload, secret: bytes, seconds: int, now: float
) -> dict[str, object]:
    url, expires = _link(secret, row, seconds, now)
    return {
        "id": row.id,
        "page_number": row.page_number,
        "kind": _KIND_OF_MIME[row.mime_type].value,
        "mime_type": row.mime_type,
        "size_bytes": row.file_size_bytes,
        "original_filename": row.original_filename,
        "uploaded_at": row.uploaded_at,
        "url": url,
        "url_expires_at": expires,
    }


def storage_key(exam_id: uuid.UUID, page_number: int, sha256: str, sheet: SniffedSheet) -> str:
    return f"answer-sheets/{exam_id}/{page_number}-{sha256[:16]}.{sheet.extension}"


def _clean_filename(filename: str | None) -> str | None:
    if filename is None:
        return None
    # Kept for the student's reference only: no path, no control characters, bounded.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or None


def _duplicate(existing: AnswerSheetUpload, page_number: int) -> Conflict:
    return Conflict(
        f"This file is already uploaded as page {existing.page_number}; the same scan cannot"
        f" be page {page_number} too.",
        details={"reason": "duplicate", "page_number": existing.page_number},
    )


async def upload(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    storage: SheetStorage,
    secret: bytes,
    exam_id: uuid.UUID,
    page_number: int,
    chunks: AsyncIterator[bytes],
    *,
    declared_length: int | None,
    filename: str | None,
    now: float | None = None,
) -> Uploaded:
    """Store the body as page `page_number` of the student's exam (see the module's text for
    the order of checks); replacing the page when it has one."""
    limits = await prepare_upload(db, actor, exam_id, page_number)
    data = await read_capped(chunks, declared_length, limits.max_file_bytes)
    try:
        sheet = await asyncio.to_thread(sniff, data, max_pdf_pages=limits.max_pages)
    except SheetRefused as refused:
        raise InvalidInput(
            refused.message, details={"reason": refused.reason, "field": "body"}
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    same = await repository.page_with_content(db, exam_id, digest)
    if same is not None and same.page_number != page_number:
        raise _duplicate(same, page_number)
    key = storage_key(exam_id, page_number, digest, sheet)
    stamp = time.time() if now is None else now
    if same is not None:
        # The very file this page already holds: nothing to store or record (a retry).
        page = _uploaded(same, sheet, secret, limits, stamp, replaced=False)
        return Uploaded(page, None, created=False)

    await storage.put(key, data, sheet.mime_type)
    new_file = StaleFile(storage, key)
    try:
        row, old = await _record_upload(
            db, actor, origin, storage, exam_id, page_number, key, sheet, digest, filename
        )
    except BaseException:
        # Refused under the locks (marking started meanwhile, a duplicate raced in): the
        # file just stored has no row and never will.
        await _quietly(new_file)
        raise
    stale = StaleFile(storage, old.storage_key) if old and old.storage_key != key else None
    page = _uploaded(row, sheet, secret, limits, stamp, replaced=old is not None)
    return Uploaded(page, stale, created=old is None)


async def _quietly(file: StaleFile) -> None:
    try:
        await file.delete()
    except Exception:
        return


async def _record_upload(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    storage: SheetStorage,
    exam_id: uuid.UUID,
    page_number: int,
    key: str,
    sheet: SniffedSheet,
    digest: str,
    filename: str | None,
) -> tuple[AnswerSheetUpload, AnswerSheetUpload | None]:
    exam = await _own_exam(db, actor, exam_id)
    await _require_changeable(db, exam, lock=True)
    same = await repository.page_with_content(db, exam_id, digest)
    if same is not None and same.page_number != page_number:
        raise _duplicate(same, page_number)
    old = await repository.page(db, exam_id, page_number)
    if old is not None:
        await repository.remove(db, old.id)
        await db.flush()
    row = await repository.insert(
        db,
        exam_instance_id=exam_id,
        page_number=page_number,
        storage_bucket=storage.bucket,
        storage_key=key,
        original_filename=_clean_filename(filename),
        mime_type=sheet.mime_type,
        file_size_bytes=sheet.size_bytes,
        sha256=digest,
    )
    await record(
        db,
        "answer_sheet.uploaded",
        "exam_instance",
        exam_id,
        actor=actor,
        origin=origin,
        details={
            "upload_id": str(row.id),
            "page_number": page_number,
            "kind": sheet.kind.value,
            "size_bytes": sheet.size_bytes,
            "sha256": digest,
            "pdf_pages": sheet.pdf_pages,
            "replaced_upload_id": str(old.id) if old else None,
        },
    )
    return row, old


def _uploaded(
    row: AnswerSheetUpload,
    sheet: SniffedSheet,
    secret: bytes,
    limits: repository.UploadLimits,
    now: float,
    *,
    replaced: bool,
) -> schemas.SheetUploaded:
    return schemas.SheetUploaded.model_validate(
        {
            **_page_fields(row, secret, limits.signed_url_seconds, now),
            "pdf_pages": sheet.pdf_pages,
            "width": sheet.width,
            "height": sheet.height,
            "replaced": replaced,
        }
    )


async def list_pages(
    db: AsyncSession, actor: Actor, secret: bytes, exam_id: uuid.UUID, *, now: float | None = None
) -> schemas.SheetList:
    """The exam's pages with fresh signed links, for whoever may read the exam."""
    exam = await exam_rows.exam_by_id(db, exam_id)
    if exam is None:
        raise exam_not_found()
    await require_exam_access(db, actor, exam.student_user_id, exam.id)
    limits = await repository.limits(db)
    stamp = time.time() if now is None else now
    rows = await repository.pages(db, exam_id)
    may_upload = False
    if actor.role is UserRole.STUDENT and exam.student_user_id == actor.user_id:
        may_upload = _refusal(exam, await repository.evaluation_of(db, exam_id)) is None
    return schemas.SheetList(
        exam_id=exam_id,
        pages=[
            schemas.SheetPage.model_validate(
                _page_fields(row, secret, limits.signed_url_seconds, stamp)
            )
            for row in rows
        ],
        may_upload=may_upload,
        max_pages=limits.max_pages,
        max_file_bytes=limits.max_file_bytes,
    )


SHOWN_ON_PAGE = (*UPLOADABLE, ExamStatus.EVALUATED)


async def for_exam_page(
    db: AsyncSession, actor: Actor, exam_id: uuid.UUID
) -> schemas.SheetList | None:
    """The exam page's answer-sheet panel: the pages once the exam has started (None before,
    and for an expired exam, which has none). The caller has already been let read the exam."""
    exam = await exam_rows.exam_by_id(db, exam_id)
    if exam is None or exam.status not in SHOWN_ON_PAGE:
        return None
    return await list_pages(db, actor, signing_secret(), exam_id)


async def delete_page(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    storage: SheetStorage,
    exam_id: uuid.UUID,
    page_number: int,
) -> StaleFile:
    """Remove a page (the owner, before marking starts); its file goes after the commit."""
    exam = await _own_exam(db, actor, exam_id)
    await _require_changeable(db, exam, lock=True)
    row = await repository.page(db, exam_id, page_number)
    if row is None:
        raise NotFound(f"This exam has no page {page_number}.", details={"reason": "no_such_page"})
    await repository.remove(db, row.id)
    await record(
        db,
        "answer_sheet.deleted",
        "exam_instance",
        exam_id,
        actor=actor,
        origin=origin,
        details={"upload_id": str(row.id), "page_number": page_number, "sha256": row.sha256},
    )
    return StaleFile(storage, row.storage_key)


# ---- serving a file by its link -----------------------------------------------------------------


async def read_file(
    db: AsyncSession, storage: SheetStorage, secret: bytes, token: str, *, now: float | None = None
) -> ServedFile:
    """The file a link names. A string that is no link of ours is 404 (as an unknown path);
    a link whose signature does not match (altered, or made with another key) is 403; an
    expired one is 410 Gone (it was valid and will not be again: ask for a fresh one)."""
    try:
        granted = read_token(secret, token, LINK_PURPOSE, now=time.time() if now is None else now)
    except TokenRefused as refused:
        details = {"reason": refused.reason}
        if refused.reason == "malformed":
            raise NotFound(refused.message, details=details) from None
        if refused.reason == "expired":
            raise LinkExpired(refused.message, details=details) from None
        raise Forbidden(refused.message, details=details) from None
    row = await repository.by_id(db, granted.upload_id)
    if row is None or row.storage_bucket != storage.bucket:
        # Deleted or replaced since the link was made (or kept in another store).
        raise NotFound(
            "this page is no longer there; it may have been replaced or deleted",
            details={"reason": "no_such_page"},
        )
    data = await storage.get(row.storage_key)  # StoredFileMissing: 404, unavailable: 503
    kind = _KIND_OF_MIME[row.mime_type]
    return ServedFile(data, row.mime_type, f"page-{row.page_number}.{kind.extension}")


__all__ = [
    "FILES_PATH",
    "LINK_PURPOSE",
    "FileTooLarge",
    "LinkExpired",
    "ServedFile",
    "StaleFile",
    "UnsupportedEncoding",
    "Uploaded",
    "delete_page",
    "for_exam_page",
    "list_pages",
    "prepare_upload",
    "read_capped",
    "read_file",
    "storage_key",
    "too_large",
    "upload",
]
