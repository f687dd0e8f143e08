"""Answer-sheet storage on S3 through boto3, against a local S3-compatible server the test
starts (moto's `ThreadedMotoServer` on a free port of 127.0.0.1: no network): the store's
round trip, an upload and a signed read through the API, and a store that is down (the
server stopped) answering 503 with Retry-After. The local store's own round trip too."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import ServiceUnavailable
from lyceum.mathvidya.api.answer_sheets import STORAGE_STATE
from lyceum.mathvidya.storage import (
    LocalStorage,
    S3Storage,
    StoredFileMissing,
    configured_storage,
    reset_storage_cache,
)
from tests.fixtures.live import free_port
from tests.mathvidya.calls import as_account
from tests.mathvidya.rows import add_exam, add_user

API = "/api/mathvidya"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Any credentials do for the local server; never real ones.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)


class S3Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.running = False
        # moto keeps its buckets per process, whichever server made them: one per test.
        self.bucket = f"mathvidya-sheets-{uuid.uuid4().hex[:12]}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.server.stop()
            self.running = False


@pytest.fixture
def s3_server(aws_credentials: None) -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    try:
        boto3.client("s3", endpoint_url=server.url, region_name="ap-south-1").create_bucket(
            Bucket=server.bucket, CreateBucketConfiguration={"LocationConstraint": "ap-south-1"}
        )
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_server: S3Server) -> S3Storage:
    return S3Storage(s3_server.bucket, endpoint_url=s3_server.url, region="ap-south-1")


def photo() -> bytes:
    image = Image.new("RGB", (120, 160), (255, 255, 255))
    for x in range(120):
        image.putpixel((x, x % 160), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def another_photo() -> bytes:
    image = Image.new("RGB", (90, 90), (200, 200, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


async def test_an_object_goes_in_comes_back_and_goes(s3_store: S3Storage) -> None:
    key = f"answer-sheets/{uuid.uuid4()}/1-0123456789abcdef.jpg"
    data = photo()
    await s3_store.put(key, data, "image/jpeg")
    assert await s3_store.get(key) == data
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key=key)
    assert head["ContentType"] == "image/jpeg"
    await s3_store.delete(key)
    with pytest.raises(StoredFileMissing):
        await s3_store.get(key)
    await s3_store.delete(key)  # deleting what is gone is not an error


async def test_the_settings_choose_s3(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATHVIDYA_STORAGE", "s3")
    monkeypatch.setenv("MATHVIDYA_S3_BUCKET", s3_server.bucket)
    monkeypatch.setenv("MATHVIDYA_S3_ENDPOINT_URL", s3_server.url)
    reset_storage_cache()
    try:
        store = configured_storage()
        assert isinstance(store, S3Storage) and store.bucket == s3_server.bucket
        await store.put("answer-sheets/probe.pdf", b"%PDF-1.7", "application/pdf")
        assert await store.get("answer-sheets/probe.pdf") == b"%PDF-1.7"
    finally:
        reset_storage_cache()


def file_names(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file()]


async def test_the_local_store_round_trip(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    await store.put("answer-sheets/e/2-abc.png", b"png bytes", "image/png")
    assert await store.get("answer-sheets/e/2-abc.png") == b"png bytes"
    assert file_names(tmp_path) == ["2-abc.png"]
    await store.delete("answer-sheets/e/2-abc.png")
    with pytest.raises(StoredFileMissing):
        await store.get("answer-sheets/e/2-abc.png")
    with pytest.raises(ValueError, match="relative"):
        await store.put("../outside.png", b"x", "image/png")


@pytest.fixture
def api_on_s3(app: FastAPI, s3_store: S3Storage) -> Iterator[S3Storage]:
    setattr(app.state, STORAGE_STATE, s3_store)
    yield s3_store
    setattr(app.state, STORAGE_STATE, None)


async def test_an_upload_through_the_api_lands_in_the_bucket(
    client: httpx.AsyncClient, db_session: AsyncSession, api_on_s3: S3Storage
) -> None:
    student = await add_user(db_session, "student")
    exam = await add_exam(db_session, "submitted", student_user_id=student)
    data = photo()
    answer = await client.put(
        f"{API}/exams/{exam}/answer-sheets/1",
        content=data,
        headers={**as_account("student", student), "content-type": "application/octet-stream"},
    )
    assert answer.status_code == 201, answer.text
    listed = api_on_s3.client.list_objects_v2(
        Bucket=api_on_s3.bucket, Prefix=f"answer-sheets/{exam}/"
    )
    [stored] = listed["Contents"]
    assert stored["Key"].startswith(f"answer-sheets/{exam}/1-") and stored["Size"] == len(data)
    served = await client.get(answer.json()["url"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-disposition"] == 'attachment; filename="page-1.jpg"'


async def test_a_store_that_is_down_answers_503_with_retry_after(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    api_on_s3: S3Storage,
    s3_server: S3Server,
) -> None:
    student = await add_user(db_session, "student")
    exam = await add_exam(db_session, "in_progress", student_user_id=student)
    first = await client.put(
        f"{API}/exams/{exam}/answer-sheets/1",
        content=photo(),
        headers=as_account("student", student),
    )
    assert first.status_code == 201, first.text
    s3_server.stop()
    with pytest.raises(ServiceUnavailable):
        await api_on_s3.get(f"answer-sheets/{exam}/anything.jpg")
    down = await client.put(
        f"{API}/exams/{exam}/answer-sheets/2",
        content=another_photo(),
        headers=as_account("student", student),
    )
    assert down.status_code == 503, down.text
    assert down.headers["retry-after"] == "10"
    assert down.json()["error"]["details"]["dependency"] == "storage"
    reading = await client.get(first.json()["url"])
    assert reading.status_code == 503
    assert reading.headers["retry-after"] == "10"
    # Nothing was recorded for the page the store could not take.
    listing = await client.get(
        f"{API}/exams/{exam}/answer-sheets", headers=as_account("student", student)
    )
    assert [p["page_number"] for p in listing.json()["pages"]] == [1]
