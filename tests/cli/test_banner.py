"""`lyceum up`'s banner lists only what works: every URL it prints answers on a started app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from lyceum.apps import APPS
from lyceum.cli.banner import banner_lines
from lyceum.core.operators import ensure_demo_operator
from lyceum.core.settings import load_settings
from tests.fixtures.app import asgi_client, started_app

BASE = "http://test"
URL = re.compile(r"http://test(/[^\s)]*)")


@pytest.fixture
async def client(
    engine: AsyncEngine, redis_url: str, db_connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    # The app as `lyceum up` serves it (all registered apps), its lifespan run.
    async with started_app() as app, asgi_client(app) as http:
        yield http


async def test_every_printed_url_answers(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    settings = load_settings()
    credentials = await ensure_demo_operator(db_session, settings)
    assert credentials is not None
    lines = banner_lines(BASE, settings, APPS.values(), credentials)
    paths = [match for line in lines for match in URL.findall(line)]
    assert "/docs" in paths and "/health" in paths and "/api/nerdboard/overview" in paths
    assert lines[0].startswith("Open in a browser: http") and "/nerdboard/" in paths
    # The bare app prefix answered 404: it is not printed any more.
    assert "/api/nerdboard" not in paths

    login, *others = sorted(set(paths), key=lambda p: p != "/api/auth/login")
    assert login == "/api/auth/login"
    signed_in = await client.post(login, json={"email": credentials[0], "password": credentials[1]})
    assert signed_in.status_code == 200, signed_in.text
    token = next(line.split(": ", 1)[1] for line in lines if line.startswith("Demo bearer"))
    for path in others:
        # Without a token: 2xx for public pages, 401 for guarded routes, and web pages send
        # the browser to sign in; a route that does not exist would be a 404 before any
        # authentication.
        response = await client.get(path, headers={"Accept": "text/html"})
        if not path.startswith("/api/") and response.status_code in (302, 303):
            assert response.headers["location"].startswith("/sign-in"), path
            signed = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert signed.status_code == 200 and "text/html" in signed.headers["content-type"]
            continue
        assert 200 <= response.status_code < 300 or response.status_code == 401, path

    # The demo token the banner prints is the one the app accepts.
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


def test_app_accounts_are_listed_only_beside_the_development_login() -> None:
    lines = banner_lines(BASE, load_settings(), APPS.values(), ("demo@lyceum.local", "pw"))
    text = "\n".join(lines)
    # One operator login (the platform's), and Mathvidya's demo accounts with its password.
    assert text.count("Operator login") == 1
    mathvidya = next(line for line in lines if line.startswith("Mathvidya logins"))
    assert "demo.student@example.com" in mathvidya and mathvidya.endswith(" / pw")
    assert "TutorMax logins" not in text
    # Outside development there are no demo credentials, and no app accounts either.
    quiet = "\n".join(banner_lines(BASE, load_settings(), APPS.values(), None))
    assert "example.com" not in quiet
    # Apps are listed by the endpoints they serve (each answers: see the test above), never
    # by their bare prefix, which is a 404.
    for name in ("nerdboard", "mathvidya", "adaptive", "tutormax"):
        assert f"/api/{name}\n" not in text + "\n"
    assert "/api/mathvidya/plans" in text and "/api/tutormax/tutors" in text


def test_outside_development_no_demo_token_is_printed() -> None:
    production = load_settings(env="production", secret_key="s" * 40)
    lines = banner_lines(BASE, production, APPS.values(), None)
    assert not any("Demo bearer" in line or "lyceum-demo-token" in line for line in lines)
    assert not any("Operator login" in line for line in lines)
