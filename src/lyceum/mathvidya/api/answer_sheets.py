"""`/api/mathvidya`: answer-sheet pages of an exam (issue 16) and the signed file links.

- `PUT /exams/{exam_id}/answer-sheets/{page_number}`: the file's bytes as the raw body (not
  multipart). Its `Content-Type` is ignored: what the file is, is decided from its content.
- `GET /exams/{exam_id}/answer-sheets`: the pages, each with a signed link.
- `DELETE /exams/{exam_id}/answer-sheets/{page_number}`.
- `GET /files/{token}`: a file, to whoever holds a valid link (no bearer token: the link's
  signature is the authorization, so the route is declared public).

The platform refuses bodies over MAX_REQUEST_BODY_BYTES (1 MiB) before any route runs; the
app raises that for `/api/mathvidya/exams` to the table's 5 MiB ceiling (AppSpec
`body_limits`), and this route applies `upload.max_file_size_bytes` itself, also before
the body is read whole.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect

from lyceum.core.access import public
from lyceum.mathvidya.dependencies import (
    AnyAccount,
    MathvidyaSession,
    RequestOrigin,
    Student,
)
from lyceum.mathvidya.models.exam_instance import MAX_PAGES, MAX_UPLOAD_BYTES
from lyceum.mathvidya.schemas import answer_sheets as schemas
from lyceum.mathvidya.service import answer_sheets as service
from lyceum.mathvidya.storage import SheetStorage, configured_storage, signing_secret

# Tests and embedders may put a store of their choosing here (`app.state.<name>`).
STORAGE_STATE = "mathvidya_sheet_storage"

ExamId = Annotated[uuid.UUID, Path(description="The exam's id (a UUID).")]
PageNumber = Annotated[
    int, Path(ge=1, le=MAX_PAGES, description="The page's place in the written answers, from 1.")
]
Token = Annotated[
    str, Path(min_length=1, max_length=200, description="The token of a signed file link.")
]


def sheet_storage(request: Request) -> SheetStorage:
    chosen: SheetStorage | None = getattr(request.app.state, STORAGE_STATE, None)
    return chosen if chosen is not None else configured_storage()


def link_secret() -> bytes:
    return signing_secret()


Storage = Annotated[SheetStorage, Depends(sheet_storage)]
Secret = Annotated[bytes, Depends(link_secret)]

_BINARY = {"schema": {"type": "string", "format": "binary", "maxLength": MAX_UPLOAD_BYTES}}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The file's bytes exactly as they are: not multipart, not compressed"
            " (`Content-Encoding` other than identity is 415). A JPEG, PNG or PDF, judged by"
            " its content alone (signature, then a full decode of an image or a parse of a"
            " PDF with 1 or more pages); the declared Content-Type and the file name are"
            " ignored for that decision. At most `upload.max_file_size_bytes` (5 MiB): a"
            " larger Content-Length, or a chunked body that grows past it, is refused with"
            " 413 before the body is read whole."
        ),
        "content": {
            media: _BINARY
            for media in ("application/octet-stream", "image/jpeg", "image/png", "application/pdf")
        },
    }
}
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The page was replaced, or already held exactly this file."},
    404: {"description": "No such exam, or not the caller's own exam."},
    409: {
        "description": "The exam does not take pages now (not started, expired, or its marking"
        " has started), or this file is already another page of the exam (`details.page_number`)."
    },
    413: {"description": "The file is larger than `upload.max_file_size_bytes`."},
    415: {"description": "The body is compressed (`Content-Encoding`); send the file as it is."},
    422: {
        "description": "The content is not a JPEG, PNG or PDF, or is damaged, empty, too many"
        " pixels, or a PDF with no pages (the message says which, to the student); or the page"
        " number is past `upload.max_pages_per_exam`."
    },
    503: {"description": "The file storage cannot be reached; retry after `Retry-After`."},
}
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment, with the content type its content proved.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/jpeg", "image/png", "application/pdf")
        },
    },
    403: {"description": "The link was altered or made with another key."},
    404: {"description": "Not a file link, or the page has since been replaced or deleted."},
    410: {"description": "The link has expired; list the pages again for a fresh one."},
}


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None  # the server refuses a malformed length itself


def _after_commit(stale: service.StaleFile | None) -> BackgroundTask | None:
    # A background task runs after the response is sent, which is after the session
    # dependency has committed (it is scoped to the function), so a file is deleted only
    # once no committed row names it.
    return BackgroundTask(stale.delete) if stale is not None else None


def router() -> APIRouter:
    api = APIRouter()

    @api.put(
        "/exams/{exam_id}/answer-sheets/{page_number}",
        response_model=schemas.SheetUploaded,
        status_code=status.HTTP_201_CREATED,
        openapi_extra=UPLOAD_BODY,
        responses=UPLOAD_RESPONSES,
    )
    async def upload_answer_sheet(
        request: Request,
        actor: Student,
        db: MathvidyaSession,
        origin: RequestOrigin,
        storage: Storage,
        secret: Secret,
        exam_id: ExamId,
        page_number: PageNumber,
        filename: Annotated[
            str | None,
            Query(max_length=255, description="The file's name on the student's device."),
        ] = None,
        x_filename: Annotated[
            str | None,
            Header(
                max_length=1024,
                description="The file's name, percent-encoded (as `encodeURIComponent` does);"
                " `?filename=` wins when both are given.",
            ),
        ] = None,
    ) -> Response:
        """Upload one page of the written answers (201), or replace that page (200). The
        student who owns the exam, while it runs or is handed in and before its marking
        starts."""
        encoding = request.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise service.UnsupportedEncoding(
                "Send the file as it is, without compressing it.",
                details={"reason": "compressed", "content_encoding": encoding},
            )
        name = filename if filename is not None else (unquote(x_filename) if x_filename else None)
        try:
            outcome = await service.upload(
                db,
                actor,
                origin,
                storage,
                secret,
                exam_id,
                page_number,
                request.stream(),
                declared_length=_declared_length(request),
                filename=name,
            )
        except ClientDisconnect:
            # The client went away (or the platform's limit cut it off, and has answered).
            return Response(status_code=400)
        return Response(
            outcome.page.model_dump_json(),
            status_code=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
            media_type="application/json",
            background=_after_commit(outcome.stale),
        )

    @api.get("/exams/{exam_id}/answer-sheets", response_model=schemas.SheetList)
    async def list_answer_sheets(
        actor: AnyAccount, db: MathvidyaSession, secret: Secret, exam_id: ExamId
    ) -> schemas.SheetList:
        """The exam's pages with signed links (valid `upload.signed_url_seconds`): for the
        student, a linked parent, an admin, and the teacher who marks it."""
        return await service.list_pages(db, actor, secret, exam_id)

    @api.delete(
        "/exams/{exam_id}/answer-sheets/{page_number}",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        responses={409: UPLOAD_RESPONSES[409], 404: {"description": "No such exam or page."}},
    )
    async def delete_answer_sheet(
        actor: Student,
        db: MathvidyaSession,
        origin: RequestOrigin,
        storage: Storage,
        exam_id: ExamId,
        page_number: PageNumber,
    ) -> Response:
        """Remove a page (the exam's student, before its marking starts)."""
        stale = await service.delete_page(db, actor, origin, storage, exam_id, page_number)
        return Response(status_code=status.HTTP_204_NO_CONTENT, background=_after_commit(stale))

    @api.get(
        "/files/{token}",
        dependencies=[Depends(public)],
        response_class=Response,
        responses=FILE_RESPONSES,
    )
    async def read_signed_file(
        db: MathvidyaSession, storage: Storage, secret: Secret, token: Token
    ) -> Response:
        """An answer-sheet file through its signed link (public: the link is the
        authorization). Served as an attachment with `nosniff`, never cached."""
        served = await service.read_file(db, storage, secret, token)
        return Response(
            served.data,
            media_type=served.mime_type,
            headers={
                "Content-Disposition": f'attachment; filename="{served.download_name}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
                # The link is the credential: do not hand it on in a Referer.
                "Referrer-Policy": "no-referrer",
            },
        )

    return api


__all__ = ["STORAGE_STATE", "router", "sheet_storage"]
