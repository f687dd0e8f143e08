"""The web edge: one FastAPI application serving every registered app under `/api/<name>`.

Run with `uvicorn lyceum.web.app:create_app --factory`. There is deliberately no
module-level `app`: importing this module must not read settings, open pools or start
the embedded PostgreSQL; all of that happens in the lifespan.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.types import ASGIApp

from lyceum.apps import APPS
from lyceum.core import embedded
from lyceum.core.appspec import AppSpec
from lyceum.core.cache import build_cache
from lyceum.core.db.engine import Engines, activate
from lyceum.core.jobs import build_job_app
from lyceum.core.ratelimit import build_attempt_limiter
from lyceum.core.settings import Settings, get_settings
from lyceum.web import assets, auth_routes, health, shell
from lyceum.web.access import document_access
from lyceum.web.docs import install_docs
from lyceum.web.errors import ERROR_RESPONSES, install_error_handlers
from lyceum.web.health import VERSION
from lyceum.web.limits import BodyLimitMiddleware
from lyceum.web.query_params import reject_repeated_query_parameters
from lyceum.web.security import SecurityHeadersMiddleware
from lyceum.web.templating import PageRenderer, build_templates


class LyceumAPI(FastAPI):
    """FastAPI with the security headers wrapped around the whole middleware stack, so
    the 500s that Starlette's ServerErrorMiddleware sends by itself carry them too."""

    def __init__(self, *, https_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.https_only = https_only

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(
            super().build_middleware_stack(), https_only=self.https_only
        )


logger = logging.getLogger(__name__)


def operation_id(route: APIRoute) -> str:
    """`{tag}-{name}`: stable, readable ids for generated clients (e.g. `auth-login`)."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


async def _warn_about_capacity(engines: Engines) -> None:
    # A server that is down at startup is not a reason to refuse to start: /health says so and
    # requests answer 503 until it is back.
    try:
        await engines.check_server_capacity()
    except Exception as exc:
        logger.warning("could not read the server's max_connections at startup: %s", exc)


def _lifespan(
    settings: Settings, apps: tuple[AppSpec, ...]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        held_before = embedded.registered()
        try:
            async with _app_lifespan(app):
                yield
        finally:
            # An embedded server that this lifespan started is released when it ends, not at
            # interpreter exit: uvicorn ends a worker by re-raising SIGTERM with its default
            # action, which skips atexit, and would leave the server running and registered.
            for pgdata in embedded.registered() - held_before:
                await asyncio.to_thread(embedded.release, pgdata)

    @asynccontextmanager
    async def _app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        # The engines are this lifespan's: built for these settings, disposed when it ends.
        async with activate(Engines(settings)) as engines:
            app.state.engines = engines
            app.state.engine = engines.get()
            await _warn_about_capacity(engines)
            # The job registry: requests defer jobs (in their own transaction) by name.
            app.state.jobs = build_job_app(settings, apps)
            app.state.cache = build_cache(settings.redis_url)
            app.state.login_limiter = build_attempt_limiter(settings.redis_url)
            try:
                async with AsyncExitStack() as stack:
                    # Apps' own lifetimes (workers, listeners) end before the cache and pools.
                    for spec in apps:
                        if spec.lifespan is not None:
                            provided = await stack.enter_async_context(
                                spec.lifespan(settings, app.state.cache)
                            )
                            for name, value in provided.items():
                                setattr(app.state, name, value)
                    # Everything imported and built at startup lives as long as the process:
                    # keep it out of the cyclic collector, whose full passes over it otherwise
                    # stall requests for 150+ ms.
                    gc.freeze()
                    yield
            finally:
                await app.state.login_limiter.close()
                await app.state.cache.close()

    return lifespan


def mount_app(app: FastAPI, spec: AppSpec) -> None:
    """The app's API under /api/<name> and its pages under /<name>, from its AppSpec."""
    if spec.router is not None:
        router: APIRouter = spec.router()
        app.include_router(router, prefix=f"/api/{spec.name}", tags=[spec.name])
    if spec.pages is not None:
        # Pages answer HTML for people, not JSON for clients: not part of the API document.
        app.include_router(spec.pages(), prefix=f"/{spec.name}", include_in_schema=False)


def body_limits(specs: Iterable[AppSpec]) -> dict[str, int]:
    """Each app's raised request-body limits, keyed by full path prefix."""
    return {
        f"/api/{spec.name}/{prefix.strip('/')}": limit
        for spec in specs
        for prefix, limit in spec.body_limits
    }


def create_app(
    settings: Settings | None = None, *, apps: Iterable[AppSpec] | None = None
) -> FastAPI:
    """Build the application. `apps` defaults to the registry (`lyceum.apps.APPS`)."""
    settings = settings or get_settings()
    specs = tuple(APPS.values() if apps is None else apps)
    app = LyceumAPI(
        https_only=settings.https_only,
        # Served from our own origin by install_docs: FastAPI's pages load a CDN.
        docs_url=None,
        redoc_url=None,
        title="Lyceum",
        version=VERSION,
        description="Nerdboard, TutorMax, Mathvidya and the Adaptive Learning Decision Engine",
        lifespan=_lifespan(settings, specs),
        generate_unique_id_function=operation_id,
        responses=ERROR_RESPONSES,
        # Every route, present and future: a single-valued query parameter given twice is a
        # 422, not silently its last value.
        dependencies=[Depends(reject_repeated_query_parameters)],
        # Response bodies are serialised by Pydantic straight to JSON bytes through each
        # route's response_model (FastAPI >= 0.120), which is faster than orjson on a
        # dict; a custom default_response_class would switch that path off. Error bodies
        # are rendered with orjson (lyceum.web.errors).
    )
    # Also set here, not only in the lifespan: dependencies reading it must see these
    # settings even when a test drives the app without running the lifespan.
    app.state.settings = settings
    install_error_handlers(app)
    # Inside CORS, so a browser can read the 413 (the last middleware added runs first).
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        prefix_limits=body_limits(specs),
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        # Bearer tokens, not cookies: credentials mode is not needed.
        allow_credentials=False,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    install_docs(app, "Lyceum")
    # The page shell: its templates (with every app's), assets, home and sign-in pages.
    app.state.render_page = PageRenderer(build_templates(specs))
    app.include_router(assets.router())
    app.include_router(shell.router())
    app.include_router(health.router, prefix="/health", tags=["health"])
    app.include_router(auth_routes.router, prefix="/api/auth", tags=["auth"])
    for spec in specs:
        mount_app(app, spec)
    document_access(app)
    return app


__all__ = ["LyceumAPI", "body_limits", "create_app", "mount_app", "operation_id"]
