"""`/docs` and `/redoc` work offline: every asset from our own origin, none from a CDN."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from lyceum.core.settings import Settings
from lyceum.web.app import create_app
from lyceum.web.docs import DOCS_ASSETS_PATH

PAGES = ("/docs", "/redoc")


class AssetReferences(HTMLParser):
    """Every URL the page makes the browser fetch, and the bodies of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attribute in ("src", "href", "spec-url", "action", "data"):
            if values.get(attribute):
                self.urls.append(str(values[attribute]))
        self._in_inline_script = tag == "script" and "src" not in values

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.inline_scripts.append(data)


@pytest.fixture
def docs_app() -> FastAPI:
    # The pages and assets need no database: an app without its lifespan serves them.
    return create_app(Settings(_env_file=None))


@pytest.fixture
async def docs_client(docs_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=docs_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def parse(html: str) -> AssetReferences:
    references = AssetReferences()
    references.feed(html)
    return references


@pytest.mark.parametrize("page", PAGES)
async def test_pages_reference_only_same_origin_assets(
    docs_client: httpx.AsyncClient, page: str
) -> None:
    response = await docs_client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # No CDN, no font service, no validator badge: nothing outside this server.
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    urls = parse(html).urls
    assert urls, "the page references no assets at all"
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assets = [url for url in urls if url.startswith(DOCS_ASSETS_PATH)]
    assert assets, urls
    # The document itself is same-origin too.
    assert "/openapi.json" in html


@pytest.mark.parametrize(
    ("asset", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "text/javascript"),
        ("favicon.png", "image/png"),
    ],
)
async def test_assets_are_served_with_their_content_type(
    docs_client: httpx.AsyncClient, asset: str, content_type: str
) -> None:
    response = await docs_client.get(f"{DOCS_ASSETS_PATH}/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == content_type
    assert len(response.content) > 1000


@pytest.mark.parametrize("page", PAGES)
async def test_every_asset_a_page_names_is_served(
    docs_client: httpx.AsyncClient, page: str
) -> None:
    for url in parse((await docs_client.get(page)).text).urls:
        assert (await docs_client.get(url)).status_code == 200, url


async def test_swagger_ui_supports_openapi_3_1(docs_client: httpx.AsyncClient) -> None:
    document = (await docs_client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    bundle = (await docs_client.get(f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js")).text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle)
    assert version is not None
    # Swagger UI renders OpenAPI 3.1 from 5.0 on.
    assert int(version.group(1)) >= 5


async def test_the_page_policy_admits_exactly_its_inline_script(
    docs_client: httpx.AsyncClient,
) -> None:
    response = await docs_client.get("/docs")
    policy = response.headers["content-security-policy"]
    scripts = parse(response.text).inline_scripts
    assert len(scripts) == 1  # Swagger UI's start-up call
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == f"script-src 'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy


def test_fastapi_cdn_pages_are_gone(docs_app: FastAPI) -> None:
    # FastAPI's own pages (which name cdn.jsdelivr.net) are off; ours are the only ones.
    assert docs_app.docs_url is None and docs_app.redoc_url is None
    paths = [getattr(route, "path", None) for route in docs_app.routes]
    assert paths.count("/docs") == 1 and paths.count("/redoc") == 1
