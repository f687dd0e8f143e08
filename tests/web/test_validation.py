"""The API refuses what its OpenAPI document does not admit, for every route.

- a single-valued query parameter given twice is a 422 naming it (list-valued ones repeat);
- integer and number query parameters take the JSON syntax only (`0.0`, `null`, `nan` and
  `1_0` are refused), while still arriving as text;
- every JSON request body is strict: `true` or `"100"` is not the integer 100 (a whole-number
  float is, as JSON Schema's `integer` says);
- documented enumerations and formats (subjects, the login e-mail) are in the document.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

import httpx
import pytest
from fastapi import FastAPI, Query
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel

from lyceum.core.query import QueryParams
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, load_settings
from lyceum.nerdboard.forecasting.staffing import MIN_TARGET_UTILIZATION
from lyceum.nerdboard.marketplace.catalog import SUBJECT_NAMES
from lyceum.web.app import create_app
from tests.fixtures.app import asgi_client

DEMO = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
API = "/api/nerdboard"


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == "validation_error"
    return error


# ---- repeated parameters -----------------------------------------------------------------


async def test_the_probe_from_the_issue_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        f"{API}/quality", params=[("history", "null"), ("history", "0.0")], headers=DEMO
    )
    error = _error(response)
    assert error["message"].startswith("query.history: given 2 times")
    assert error["details"] == [
        {
            "loc": ["query", "history"],
            "msg": "given 2 times, but it takes one value",
            "type": "repeated_parameter",
        }
    ]


def _single_valued_query_parameters(app: FastAPI) -> list[tuple[str, str, str, str]]:
    """(method, path, name, a valid value) for every scalar query parameter in the document."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["in"] != "query" or schema.get("type") == "array":
                    continue
                choices = schema.get("enum") or next(
                    (option["enum"] for option in schema.get("anyOf", []) if "enum" in option),
                    None,
                )
                value = schema.get("default", choices[0] if choices else "1")
                found.append((method.upper(), path, parameter["name"], str(value)))
    return found


