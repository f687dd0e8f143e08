"""Request bodies over MAX_REQUEST_BODY_BYTES get 413 before they are read whole.

Against a real `lyceum serve` (uvicorn) with a 1 KiB limit, with real clients: the body
declared too large is refused without being sent at all, and a chunked body without a
length is cut off once its chunks pass the limit, while the client still has more to send
and has not finished the body. A server that buffered the body first would never answer
either request, since neither body is ever completed.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, Request
from sqlalchemy.engine import URL

from lyceum.core.appspec import AppSpec
from lyceum.core.settings import Settings
from lyceum.web.app import create_app
from lyceum.web.limits import BodyLimitMiddleware
from tests.fixtures.live import free_port, start_server, stop_server

LIMIT = 1024
LOGIN = "/api/auth/login"


@pytest.fixture(scope="module")
def server(database_url: URL, redis_url: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "MAX_REQUEST_BODY_BYTES": str(LIMIT),
        "NERDBOARD_SIMULATION_WORKER": "false",
    }
    process = start_server(env, port)
    try:
        yield "127.0.0.1", port
    finally:
        stop_server(process)


def assert_413(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 413, body
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"
    error = json.loads(body)["error"]
    assert error["code"] == "content_too_large"
    assert error["message"] == (
        f"the request body is larger than the {LIMIT:,}-byte limit for {LOGIN}"
    )
    assert error["details"] == {"limit_bytes": LIMIT}


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read off a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without answering: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk
        body += chunk
    return int(status_line.split()[1]), headers, body


def request_head(port: int, extra: str) -> bytes:
    return (
        f"POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


@pytest.mark.slow
def test_declared_length_over_the_limit_is_refused_before_any_body_is_sent(
    server: tuple[str, int],
) -> None:
    host, port = server
    with socket.create_connection((host, port), timeout=30) as sock:
        # Ten gigabytes announced, not one byte of them sent.
        sock.sendall(request_head(port, "Content-Length: 10737418240\r\n"))
        assert_413(*read_response(sock))


@pytest.mark.slow
def test_declared_length_over_the_limit_with_httpx(server: tuple[str, int]) -> None:
    host, port = server
    response = httpx.post(
        f"http://{host}:{port}{LOGIN}",
        content=b'{"email": "a@example.org", "password": "' + b"x" * 4096 + b'"}',
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert_413(response.status_code, dict(response.headers), response.content)


@pytest.mark.slow
def test_chunked_body_is_cut_off_at_the_limit(server: tuple[str, int]) -> None:
    host, port = server
    chunk = b"x" * 256
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(request_head(port, "Transfer-Encoding: chunked\r\n"))
        # Past the limit by one chunk, then nothing more: the body never ends (no final
        # zero-length chunk), so only a server counting as chunks arrive can answer.
        for _ in range(LIMIT // len(chunk) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        assert_413(*read_response(sock))


@pytest.mark.slow
def test_chunked_body_over_the_limit_with_httpx(server: tuple[str, int]) -> None:
    host, port = server
    sent = 0

    def body() -> Iterator[bytes]:
        # A generator: httpx sends it chunked, without a Content-Length.
        nonlocal sent
        for _ in range(16):
            sent += 256
            yield b"x" * 256

    response = httpx.post(
        f"http://{host}:{port}{LOGIN}",
        content=body(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_413(response.status_code, dict(response.headers), response.content)
    assert sent > LIMIT


@pytest.mark.slow
def test_chunked_body_under_the_limit_is_served(server: tuple[str, int]) -> None:
    host, port = server

    def body() -> Iterator[bytes]:
        yield b'{"email": "nobody@example.org",'
        yield b' "password": "not the password"}'

    response = httpx.post(
        f"http://{host}:{port}{LOGIN}",
        content=body(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 401, response.text  # read whole, and judged


# ---- per-prefix limits ----------------------------------------------------------------


def uploads_spec() -> AppSpec:
    def build_router() -> APIRouter:
        router = APIRouter()

        @router.post("/uploads/file")
        async def upload(request: Request) -> dict[str, int]:
            return {"received": len(await request.body())}

        @router.post("/notes")
        async def note(request: Request) -> dict[str, int]:
            return {"received": len(await request.body())}

        return router

    return AppSpec(
        name="files",
        title="Files",
        description="a test app taking uploads",
        router=build_router,
        body_limits=(("/uploads", 8 * LIMIT),),
    )


async def test_an_app_raises_the_limit_for_its_upload_prefix() -> None:
    app = create_app(Settings(_env_file=None, max_request_body_bytes=LIMIT), apps=[uploads_spec()])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        big = b"y" * (4 * LIMIT)
        upload = await client.post("/api/files/uploads/file", content=big)
        assert upload.status_code == 200, upload.text
        assert upload.json() == {"received": len(big)}
        # Elsewhere in the same app the platform's limit holds.
        note = await client.post("/api/files/notes", content=big)
        assert note.status_code == 413
        assert note.json()["error"]["details"] == {"limit_bytes": LIMIT}
        # And the raised limit has its own ceiling.
        huge = await client.post("/api/files/uploads/file", content=b"y" * (9 * LIMIT))
        assert huge.status_code == 413
        assert huge.json()["error"]["details"] == {"limit_bytes": 8 * LIMIT}


def test_prefixes_match_whole_path_segments() -> None:
    middleware = BodyLimitMiddleware(
        app=lambda scope, receive, send: None,  # type: ignore[arg-type,return-value]
        max_body_bytes=10,
        prefix_limits={"/api/files/uploads": 100, "/api/files/uploads/big": 1000},
    )
    assert middleware.limit_for("/api/files/uploads") == 100
    assert middleware.limit_for("/api/files/uploads/a.png") == 100
    assert middleware.limit_for("/api/files/uploads/big/a.iso") == 1000
    assert middleware.limit_for("/api/files/uploadsx") == 10
    assert middleware.limit_for("/health") == 10
