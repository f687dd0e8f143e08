"""Static assets served from our own origin: the shell's own CSS and JavaScript
(`web/static/`, written here), each app's page scripts (`<app>/static/`, under
`/static/app/<app>/`), and plotly.js as the `plotly` wheel ships it
(`plotly/package_data/plotly.min.js`: nothing is copied into the repository, and no page
loads anything from another origin, so the pages work with no network).

Each file is read once, gzipped once, and served with a content hash in its URL
(`asset_url`), so browsers may keep it for a year (`immutable`) and a new version is a new
URL. plotly.min.js is 4.8 MB as shipped, about 1.4 MB gzipped, and then cached.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi import Path as PathParam
from fastapi.responses import Response

from lyceum.core.access import public
from lyceum.core.errors import NotFound

OWN_ASSETS = Path(__file__).parent / "static"


def _package_dir(name: str) -> Path:
    # Located, not imported: importing plotly's Python side costs a second for nothing.
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


PLOTLY_JS = _package_dir("plotly") / "package_data" / "plotly.min.js"
OWN_PREFIX = "/static/lyceum"
VENDOR_PREFIX = "/static/vendor"
APP_PREFIX = "/static/app"
APP_NAME = re.compile(r"[a-z][a-z0-9_]*")
VENDORED = {"plotly.min.js": PLOTLY_JS}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    digest: str


@cache
def load_asset(path: Path) -> Asset:
    body = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        media_type=media_type,
        digest=hashlib.sha256(body).hexdigest()[:12],
    )


def _own_file(name: str) -> Path:
    candidate = (OWN_ASSETS / name).resolve()
    # Only files directly in the static directory: no path leaves it.
    if candidate.parent != OWN_ASSETS.resolve() or not candidate.is_file():
        raise NotFound(f"no asset named {name!r}")
    return candidate


def _app_file(app: str, name: str) -> Path:
    # An app's assets are the files directly in `lyceum/<app>/static/`.
    spec = find_spec(f"lyceum.{app}") if APP_NAME.fullmatch(app) else None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = (Path(location) / "static").resolve()
        candidate = (folder / name).resolve()
        if candidate.parent == folder and candidate.is_file():
            return candidate
    raise NotFound(f"no asset named {name!r} for {app!r}")


def asset_url(name: str) -> str:
    """The URL of an asset with its content hash: `lyceum.css` (the shell's own),
    `nerdboard/pages.js` (an app's, from `lyceum/nerdboard/static/`), or `plotly.min.js`."""
    if name in VENDORED:
        return f"{VENDOR_PREFIX}/{name}?v={load_asset(VENDORED[name]).digest}"
    if "/" in name:
        app, _, file_name = name.partition("/")
        return f"{APP_PREFIX}/{app}/{file_name}?v={load_asset(_app_file(app, file_name)).digest}"
    return f"{OWN_PREFIX}/{name}?v={load_asset(_own_file(name)).digest}"


def _respond(asset: Asset, accept_encoding: str | None) -> Response:
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding", "ETag": f'"{asset.digest}"'}
    if accept_encoding and "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


AcceptEncoding = Annotated[str | None, Header(include_in_schema=False)]
AssetName = Annotated[str, PathParam(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


def router() -> APIRouter:
    assets = APIRouter(dependencies=[Depends(public)], include_in_schema=False)

    @assets.get(OWN_PREFIX + "/{name}")
    async def own_asset(name: AssetName, accept_encoding: AcceptEncoding = None) -> Response:
        return _respond(load_asset(_own_file(name)), accept_encoding)

    @assets.get(VENDOR_PREFIX + "/{name}")
    async def vendored_asset(name: AssetName, accept_encoding: AcceptEncoding = None) -> Response:
        path = VENDORED.get(name)
        if path is None:
            raise NotFound(f"no vendored asset named {name!r}")
        return _respond(load_asset(path), accept_encoding)

    @assets.get(APP_PREFIX + "/{app}/{name}")
    async def app_asset(
        app: AssetName, name: AssetName, accept_encoding: AcceptEncoding = None
    ) -> Response:
        return _respond(load_asset(_app_file(app, name)), accept_encoding)

    return assets


__all__ = [
    "APP_PREFIX",
    "OWN_PREFIX",
    "PLOTLY_JS",
    "VENDOR_PREFIX",
    "asset_url",
    "load_asset",
    "router",
]
