"""Every route's access policy, read from the route table.

A route's policy is what the dependencies in its dependency tree declare
(`lyceum.core.access`): `get_principal` → signed in, `require_roles(...)` → those roles,
`Depends(public)` → open. Several guards combine (a caller must satisfy each). A route
whose tree declares nothing has *no* policy, which `undeclared_routes` reports: the
authorization matrix (tests/web/test_authorization.py) fails on it, so a new route cannot
be added without saying who may call it.

The documentation (the OpenAPI document, /docs, /redoc and their assets) is public by the
explicit list in `framework_public_paths`: it describes the API and holds no data. Routes
that are not FastAPI routes have no dependency tree to read: anything else mounted on the
app (a static directory, a sub-application) is reported until it is put on that list on
purpose or served through an APIRouter with a policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute, Mount

from lyceum.core.access import PUBLIC, AccessPolicy, ConflictingAccessPolicy, declared_access
from lyceum.web.docs import DOCS_ASSETS_PATH, DOCS_URL, REDOC_URL

# The OpenAPI extension carrying each operation's policy, for people and generated clients.
OPENAPI_EXTENSION = "x-access"


@dataclass(frozen=True)
class RouteAccess:
    """One route of the table with the policy its dependencies declare (None: none), or
    why it has none."""

    path: str
    methods: tuple[str, ...]
    name: str
    route: BaseRoute
    policy: AccessPolicy | None
    problem: str | None = None
    # The route's dependency tree as served (FastAPI routes only): its path parameters
    # tell a caller what to put in the path.
    dependant: Dependant | None = None


def framework_public_paths(app: FastAPI) -> frozenset[str]:
    """The documentation, public by decision: the OpenAPI document, its two readers
    (Swagger UI at /docs, ReDoc at /redoc, served by `lyceum.web.docs`) and their assets
    (/static/docs). They describe what the API accepts and hold no data, so every client
    and person may read them. FastAPI's own documentation routes count too when enabled."""
    paths = {app.openapi_url, app.docs_url, app.redoc_url, DOCS_URL, REDOC_URL, DOCS_ASSETS_PATH}
    if app.docs_url and app.swagger_ui_oauth2_redirect_url:
        paths.add(app.swagger_ui_oauth2_redirect_url)
    return frozenset(path for path in paths if path)


def dependant_policy(dependant: Dependant) -> AccessPolicy | None:
    """The combined policy of everything `dependant` depends on, itself included."""
    policy = declared_access(dependant.call) if dependant.call is not None else None
    for sub in dependant.dependencies:
        found = dependant_policy(sub)
        if found is not None:
            policy = found if policy is None else policy.combine(found)
    return policy


def _methods(route: RouteContext) -> tuple[str, ...]:
    methods = route.methods or set()
    # Starlette adds HEAD beside every GET; it runs the same endpoint.
    return tuple(sorted(m for m in methods if m != "HEAD" or "GET" not in methods))


def _walk(routes: list[BaseRoute], prefix: str, public: frozenset[str]) -> Iterator[RouteAccess]:
    # FastAPI >= 0.137 keeps included routers as a tree; iter_route_contexts gives each
    # route as it is served (full path, the including routers' dependencies added).
    for context in iter_route_contexts(routes):
        route = context.original_route
        # A mount is named by where it is mounted, not by its catch-all `{path}` pattern.
        own = route.path if isinstance(route, Mount) else context.path_format or context.path
        path = prefix + str(own or "")
        name = str(context.name or type(route).__name__)
        methods = _methods(context)
        dependant = context.dependant if isinstance(route, APIRoute | APIWebSocketRoute) else None
        if path in public:
            # A mounted directory answers GET (and HEAD) for the files below it.
            yield RouteAccess(path, methods or ("GET",), name, route, PUBLIC, None, dependant)
        elif dependant is not None:
            try:
                policy = dependant_policy(dependant)
            except ConflictingAccessPolicy as exc:
                yield RouteAccess(path, methods, name, route, None, str(exc), dependant)
                continue
            problem = (
                None
                if policy is not None
                else "no access policy: depend on get_principal, require_roles(...) or,"
                " for an open route, add dependencies=[Depends(public)]"
            )
            yield RouteAccess(path, methods, name, route, policy, problem, dependant)
        elif isinstance(route, Mount) and route.routes:
            yield from _walk(list(route.routes), path, public)
        else:
            yield RouteAccess(
                path,
                methods,
                name,
                route,
                None,
                f"a {type(route).__name__} is not a FastAPI route, so no policy can be read"
                " from it: mount an APIRouter, or list it in framework_public_paths on purpose",
            )


def route_access(app: FastAPI) -> list[RouteAccess]:
    """Every route of `app`, API, pages and framework routes alike, with its policy."""
    return list(_walk(list(app.routes), "", framework_public_paths(app)))


def undeclared_routes(app: FastAPI) -> list[RouteAccess]:
    """The routes without a policy (each with the reason)."""
    return [entry for entry in route_access(app) if entry.policy is None]


def policy_document(policy: AccessPolicy) -> dict[str, Any]:
    """How a policy reads in the OpenAPI document."""
    document: dict[str, Any] = {"policy": policy.kind, "description": policy.describe()}
    if policy.clauses:
        document["roles"] = [sorted(clause) for clause in policy.clauses]
    return document


def document_access(app: FastAPI) -> None:
    """Put each operation's policy in the OpenAPI document under `x-access` (the roles a
    caller needs, or that it is public); `security` already says which operations need a
    token. Done on the generated document, once, so it always matches the route table."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        annotate = app.openapi_schema is None
        document = generate()
        if annotate:
            paths: dict[str, Any] = document.get("paths", {})
            for entry in route_access(app):
                operations = paths.get(entry.path, {})
                for method in entry.methods:
                    operation = operations.get(method.lower())
                    if operation is not None and entry.policy is not None:
                        operation[OPENAPI_EXTENSION] = policy_document(entry.policy)
        return document

    # FastAPI's documented way to change the generated document is to replace this method.
    app.openapi = openapi  # type: ignore[method-assign]


__all__ = [
    "OPENAPI_EXTENSION",
    "RouteAccess",
    "dependant_policy",
    "document_access",
    "framework_public_paths",
    "policy_document",
    "route_access",
    "undeclared_routes",
]
