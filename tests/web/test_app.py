"""The app factory: lifespan, health, the one error shape, operation ids, app mounting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lyceum.core.appspec import AppSpec
from lyceum.core.cache import Cache
from lyceum.core.settings import Settings, load_settings
from lyceum.web.app import create_app, operation_id
from lyceum.web.auth_routes import DbSession
from lyceum.web.errors import INTERNAL_ERROR_MESSAGE

SECRET_IN_EXCEPTION = "s3cr3t-connection-string"


def assert_error_shape(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


# ---- lifespan and health ---------------------------------------------------------------


async def test_lifespan_builds_engine_and_cache(app: FastAPI) -> None:
    assert isinstance(app.state.settings, Settings)
    assert isinstance(app.state.engine, AsyncEngine)
    assert isinstance(app.state.cache, Cache)


async def test_create_app_builds_nothing_before_startup() -> None:
    # No lifespan run: no engine, no cache yet (engines are built at startup only).
    app = create_app(Settings(_env_file=None))
    assert not hasattr(app.state, "engine")
    assert not hasattr(app.state, "cache")


async def test_health_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["cache"] == {"ok": True, "backend": "redis"}
    assert body["version"]


async def test_health_degraded_is_503_with_the_same_shape(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down() -> bool:
        return False

    monkeypatch.setattr(app.state.cache, "ping", down)
    response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["cache"]["ok"] is False
    assert body["database"]["ok"] is True


async def test_health_needs_no_auth_and_cache_falls_back_to_memory(
    engine: AsyncEngine,
) -> None:
    app = create_app(load_settings(redis_url=None, nerdboard_simulation_worker=False))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["cache"] == {"ok": True, "backend": "memory"}


# ---- one error shape ----------------------------------------------------------------


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    error = assert_error_shape(await client.get("/api/nope"), 404, "not_found")
    assert "/api/nope" in error["message"]


async def test_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/login")
    error = assert_error_shape(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]
    assert "POST" in error["message"]


async def test_invalid_email_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": "not-an-email", "password": "hunter2-hunter2"}
    )
    error = assert_error_shape(response, 422, "validation_error")
    assert error["message"].startswith("body.email: value is not a valid email address")
    assert error["details"] == [
        {"loc": ["body", "email"], "msg": error["details"][0]["msg"], "type": "value_error"}
    ]
    # The submitted values (a password, possibly) are never echoed back.
    assert "hunter2" not in response.text
    assert "not-an-email" not in response.text


async def test_extra_field_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        json={"email": "a@example.org", "password": "long enough password", "admin": True},
    )
    error = assert_error_shape(response, 422, "validation_error")
    assert error["details"] == [
        {
            "loc": ["body", "admin"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        }
    ]
    assert error["message"] == "body.admin: Extra inputs are not permitted"


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    error = assert_error_shape(response, 422, "validation_error")
    assert error["details"][0]["type"] == "json_invalid"


async def test_missing_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/me")
    assert_error_shape(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_unhandled_error_is_500_without_traceback(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom() -> None:
        raise RuntimeError(SECRET_IN_EXCEPTION)

    app.add_api_route("/boom", boom, tags=["test"])
    response = await client.get("/boom")
    error = assert_error_shape(response, 500, "internal_error")
    assert error["message"] == INTERNAL_ERROR_MESSAGE
    incident = error["details"]["incident_id"]
    for leak in ("Traceback", "RuntimeError", SECRET_IN_EXCEPTION, "boom", 'File "'):
        assert leak not in response.text
    # The server side has it all, tied to the incident id the client saw.
    logged = [r for r in caplog.records if r.name == "lyceum.web.errors"]
    assert logged and incident in logged[0].getMessage()
    assert logged[0].exc_info is not None


async def test_500_keeps_cors_headers_for_the_frontend(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom, tags=["test"])
    origin = app.state.settings.cors_origins[0]
    response = await client.get("/boom", headers={"Origin": origin})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == origin
    other = await client.get("/boom", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_cors_preflight(app: FastAPI, client: httpx.AsyncClient) -> None:
    origin = app.state.settings.cors_origins[0]
    response = await client.options(
        "/api/auth/login",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin


async def test_database_errors_map_to_conflict_and_invalid_input(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def duplicate(db: DbSession) -> None:
        await db.execute(
            text(
                "INSERT INTO lyceum.operators (email, display_name, password_hash) VALUES "
                "('twin@example.org', 'A', 'x'), ('twin@example.org', 'B', 'x')"
            )
        )

    async def upper_case(db: DbSession) -> None:
        await db.execute(
            text(
                "INSERT INTO lyceum.operators (email, display_name, password_hash) "
                "VALUES ('Upper@example.org', 'U', 'x')"
            )
        )

    async def bad_cast(db: DbSession) -> None:
        await db.execute(text("SELECT 'abc'::int"))

    app.add_api_route("/dup", duplicate, methods=["POST"], tags=["test"])
    app.add_api_route("/upper", upper_case, methods=["POST"], tags=["test"])
    app.add_api_route("/cast", bad_cast, methods=["POST"], tags=["test"])

    conflict = assert_error_shape(await client.post("/dup"), 409, "conflict")
    assert conflict["details"] == {"constraint": "uq_operators_email"}
    # The database's own message quotes the values; it must not reach the client.
    assert "twin@example.org" not in conflict["message"]

    check = assert_error_shape(await client.post("/upper"), 422, "invalid_input")
    assert check["details"] == {"constraint": "ck_operators_email_lowercase"}
    assert_error_shape(await client.post("/cast"), 422, "invalid_input")

    # Each failed request rolled back only its own savepoint; the app still works.
    assert (await client.get("/health")).status_code == 200


# ---- OpenAPI and mounting ---------------------------------------------------------------


def fake_spec(name: str = "fakeapp") -> AppSpec:
    def build_router() -> APIRouter:
        router = APIRouter()

        @router.get("/ping")
        async def ping() -> dict[str, str]:
            return {"app": name}

        @router.get("/items/{item_id}")
        async def get_item(item_id: int) -> dict[str, int]:
            return {"item_id": item_id}

        return router

    return AppSpec(name=name, title="Fake", description="a test app", router=build_router)


@pytest.fixture
async def fake_client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(_env_file=None), apps=[fake_spec(), AppSpec("norouter", "N", "n")])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_app_router_is_mounted_under_its_name(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.get("/api/fakeapp/ping")
    assert response.status_code == 200
    assert response.json() == {"app": "fakeapp"}
    assert (await fake_client.get("/api/norouter/ping")).status_code == 404


async def test_mounted_app_errors_use_the_shape(fake_client: httpx.AsyncClient) -> None:
    response = await fake_client.get("/api/fakeapp/items/not-a-number")
    error = assert_error_shape(response, 422, "validation_error")
    assert error["message"].startswith("path.item_id: ")


async def test_operation_ids_are_tag_dash_name(fake_client: httpx.AsyncClient) -> None:
    schema = (await fake_client.get("/openapi.json")).json()
    ids = {
        path: operation["operationId"]
        for path, operations in schema["paths"].items()
        for operation in operations.values()
    }
    assert ids == {
        "/health": "health-health",
        "/api/auth/login": "auth-login",
        "/api/auth/me": "auth-me",
        "/api/fakeapp/ping": "fakeapp-ping",
        "/api/fakeapp/items/{item_id}": "fakeapp-get_item",
    }
    assert schema["paths"]["/api/fakeapp/ping"]["get"]["tags"] == ["fakeapp"]
    # Errors are documented with the one shape, not FastAPI's default 422 body.
    responses = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "422" not in responses
    assert responses["4XX"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }


def test_every_route_of_the_real_app_follows_the_rule() -> None:
    app = create_app(Settings(_env_file=None))
    schema = app.openapi()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods or ():
                operation = schema["paths"][route.path_format][method.lower()]
                assert operation["operationId"] == f"{route.tags[0]}-{route.name}"


def test_operation_id_without_tags_falls_back_to_name() -> None:
    app = FastAPI()

    @app.get("/x")
    async def untagged() -> None:
        return None

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    assert operation_id(route) == "untagged"
