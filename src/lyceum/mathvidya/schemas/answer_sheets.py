"""Answer-sheet pages as the API answers them (the upload itself is a raw body, not JSON)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

SheetKindName = Literal["jpeg", "png", "pdf"]


class SheetPage(BaseModel):
    """One uploaded page of an exam's written answers."""

    id: uuid.UUID
    page_number: int = Field(description="The page's place in the answers, from 1.")
    kind: SheetKindName = Field(description="What the file's content proved to be.")
    mime_type: str
    size_bytes: int
    original_filename: str | None = Field(
        description="The name the student's device gave the file (shown, never trusted)."
    )
    uploaded_at: datetime
    url: str = Field(
        description="A signed link that reads the file (as an attachment) until `url_expires_at`;"
        " no other credential is needed, so do not share it."
    )
    url_expires_at: datetime


class SheetUploaded(SheetPage):
    """The page as stored, with what checking its content measured."""

    pdf_pages: int | None = Field(
        description="For a PDF, its number of pages (measured at upload; not kept, so the"
        " list of pages does not repeat it)."
    )
    width: int | None = Field(description="For an image, its width in pixels.")
    height: int | None = Field(description="For an image, its height in pixels.")
    replaced: bool = Field(description="Whether this upload replaced an earlier file of the page.")


class SheetList(BaseModel):
    """An exam's pages, and whether its student may still add or change them."""

    exam_id: uuid.UUID
    pages: list[SheetPage]
    may_upload: bool = Field(
        description="True while the exam's owner may still upload, replace or delete pages"
        " (the exam is running or handed in, and its marking has not started)."
    )
    max_pages: int
    max_file_bytes: int


__all__ = ["SheetKindName", "SheetList", "SheetPage", "SheetUploaded"]
