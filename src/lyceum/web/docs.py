"""`/docs` (Swagger UI) and `/redoc` with every asset served from our own origin.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, so they are blank without
internet access. The `fastapi-offline` package ships the same bundles (Swagger UI 5, which
renders the OpenAPI 3.1 documents FastAPI emits, and ReDoc 2); we mount its `static`
directory under `/static/docs` and build both pages with FastAPI's own HTML helpers.

Each page carries its own Content-Security-Policy: Swagger UI is started by one inline
script, which the policy admits by its SHA-256 hash rather than with `'unsafe-inline'`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from lyceum.web.security import CONTENT_SECURITY_POLICY

DOCS_ASSETS_PATH = "/static/docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"

# Inline <script> elements without a src attribute: the ones a hash must admit.
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def assets_directory() -> Path:
    """`fastapi_offline/static`, found without importing the package's FastAPI wrapper."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the fastapi-offline package is missing: run `make up` to install it")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: str) -> str:
    """The API's policy, loosened only as far as the documentation pages need.

    Swagger UI and ReDoc style elements from JavaScript (style attributes, styled-components)
    and draw icons from `data:` SVGs; ReDoc runs its search index in a `blob:` worker.
    """
    scripts = " ".join(["'self'", *_script_hashes(html)])
    directives = [
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
    ]
    return f"{CONTENT_SECURITY_POLICY}; " + "; ".join(directives)


def _page(response: HTMLResponse) -> tuple[bytes, str]:
    body = bytes(response.body)
    return body, docs_policy(body.decode())


def install_docs(app: FastAPI, title: str) -> None:
    """Mount the assets and add both pages (create the app with docs_url=redoc_url=None)."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")
    favicon = f"{DOCS_ASSETS_PATH}/favicon.png"
    swagger_body, swagger_policy = _page(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API docs",
            swagger_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
            oauth2_redirect_url=None,
            # Swagger UI otherwise sends the document to validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )
    redoc_body, redoc_policy = _page(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — API reference",
            redoc_js_url=f"{DOCS_ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
    )

    # Built once: the pages depend only on the app's title and document URL.
    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_body, headers={"Content-Security-Policy": swagger_policy})

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_body, headers={"Content-Security-Policy": redoc_policy})


__all__ = ["DOCS_ASSETS_PATH", "DOCS_URL", "REDOC_URL", "assets_directory", "install_docs"]
