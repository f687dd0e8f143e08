"""Answer-sheet pages' SQL: the rows of one exam, one page, a duplicate by content, and the
upload settings in `system_config`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.models import AnswerSheetUpload, Evaluation, SystemConfig
from lyceum.mathvidya.models.exam_instance import MAX_PAGES, MAX_UPLOAD_BYTES

MAX_FILE_SIZE_KEY = "upload.max_file_size_bytes"
MAX_PAGES_KEY = "upload.max_pages_per_exam"
SIGNED_URL_SECONDS_KEY = "upload.signed_url_seconds"
DEFAULT_SIGNED_URL_SECONDS = 300
# A link shorter than this is useless to a person; longer than a day is no longer a link
# that "expires" in any useful sense.
SIGNED_URL_BOUNDS = (30, 86_400)


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_file_bytes: int
    max_pages: int
    signed_url_seconds: int


def _whole(value: Any, default: int, low: int, high: int) -> int:
    # An admin's edit that is not a whole number in range falls back to the default rather
    # than breaking uploads; the database's own ceilings are never exceeded.
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return min(max(value, low), high)


async def limits(db: AsyncSession) -> UploadLimits:
    """The upload settings (one query), clamped to what the table's checks allow."""
    keys = (MAX_FILE_SIZE_KEY, MAX_PAGES_KEY, SIGNED_URL_SECONDS_KEY)
    rows = await db.execute(
        select(SystemConfig.config_key, SystemConfig.config_value).where(
            SystemConfig.config_key.in_(keys)
        )
    )
    stored: dict[str, Any] = {key: value for key, value in rows}
    return UploadLimits(
        max_file_bytes=_whole(stored.get(MAX_FILE_SIZE_KEY), MAX_UPLOAD_BYTES, 1, MAX_UPLOAD_BYTES),
        max_pages=_whole(stored.get(MAX_PAGES_KEY), 40, 1, MAX_PAGES),
        signed_url_seconds=_whole(
            stored.get(SIGNED_URL_SECONDS_KEY), DEFAULT_SIGNED_URL_SECONDS, *SIGNED_URL_BOUNDS
        ),
    )


async def evaluation_of(
    db: AsyncSession, exam_id: uuid.UUID, *, lock: bool = False
) -> Evaluation | None:
    """The exam's evaluation, if any; `lock` holds its row until commit, so a teacher's
    "start marking" waits for an upload in flight (or the upload sees it started)."""
    query = select(Evaluation).where(Evaluation.exam_instance_id == exam_id)
    if lock:
        query = query.with_for_update()
    query = query.execution_options(populate_existing=True)
    return (await db.execute(query)).scalar_one_or_none()


async def pages(db: AsyncSession, exam_id: uuid.UUID) -> list[AnswerSheetUpload]:
    query = (
        select(AnswerSheetUpload)
        .where(AnswerSheetUpload.exam_instance_id == exam_id)
        .order_by(AnswerSheetUpload.page_number)
    )
    return list((await db.execute(query)).scalars())


async def page(db: AsyncSession, exam_id: uuid.UUID, page_number: int) -> AnswerSheetUpload | None:
    query = select(AnswerSheetUpload).where(
        AnswerSheetUpload.exam_instance_id == exam_id,
        AnswerSheetUpload.page_number == page_number,
    )
    return (await db.execute(query)).scalar_one_or_none()


async def by_id(db: AsyncSession, upload_id: uuid.UUID) -> AnswerSheetUpload | None:
    return await db.get(AnswerSheetUpload, upload_id)


async def page_with_content(
    db: AsyncSession, exam_id: uuid.UUID, sha256: str
) -> AnswerSheetUpload | None:
    """The exam's page holding exactly this content, if any."""
    query = select(AnswerSheetUpload).where(
        AnswerSheetUpload.exam_instance_id == exam_id, AnswerSheetUpload.sha256 == sha256
    )
    return (await db.execute(query)).scalar_one_or_none()


async def insert(db: AsyncSession, **values: Any) -> AnswerSheetUpload:
    row = AnswerSheetUpload(**values)
    db.add(row)
    await db.flush()
    await db.refresh(row)  # uploaded_at comes from the database
    return row


async def remove(db: AsyncSession, upload_id: uuid.UUID) -> None:
    await db.execute(delete(AnswerSheetUpload).where(AnswerSheetUpload.id == upload_id))


__all__ = [
    "MAX_FILE_SIZE_KEY",
    "MAX_PAGES_KEY",
    "SIGNED_URL_SECONDS_KEY",
    "UploadLimits",
    "by_id",
    "evaluation_of",
    "insert",
    "limits",
    "page",
    "page_with_content",
    "pages",
    "remove",
]
