"""Answer-sheet pages through the API, on the real application and database, with files kept
in a local store under the test's temporary directory: who may upload (the exam's student,
before marking starts) and who may read (student, linked parent, admin, the marking teacher);
the size limit refused before the body is read whole (a declared length, and a chunked body
cut off as it streams); content checks; duplicates; replacing and deleting pages; the signed
links (valid, expired, altered) and the headers a file is served with."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.mathvidya.api.answer_sheets import STORAGE_STATE
from lyceum.mathvidya.service.answer_sheets import LINK_PURPOSE
from lyceum.mathvidya.sheets.signing import make_token
from lyceum.mathvidya.storage import LocalStorage, signing_secret
from tests.mathvidya.calls import as_account
from tests.mathvidya.rows import (
    EXAM_STATUS_FOR_EVALUATION,
    SLA_DEADLINE,
    add,
    add_evaluation,
    add_exam,
    add_user,
)
from tests.mathvidya.test_sheet_sniff import pdf

API = "/api/mathvidya"
# Evaluations a teacher holds carry a claim (migration 0014).
HELD = ("assigned", "in_progress")


def photo(seed: int = 0, kind: str = "JPEG") -> bytes:
    image = Image.new("RGB", (200, 280), (255, 255, 250))
    for x in range(200):
        image.putpixel((x, (x * 3 + seed) % 280), (10, 10, 90))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


@pytest.fixture
def store(app: FastAPI, tmp_path: Path) -> Iterator[LocalStorage]:
    storage = LocalStorage(tmp_path / "sheets")
    setattr(app.state, STORAGE_STATE, storage)
    yield storage
    setattr(app.state, STORAGE_STATE, None)


def stored_files(store: LocalStorage) -> list[str]:
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file())


async def new_exam(db: AsyncSession, status: str = "in_progress") -> tuple[uuid.UUID, uuid.UUID]:
    student = await add_user(db, "student")
    exam = await add_exam(db, status, student_user_id=student)
    return student, exam


async def put_page(
    client: httpx.AsyncClient,
    student: uuid.UUID,
    exam: uuid.UUID,
    page: int,
    body: bytes,
    **headers: str,
) -> httpx.Response:
    return await client.put(
        f"{API}/exams/{exam}/answer-sheets/{page}",
        content=body,
        headers={**as_account("student", student), **headers},
    )


async def set_config(db: AsyncSession, key: str, value: Any) -> None:
    await db.execute(
        text(
            "UPDATE mathvidya.system_config SET config_value = CAST(:v AS jsonb)"
            " WHERE config_key = :k"
        ),
        {"k": key, "v": json.dumps(value)},
    )


# ---- uploading ---------------------------------------------------------------------------------


async def test_a_student_uploads_a_page_of_their_exam(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    data = photo()
    # The declared type says PNG, the name says .png: both are ignored; the content is JPEG.
    answer = await put_page(
        client,
        student,
        exam,
        1,
        data,
        **{"content-type": "image/png", "x-filename": "Page%201%20%E2%9C%93.png"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    digest = hashlib.sha256(data).hexdigest()
    assert body["page_number"] == 1
    assert (body["kind"], body["mime_type"], body["size_bytes"]) == (
        "jpeg",
        "image/jpeg",
        len(data),
    )
    assert (body["width"], body["height"], body["pdf_pages"]) == (200, 280, None)
    assert body["original_filename"] == "Page 1 ✓.png"
    assert body["replaced"] is False
    assert stored_files(store) == [f"answer-sheets/{exam}/1-{digest[:16]}.jpg"]
    row = (
        await db_session.execute(
            text(
                "SELECT storage_bucket, sha256, mime_type, file_size_bytes"
                " FROM mathvidya.answer_sheet_uploads WHERE exam_instance_id = :e"
            ),
            {"e": exam},
        )
    ).one()
    assert tuple(row) == ("local", digest, "image/jpeg", len(data))
    audit = (
        await db_session.execute(
            text(
                "SELECT actor_user_id, details FROM mathvidya.audit_logs"
                " WHERE action = 'answer_sheet.uploaded' AND entity_id = :e"
            ),
            {"e": exam},
        )
    ).one()
    assert audit.actor_user_id == student
    assert audit.details["page_number"] == 1 and audit.details["sha256"] == digest


async def test_a_pdf_page_reports_its_page_count(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session, "submitted")
    answer = await put_page(client, student, exam, 2, pdf(3), **{"content-type": "image/jpeg"})
    assert answer.status_code == 201, answer.text
    assert (answer.json()["kind"], answer.json()["pdf_pages"]) == ("pdf", 3)


async def test_only_the_exams_student_may_upload(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    other = await add_user(db_session, "student")
    answer = await put_page(client, other, exam, 1, photo())
    assert answer.status_code == 404, answer.text
    # A parent, even the student's own, and an admin upload nothing (the role guard).
    parent = await add_user(db_session, "parent", student_class=None, school_name=None)
    await add(db_session, "parent_student_mappings", parent_user_id=parent, student_user_id=student)
    for role, person in (("parent", parent), ("admin", await add_user(db_session, "admin"))):
        refused = await client.put(
            f"{API}/exams/{exam}/answer-sheets/1",
            content=photo(),
            headers=as_account(role, person),
        )
        assert refused.status_code == 403, refused.text
    # An exam that does not exist is the same 404.
    assert (await put_page(client, student, uuid.uuid4(), 1, photo())).status_code == 404
    assert stored_files(store) == []


async def test_a_text_file_named_jpg_is_refused_with_a_sentence(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    answer = await put_page(
        client,
        student,
        exam,
        1,
        b"Question 21: the answer is 42.\n",
        **{"content-type": "image/jpeg", "x-filename": "page1.jpg"},
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["message"] == "This file is not a JPEG, PNG or PDF: it looks like text."
    assert error["details"] == {"reason": "not_a_sheet", "field": "body"}
    assert stored_files(store) == []


async def test_a_truncated_photo_and_an_empty_pdf_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    data = photo()
    cut = await put_page(client, student, exam, 1, data[: len(data) // 2])
    assert cut.status_code == 422
    assert cut.json()["error"]["details"]["reason"] == "undecodable"
    empty = await put_page(client, student, exam, 1, pdf(0))
    assert empty.status_code == 422
    assert empty.json()["error"]["message"] == "This PDF has no pages; there is nothing to mark."


async def test_the_same_scan_twice_is_refused_naming_its_page(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    data = photo(1)
    assert (await put_page(client, student, exam, 1, data)).status_code == 201
    again = await put_page(client, student, exam, 4, data)
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["message"] == (
        "This file is already uploaded as page 1; the same scan cannot be page 4 too."
    )
    assert error["details"] == {"reason": "duplicate", "page_number": 1}
    assert len(stored_files(store)) == 1
    # The same file to the same page is a retry: 200, nothing changes.
    retry = await put_page(client, student, exam, 1, data)
    assert retry.status_code == 200, retry.text
    assert retry.json()["replaced"] is False
    assert len(stored_files(store)) == 1


async def test_replacing_a_page_removes_the_old_file_and_its_links(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    first = await put_page(client, student, exam, 1, photo(1))
    old_url = first.json()["url"]
    second = await put_page(client, student, exam, 1, photo(2))
    assert second.status_code == 200, second.text
    assert second.json()["replaced"] is True
    digest = hashlib.sha256(photo(2)).hexdigest()
    # The old file was deleted after the commit (a background task of the response).
    assert stored_files(store) == [f"answer-sheets/{exam}/1-{digest[:16]}.jpg"]
    gone = await client.get(old_url)
    assert gone.status_code == 404
    fresh = await client.get(second.json()["url"])
    assert fresh.status_code == 200 and fresh.content == photo(2)


async def test_a_page_can_be_deleted_before_marking(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    await put_page(client, student, exam, 1, photo(1))
    await put_page(client, student, exam, 2, photo(2))
    path = f"{API}/exams/{exam}/answer-sheets/1"
    other = await add_user(db_session, "student")
    assert (await client.delete(path, headers=as_account("student", other))).status_code == 404
    gone = await client.delete(path, headers=as_account("student", student))
    assert gone.status_code == 204, gone.text
    assert [p.split("/")[-1].split("-")[0] for p in stored_files(store)] == ["2"]
    again = await client.delete(path, headers=as_account("student", student))
    assert again.status_code == 404
    listing = await client.get(
        f"{API}/exams/{exam}/answer-sheets", headers=as_account("student", student)
    )
    assert [p["page_number"] for p in listing.json()["pages"]] == [2]


@pytest.mark.parametrize(
    ("evaluation", "allowed"),
    [
        (None, True),
        ("pending", True),
        ("assigned", True),
        ("in_progress", False),
        ("completed", False),
    ],
)
async def test_pages_change_only_until_marking_starts(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    store: LocalStorage,
    evaluation: str | None,
    allowed: bool,
) -> None:
    status = EXAM_STATUS_FOR_EVALUATION[evaluation] if evaluation else "submitted"
    student, exam = await new_exam(db_session, status)
    if evaluation is not None:
        held = {"claim_expires_at": SLA_DEADLINE} if evaluation in HELD else {}
        await add_evaluation(db_session, evaluation, exam_instance_id=exam, **held)
    answer = await put_page(client, student, exam, 1, photo())
    if allowed:
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["message"] == (
        "The teacher has started marking this exam, so its answer sheets can no longer change."
    )
    deleting = await client.delete(
        f"{API}/exams/{exam}/answer-sheets/1", headers=as_account("student", student)
    )
    assert deleting.status_code == 409
    assert stored_files(store) == []


async def test_an_exam_not_started_takes_no_pages(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session, "created")
    answer = await put_page(client, student, exam, 1, photo())
    assert answer.status_code == 409
    assert answer.json()["error"]["details"]["reason"] == "not_started"


async def test_a_page_past_the_configured_count_and_a_compressed_body_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    await set_config(db_session, "upload.max_pages_per_exam", 3)
    past = await put_page(client, student, exam, 4, photo())
    assert past.status_code == 422
    assert past.json()["error"]["details"] == {"reason": "too_many_pages", "field": "page_number"}
    zipped = await put_page(client, student, exam, 1, photo(), **{"content-encoding": "gzip"})
    assert zipped.status_code == 415


# ---- the size limit, before the body is read whole ---------------------------------------------

LIMIT = 64 * 1024


async def call_with_body(
    app: FastAPI,
    path: str,
    headers: dict[str, str],
    chunks: AsyncIterator[bytes] | None,
) -> tuple[int, dict[str, Any], int]:
    """PUT straight to the ASGI app; the body comes from `chunks` (None: never asked for).
    Returns the status, the JSON body and how many body bytes the app pulled."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    pulled = 0
    started: list[int] = []
    body = bytearray()

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if chunks is None:
            raise AssertionError("the app read the body of a request it should have refused")
        chunk = await anext(chunks)
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.append(int(message["status"]))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await asyncio.wait_for(app(scope, receive, send), timeout=60)
    return started[0], json.loads(bytes(body)), pulled


