"""The authorization matrix: every route of the application, against every kind of caller.

The routes come from the route table of `create_app()` (every app in `APPS`, its API and
its pages, and the framework's documentation routes), so a route added later is in the
matrix without anyone listing it. Each route's policy is read from its dependency tree
(`lyceum.web.access`); a route without one fails `test_every_route_declares_a_policy`.

For every route and caller the expected outcome follows from the policy alone:

- a caller without valid credentials (none, a malformed header, another scheme, a token
  that is not a JWT, forged with another key, for another audience, expired) gets 401;
- a signed-in caller holding no role the policy names gets 403;
- an admitted caller gets anything but 401/403 (200, 404, 409, 422 and 503 all mean that
  authorization let the call through; what the route then does is other tests' business).

Calls go straight to the ASGI application with the lifespan running; the response's
status is recorded at `http.response.start` and the call is stopped there, so no body is
read and the SSE stream cannot run forever. Writes the policy admits run inside the test's
transaction (`db_connection`), rolled back at the end (a job a call defers, such as
Nerdboard's reset, is queued in it); background work our code starts during a call is
awaited before the next call, inside that transaction too.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

import lyceum
from lyceum.apps import APPS
from lyceum.core.access import PUBLIC, SIGNED_IN, AccessPolicy, public
from lyceum.core.appspec import AppSpec
from lyceum.core.auth import DEMO_ROLES, Principal, get_principal, issue_token, require_roles
from lyceum.core.models import OPERATOR_ROLES
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, Settings, load_settings
from lyceum.web.access import OPENAPI_EXTENSION, RouteAccess, route_access, undeclared_routes
from lyceum.web.app import create_app
from tests.fixtures import throwaway

# ---- the route table, read when the tests are collected ------------------------------


def _route_table(app: FastAPI) -> dict[str, RouteAccess]:
    return {
        f"{method} {entry.path}": entry for entry in route_access(app) for method in entry.methods
    }


ROUTES = _route_table(create_app(load_settings()))


# ---- callers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    authorization: str | None
    # The roles of a caller with valid credentials; None for one without.
    roles: frozenset[str] | None


def _jwt(settings: Settings, roles: list[str], **overrides: Any) -> str:
    options: dict[str, Any] = {
        "secret": settings.effective_secret_key,
        "audience": settings.jwt_audience,
        "ttl_seconds": 600,
        **overrides,
    }
    return "Bearer " + issue_token("matrix@example.com", roles, **options)


def known_roles(routes: list[RouteAccess]) -> frozenset[str]:
    """The operator accounts' roles and every role some route's policy names (app roles
    included as apps add them)."""
    named = (entry.policy.roles for entry in routes if entry.policy is not None)
    return frozenset(OPERATOR_ROLES).union(*named)


def callers(settings: Settings, roles: frozenset[str]) -> list[Caller]:
    expired = datetime.now(UTC) - timedelta(hours=2)
    invalid = [
        Caller("no token", None, None),
        Caller("empty bearer", "Bearer", None),
        Caller("basic scheme", "Basic bWF0cml4OnNlY3JldA==", None),
        Caller("not a jwt", "Bearer not-a-token", None),
        Caller(
            "forged",
            _jwt(settings, ["admin"], secret="another-key-that-is-long-enough-to-sign-with"),
            None,
        ),
        Caller("other audience", _jwt(settings, ["admin"], audience="someone-else"), None),
        Caller("expired", _jwt(settings, ["admin"], now=expired, ttl_seconds=60), None),
    ]
    signed_in = [
        Caller(f"role {role}", _jwt(settings, [role]), frozenset({role})) for role in sorted(roles)
    ]
    signed_in.append(Caller("no roles", _jwt(settings, []), frozenset()))
    signed_in.append(Caller("demo token", f"Bearer {DEVELOPMENT_DEMO_TOKEN}", DEMO_ROLES))
    return invalid + signed_in


def expected_status(policy: AccessPolicy, caller: Caller) -> int | None:
    """401 or 403 when the caller must be refused; None when it must be let through."""
    if policy.admits(caller.roles):
        return None
    return 401 if caller.roles is None else 403


# ---- driving the ASGI app --------------------------------------------------------------


class _ResponseStarted(BaseException):
    """Raised from `send` once the status is known: ends the call without reading a body.
    A BaseException, so the app's error handlers do not log it as a failure of the route."""


def placeholder_path(entry: RouteAccess) -> str:
    """The route's path with each parameter filled with a value of its declared type."""
    values: dict[str, str] = {}
    for field in entry.dependant.path_params if entry.dependant else []:
        annotation = field.field_info.annotation
        if annotation is int:
            values[field.name] = "1"
        elif annotation is float:
            values[field.name] = "1.5"
        elif annotation is uuid.UUID:
            values[field.name] = str(uuid.UUID(int=1))
        else:
            values[field.name] = "placeholder"
    return entry.path.format(**values)