async def test_every_single_valued_query_parameter_given_twice_is_422(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    parameters = _single_valued_query_parameters(app)
    assert len(parameters) >= 10  # the check below ran over the real routes
    for method, path, name, value in parameters:
        response = await client.request(
            method, path, params=[(name, value), (name, value)], headers=DEMO
        )
        error = _error(response)
        assert error["details"][0]["loc"] == ["query", name], (path, name)
        assert name in error["message"]


async def test_a_parameter_given_once_is_still_served(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/quality", params={"history": "0"}, headers=DEMO)
    assert response.status_code == 200, response.text
    assert response.json()["history"] == []


class _Filters(QueryParams):
    tags: list[str] = []
    limit: int = 5


def _throwaway_app() -> FastAPI:
    app = create_app(load_settings(), apps=())

    @app.get("/plain")
    async def plain(tag: Annotated[list[str], Query()] = [], n: int = 1) -> dict[str, Any]:  # noqa: B006
        return {"tag": tag, "n": n}

    @app.get("/model")
    async def model(filters: Annotated[_Filters, Query()]) -> dict[str, Any]:
        return filters.model_dump()

    return app


async def test_list_valued_parameters_may_repeat_and_the_rest_may_not() -> None:
    async with asgi_client(_throwaway_app()) as http:
        plain = await http.get("/plain", params=[("tag", "a"), ("tag", "b"), ("n", "2")])
        model = await http.get("/model", params=[("tags", "a"), ("tags", "b"), ("limit", "2")])
        plain_twice = await http.get("/plain", params=[("n", "1"), ("n", "2")])
        model_twice = await http.get("/model", params=[("limit", "1"), ("limit", "1")])
    assert plain.json() == {"tag": ["a", "b"], "n": 2}
    assert model.json() == {"tags": ["a", "b"], "limit": 2}
    assert _error(plain_twice)["details"][0]["loc"] == ["query", "n"]
    assert _error(model_twice)["details"][0]["loc"] == ["query", "limit"]


# ---- numbers in query strings ------------------------------------------------------------


@pytest.mark.parametrize("value", ["null", "0.0", "5.5", "1e2", "1_0", " 5", "+5", "five", ""])
async def test_an_integer_parameter_takes_whole_numbers_only(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get(f"{API}/quality", params={"history": value}, headers=DEMO)
    error = _error(response)
    assert error["details"][0]["loc"] == ["query", "history"]
    assert "history" in error["message"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1_0", "0x1", " 0.5", ".5", "0.5e"])
async def test_a_number_parameter_takes_the_json_syntax_only(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get(
        f"{API}/overview", params={"target_utilization": value}, headers=DEMO
    )
    assert _error(response)["details"][0]["loc"] == ["query", "target_utilization"]


@pytest.mark.parametrize("value", ["0.5", "5e-1", "1", "0.05"])
async def test_numbers_written_as_json_still_parse_from_text(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get(
        f"{API}/overview", params={"target_utilization": value}, headers=DEMO
    )
    assert response.status_code == 200, response.text
    assert response.json()["target_utilization"] == float(value)


@pytest.mark.parametrize("value", ["1e-320", "5e-324", "0", "0.049"])
async def test_target_utilization_below_its_documented_minimum_is_422(
    app: FastAPI, client: httpx.AsyncClient, value: str
) -> None:
    for path in ("/overview", "/forecast"):
        operation = app.openapi()["paths"][f"{API}{path}"]["get"]
        (schema,) = (
            p["schema"] for p in operation["parameters"] if p["name"] == "target_utilization"
        )
        assert schema["minimum"] == MIN_TARGET_UTILIZATION
        response = await client.get(
            f"{API}{path}", params={"target_utilization": value}, headers=DEMO
        )
        error = _error(response)
        assert error["details"][0]["loc"] == ["query", "target_utilization"]
        assert str(MIN_TARGET_UTILIZATION) in error["message"]


# ---- request bodies -----------------------------------------------------------------------


def _body_models(route: RouteContext) -> list[type[BaseModel]]:
    """The models a route's body may be: one, or each member of a union (a body chosen by a
    field's value, such as TutorMax's sessions by their status)."""
    body_field = getattr(route, "body_field", None)
    if body_field is None:
        return []
    annotation = body_field.field_info.annotation
    members = [annotation]
    while any(get_origin(m) in (Union, types.UnionType, Annotated) for m in members):
        members = [
            inner
            for m in members
            for inner in (
                get_args(m)[:1]
                if get_origin(m) is Annotated
                else get_args(m)
                if get_origin(m) in (Union, types.UnionType)
                else (m,)
            )
            if inner is not type(None)
        ]
    for model in members:
        assert isinstance(model, type) and issubclass(model, BaseModel), route.path
    return members


def test_every_json_request_body_is_strict(app: FastAPI) -> None:
    bodies = {
        f"{route.path} ({model.__name__})": model
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        for model in _body_models(route)
    }
    assert {
        "/api/auth/login (LoginRequest)",
        f"{API}/simulation/speed (SpeedChange)",
        "/api/tutormax/ingest/session (CompletedSessionIn)",
    } <= set(bodies)
    for path, model in bodies.items():
        assert model.model_config.get("strict") is True, path
        assert model.model_config.get("extra") == "forbid", path


@pytest.mark.parametrize("speed", [True, "100", "100.0", 100.5, None])
async def test_speed_takes_an_integer_and_nothing_that_looks_like_one(
    client: httpx.AsyncClient, speed: object
) -> None:
    response = await client.put(
        f"{API}/simulation/speed", json={"speed_multiplier": speed}, headers=DEMO
    )
    assert _error(response)["details"][0]["loc"] == ["body", "speed_multiplier"]


async def test_an_integer_speed_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.put(
        f"{API}/simulation/speed", json={"speed_multiplier": 100}, headers=DEMO
    )
    assert response.status_code == 200, response.text
    assert response.json()["speed_multiplier"] == 100
    # JSON Schema's `integer` admits 120.0 (JSON has one number type): it is the integer 120.
    whole = await client.put(
        f"{API}/simulation/speed", json={"speed_multiplier": 120.0}, headers=DEMO
    )
    assert whole.status_code == 200, whole.text
    assert whole.json()["speed_multiplier"] == 120
    start = await client.post(
        f"{API}/simulation/start", json={"speed_multiplier": "100"}, headers=DEMO
    )
    assert _error(start)["details"][0]["loc"] == ["body", "speed_multiplier"]


@pytest.mark.parametrize(
    "body",
    [{"email": 5, "password": "a password"}, {"email": "a@example.org", "password": 12345678}],
)
async def test_login_fields_are_strings(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/api/auth/login", json=body)
    assert _error(response)["details"][0]["loc"][0] == "body"


# ---- what the document says --------------------------------------------------------------


def test_the_login_email_is_documented_as_an_email(app: FastAPI) -> None:
    schema = app.openapi()["components"]["schemas"]["LoginRequest"]
    assert schema["properties"]["email"]["format"] == "email"


async def test_subjects_are_the_catalog_in_the_document_and_in_validation(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    for path in ("/capacity", "/forecast"):
        operation = app.openapi()["paths"][f"{API}{path}"]["get"]
        (schema,) = (p["schema"] for p in operation["parameters"] if p["name"] == "subject")
        (listed,) = (option["enum"] for option in schema["anyOf"] if "enum" in option)
        assert listed == list(SUBJECT_NAMES)
    refused = _error(await client.get(f"{API}/capacity?subject=Astrology", headers=DEMO))
    assert "Physics" in refused["message"] and "subject" in refused["message"]
    # Every documented subject passes, with or without data for it yet.
    for subject in SUBJECT_NAMES:
        response = await client.get(f"{API}/capacity", params={"subject": subject}, headers=DEMO)
        assert response.status_code == 200, (subject, response.text)