async def endless(chunk_size: int) -> AsyncIterator[bytes]:
    """A chunked body that never ends: only a server counting as it reads can answer."""
    chunk = b"\xff\xd8\xff" + b"x" * (chunk_size - 3)
    while True:
        yield chunk


async def test_a_declared_length_over_the_limit_is_refused_before_reading(
    app: FastAPI, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    await set_config(db_session, "upload.max_file_size_bytes", LIMIT)
    headers = {
        **as_account("student", student),
        "host": "test",
        # Over our limit, under the platform's 5 MiB for the route: our 413, not the platform's.
        "content-length": str(1024 * 1024),
        "content-type": "image/jpeg",
    }
    status, body, pulled = await call_with_body(
        app, f"{API}/exams/{exam}/answer-sheets/1", headers, None
    )
    assert status == 413
    assert pulled == 0
    assert body["error"]["code"] == "file_too_large"
    assert body["error"]["message"].startswith("This file is 1.0 MB; a page may be at most 0.1 MB.")
    assert body["error"]["details"]["limit_bytes"] == LIMIT


async def test_a_chunked_body_is_cut_off_at_the_limit(
    app: FastAPI, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    await set_config(db_session, "upload.max_file_size_bytes", LIMIT)
    headers = {
        **as_account("student", student),
        "host": "test",
        "transfer-encoding": "chunked",
        "content-type": "application/octet-stream",
    }
    chunk = 8 * 1024
    status, body, pulled = await call_with_body(
        app, f"{API}/exams/{exam}/answer-sheets/1", headers, endless(chunk)
    )
    assert status == 413
    assert body["error"]["code"] == "file_too_large"
    # Refused at the first chunk past the limit, while the body had no end.
    assert LIMIT < pulled <= LIMIT + chunk
    assert stored_files(store) == []


async def test_the_platform_limit_still_holds_above_the_table_ceiling(
    app: FastAPI, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    headers = {
        **as_account("student", student),
        "host": "test",
        "content-length": str(6 * 1024 * 1024),
    }
    status, body, pulled = await call_with_body(
        app, f"{API}/exams/{exam}/answer-sheets/1", headers, None
    )
    assert (status, pulled) == (413, 0)
    assert body["error"]["code"] == "content_too_large"
    assert body["error"]["details"] == {"limit_bytes": 5 * 1024 * 1024}


async def test_a_body_just_over_the_limit_through_http_is_413(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    data = photo()
    await set_config(db_session, "upload.max_file_size_bytes", len(data) - 1)
    answer = await put_page(client, student, exam, 1, data)
    assert answer.status_code == 413
    await set_config(db_session, "upload.max_file_size_bytes", len(data))
    assert (await put_page(client, student, exam, 1, data)).status_code == 201


# ---- reading: the list and the signed links ----------------------------------------------------


async def test_the_list_is_for_the_family_the_admin_and_the_marking_teacher(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session, "submitted")
    await put_page(client, student, exam, 1, photo(1))
    await put_page(client, student, exam, 2, pdf(2))
    parent = await add_user(db_session, "parent", student_class=None, school_name=None)
    await add(db_session, "parent_student_mappings", parent_user_id=parent, student_user_id=student)
    admin = await add_user(db_session, "admin")
    path = f"{API}/exams/{exam}/answer-sheets"
    for role, person in (("student", student), ("parent", parent), ("admin", admin)):
        answer = await client.get(path, headers=as_account(role, person))
        assert answer.status_code == 200, (role, answer.text)
        body = answer.json()
        assert [(p["page_number"], p["kind"]) for p in body["pages"]] == [(1, "jpeg"), (2, "pdf")]
        assert body["may_upload"] is (role == "student")
        assert body["max_file_bytes"] == 5 * 1024 * 1024
    stranger_parent = await add_user(db_session, "parent", student_class=None, school_name=None)
    teacher = await add_user(db_session, "teacher", student_class=None, school_name=None)
    for role, person in (
        ("student", await add_user(db_session, "student")),
        ("parent", stranger_parent),
        ("teacher", teacher),
    ):
        answer = await client.get(path, headers=as_account(role, person))
        assert answer.status_code == 404, (role, answer.text)
    # The teacher the evaluation is assigned to reads the pages.
    await add_evaluation(
        db_session,
        "assigned",
        exam_instance_id=exam,
        teacher_user_id=teacher,
        claim_expires_at=SLA_DEADLINE,
    )
    marking = await client.get(path, headers=as_account("teacher", teacher))
    assert marking.status_code == 200, marking.text
    assert len(marking.json()["pages"]) == 2


async def test_a_signed_link_serves_the_file_as_an_attachment(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    data = photo(3, "PNG")
    await put_page(client, student, exam, 3, data, **{"content-type": "text/html"})
    listing = await client.get(
        f"{API}/exams/{exam}/answer-sheets", headers=as_account("student", student)
    )
    [page] = listing.json()["pages"]
    assert page["url"].startswith(f"{API}/files/")
    # No bearer token: the link is the authorization.
    served = await client.get(page["url"])
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"] == 'attachment; filename="page-3.png"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "private, no-store"


async def test_expired_altered_and_foreign_links_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session)
    uploaded = (await put_page(client, student, exam, 1, photo())).json()
    upload_id = uuid.UUID(uploaded["id"])
    secret = signing_secret()
    expired = make_token(secret, upload_id, int(time.time()) - 1, LINK_PURPOSE)
    answer = await client.get(f"{API}/files/{expired}")
    assert answer.status_code == 410
    assert answer.json()["error"]["details"] == {"reason": "expired"}
    # A later expiry written into a valid link breaks its signature.
    token = uploaded["url"].rsplit("/", 1)[1]
    id_hex, expiry, purpose, mac = token.split(".")
    stretched = f"{id_hex}.{int(expiry) + 86_400}.{purpose}.{mac}"
    answer = await client.get(f"{API}/files/{stretched}")
    assert answer.status_code == 403
    assert answer.json()["error"]["details"] == {"reason": "forged"}
    forged = make_token(b"not the server's secret at all!!", upload_id, 2_000_000_000, LINK_PURPOSE)
    assert (await client.get(f"{API}/files/{forged}")).status_code == 403
    # Another purpose's link, and a string that is no link at all.
    other = make_token(secret, upload_id, 2_000_000_000, "report")
    assert (await client.get(f"{API}/files/{other}")).status_code == 403
    assert (await client.get(f"{API}/files/placeholder")).status_code == 404
    # A valid link to a page that never existed.
    nothing = make_token(secret, uuid.uuid4(), 2_000_000_000, LINK_PURPOSE)
    assert (await client.get(f"{API}/files/{nothing}")).status_code == 404


async def test_the_upload_is_documented_as_a_raw_body(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"][f"{API}/exams/{{exam_id}}/answer-sheets/{{page_number}}"]["put"]
    content = operation["requestBody"]["content"]
    assert set(content) == {
        "application/octet-stream",
        "image/jpeg",
        "image/png",
        "application/pdf",
    }
    assert content["image/jpeg"]["schema"] == {
        "type": "string",
        "format": "binary",
        "maxLength": 5 * 1024 * 1024,
    }
    assert {"409", "413", "415", "422"} <= set(operation["responses"])
    files = document["paths"][f"{API}/files/{{token}}"]["get"]
    assert {"403", "404", "410"} <= set(files["responses"])


# ---- the exam page's panel ---------------------------------------------------------------------


async def test_the_exam_page_shows_the_upload_panel_to_its_student(
    client: httpx.AsyncClient, db_session: AsyncSession, store: LocalStorage
) -> None:
    student, exam = await new_exam(db_session, "submitted")
    await put_page(client, student, exam, 1, photo())
    html = {"Accept": "text/html"}
    page = await client.get(
        f"/mathvidya/exams/{exam}", headers={**as_account("student", student), **html}
    )
    assert page.status_code == 200, page.text
    assert 'id="answer-sheets"' in page.text and 'id="sheet-files"' in page.text
    assert (
        'data-sheet-link="1"' in page.text and "/static/app/mathvidya/answer_sheets.js" in page.text
    )
    parent = await add_user(db_session, "parent", student_class=None, school_name=None)
    await add(db_session, "parent_student_mappings", parent_user_id=parent, student_user_id=student)
    seen = await client.get(
        f"/mathvidya/exams/{exam}", headers={**as_account("parent", parent), **html}
    )
    assert seen.status_code == 200
    assert 'data-sheet-link="1"' in seen.text and 'id="sheet-files"' not in seen.text
    # Before the exam starts there is nothing to upload to.
    _, fresh = await new_exam(db_session, "created")
    owner = (
        await db_session.execute(
            text("SELECT student_user_id FROM mathvidya.exam_instances WHERE id = :e"), {"e": fresh}
        )
    ).scalar_one()
    unstarted = await client.get(
        f"/mathvidya/exams/{fresh}", headers={**as_account("student", owner), **html}
    )
    assert unstarted.status_code == 200 and 'id="answer-sheets"' not in unstarted.text