_LYCEUM_SOURCE = str(Path(lyceum.__file__).parent)


def _is_ours(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_LYCEUM_SOURCE)


async def status_of(app: FastAPI, method: str, path: str, authorization: str | None) -> int:
    headers = [(b"host", b"test")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    status: list[int] = []
    body_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # Nothing more to read: a route waiting for more waits until it answers.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))
            raise _ResponseStarted

    before = asyncio.all_tasks()
    try:
        await app(scope, receive, send)
    except* _ResponseStarted:
        pass
    # Work our code started during the call finishes here, inside the test's
    # transaction, rather than racing the next call on the same connection. (Libraries'
    # own long-lived tasks, such as sse-starlette's shutdown watcher, are left alone.)
    started = [
        task
        for task in asyncio.all_tasks() - before
        if task is not asyncio.current_task() and _is_ours(task)
    ]
    if started:
        done, pending = await asyncio.wait(started, timeout=120)
        assert not pending, f"{method} {path} left background work running: {pending}"
        for task in done:
            task.result()
    assert status, f"{method} {path} ended without answering"
    return status[0]


async def matrix_failures(
    app: FastAPI, method: str, entry: RouteAccess, everyone: list[Caller]
) -> list[str]:
    assert entry.policy is not None, f"{method} {entry.path}: {entry.problem}"
    path = placeholder_path(entry)
    failures = []
    for caller in everyone:
        status = await status_of(app, method, path, caller.authorization)
        expected = expected_status(entry.policy, caller)
        if expected is None and status in (401, 403):
            failures.append(f"{caller.name}: refused with {status}, but the policy admits it")
        elif expected is not None and status != expected:
            failures.append(f"{caller.name}: {status}, expected {expected}")
    return failures


# ---- the tests ---------------------------------------------------------------------------


def test_every_route_declares_a_policy() -> None:
    app = create_app(load_settings())
    missing = [f"{e.methods} {e.path}: {e.problem}" for e in undeclared_routes(app)]
    assert not missing, "routes without an access policy:\n" + "\n".join(missing)
    # The table is the whole app: every app's API, the platform routes and the docs.
    paths = {entry.path for entry in route_access(app)}
    assert {"/health", "/api/auth/login", "/openapi.json", "/docs", "/redoc"} <= paths
    for name, spec in APPS.items():
        if spec.router is not None:
            assert any(p.startswith(f"/api/{name}/") for p in paths), name
        if spec.pages is not None:
            assert any(p.startswith(f"/{name}") for p in paths), name


def test_the_open_routes_are_exactly_the_declared_ones() -> None:
    open_routes = {key for key, entry in ROUTES.items() if entry.policy == PUBLIC}
    assert open_routes == {
        "GET /health",
        "POST /api/auth/login",
        "GET /openapi.json",
        "GET /docs",
        "GET /redoc",
        "GET /static/docs",
        # The page shell: the sign-in form, and the shell's, the apps' and plotly's assets.
        "GET /sign-in",
        "POST /sign-in",
        "GET /static/app/{app}/{name}",
        "GET /static/lyceum/{name}",
        "GET /static/vendor/{name}",
        # Mathvidya: signing up, asking for and using a password-reset link (a person with
        # no account, or none they can open), their pages, and the payment provider's webhook
        # (authenticated by its HMAC signature instead of a token).
        "POST /api/mathvidya/accounts/students",
        "POST /api/mathvidya/accounts/parents",
        "POST /api/mathvidya/accounts/password-reset",
        "POST /api/mathvidya/accounts/password-reset/confirm",
        "GET /mathvidya/sign-up",
        "GET /mathvidya/reset-password",
        "POST /api/mathvidya/payments/webhook",
        # An answer-sheet file through its signed, expiring link (the link's HMAC is the
        # authorization; no token is read).
        "GET /api/mathvidya/files/{token}",
    }


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_authorization_matrix(
    route: str, app: FastAPI, db_connection: AsyncConnection
) -> None:
    method = route.partition(" ")[0]
    table = _route_table(app)
    assert route in table, f"{route} is not in the started app"
    everyone = callers(app.state.settings, known_roles(list(table.values())))
    failures = await matrix_failures(app, method, table[route], everyone)
    assert not failures, f"{route} ({table[route].policy}):\n" + "\n".join(failures)


async def test_the_matrix_covers_page_routes() -> None:
    """A page set (AppSpec.pages) is walked and driven like the API: the throw-away app's
    public page and its signed-in API route, each against every caller."""
    app = create_app(load_settings(), apps=[throwaway.app_spec])
    table = _route_table(app)
    assert table["GET /throwaway/"].policy == PUBLIC
    assert table["GET /api/throwaway/hello"].policy == SIGNED_IN
    everyone = callers(app.state.settings, known_roles(list(table.values())))
    # No lifespan: neither route touches the database, and authorization reads only the
    # settings create_app() put on app.state.
    for key in ("GET /throwaway/", "GET /api/throwaway/hello"):
        assert not await matrix_failures(app, "GET", table[key], everyone), key


async def test_the_matrix_catches_a_guard_that_does_not_guard() -> None:
    """The matrix tests behaviour, not only declarations: a route claiming a role it does
    not check (and one refusing a role it admits) is caught."""
    from lyceum.core.access import declare_access

    @declare_access(AccessPolicy.any_of("admin"))
    async def claims_admin_but_lets_anyone_in(
        who: Annotated[Principal, Depends(get_principal)],
    ) -> Principal:
        return who

    app = create_app(load_settings(), apps=[])

    @app.get("/lax", dependencies=[Depends(claims_admin_but_lets_anyone_in)])
    async def lax() -> dict[str, str]:
        return {}

    @app.get("/strict", dependencies=[Depends(require_roles("admin"))])
    async def strict() -> dict[str, str]:
        return {}

    table = _route_table(app)
    everyone = callers(app.state.settings, frozenset(OPERATOR_ROLES))
    lax_failures = await matrix_failures(app, "GET", table["GET /lax"], everyone)
    assert "role viewer: 200, expected 403" in lax_failures
    strict_entry = table["GET /strict"]
    # As if the declaration said more than the guard lets through.
    wrong = RouteAccess(
        strict_entry.path,
        strict_entry.methods,
        strict_entry.name,
        strict_entry.route,
        AccessPolicy.any_of("admin", "viewer"),
        dependant=strict_entry.dependant,
    )
    strict_failures = await matrix_failures(app, "GET", wrong, everyone)
    assert "role viewer: refused with 403, but the policy admits it" in strict_failures


def test_a_new_app_with_an_unguarded_route_is_rejected() -> None:
    """A future app registered like the others: its unguarded route is in the table and
    reported, while its guarded one passes."""
    from fastapi import APIRouter

    def router() -> APIRouter:
        api = APIRouter()

        @api.get("/open-by-accident")
        async def open_by_accident() -> dict[str, str]:
            return {}

        @api.get("/guarded")
        async def guarded(_: Annotated[Principal, Depends(get_principal)]) -> dict[str, str]:
            return {}

        return api

    future = AppSpec(name="future", title="Future", description="not yet", router=router)
    app = create_app(load_settings(), apps=[*APPS.values(), future])
    assert [entry.path for entry in undeclared_routes(app)] == ["/api/future/open-by-accident"]


def test_a_route_without_a_policy_is_rejected() -> None:
    """The rule that keeps the matrix complete: an unguarded route, wherever it is mounted,
    is reported with what to do about it."""
    app = create_app(load_settings())
    assert not undeclared_routes(app)

    @app.get("/api/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    from fastapi import APIRouter

    pages = APIRouter()

    @pages.get("/")
    async def unguarded_page() -> str:
        return "<h1>hello</h1>"

    app.include_router(pages, prefix="/somewhere", include_in_schema=False)

    async def plain(_request: object) -> PlainTextResponse:
        return PlainTextResponse("hi")

    app.router.routes.append(Route("/plain", plain))
    app.router.routes.append(Mount("/files", app=PlainTextResponse("static")))

    guarded_and_open = APIRouter(dependencies=[Depends(public)])

    @guarded_and_open.get("/both")
    async def both(_: Annotated[Principal, Depends(get_principal)]) -> dict[str, str]:
        return {}

    app.include_router(guarded_and_open, prefix="/api/confused")

    problems = {entry.path: entry.problem or "" for entry in undeclared_routes(app)}
    assert set(problems) == {
        "/api/forgotten",
        "/somewhere/",
        "/plain",
        "/files",
        "/api/confused/both",
    }
    assert "Depends(public)" in problems["/api/forgotten"]
    assert "not a FastAPI route" in problems["/plain"]
    assert "public and also guarded" in problems["/api/confused/both"]


def test_the_openapi_document_states_each_policy() -> None:
    app = create_app(load_settings())
    document = app.openapi()
    for key, entry in ROUTES.items():
        method, _, path = key.partition(" ")
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            # Not operations: the documentation, and the pages and their assets (for
            # browsers, left out of the API document on purpose).
            documentation = {"/openapi.json", "/docs", "/redoc", "/static/docs"}
            assert path in documentation or not entry.route.include_in_schema, key
            continue
        assert entry.policy is not None
        assert operation[OPENAPI_EXTENSION]["policy"] == entry.policy.kind, key
        needs_token = entry.policy != PUBLIC
        assert (operation.get("security") == [{"bearer": []}]) is needs_token, key
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
