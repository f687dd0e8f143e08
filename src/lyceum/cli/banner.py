"""What `lyceum up` prints once the platform is ready: only links that answer.

The web pages (the home page, each app's first page), the docs, health, and each app's GET
endpoints that take no path parameter (a 404 never
appears here: the list is read off the routers the server mounts), the operator login, and
the demo bearer token in development, and in development the demo accounts of apps with
accounts of their own (Mathvidya's student, parent, teacher and admin; same password).
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.routing import APIRoute, iter_route_contexts

from lyceum.core.appspec import AppSpec
from lyceum.core.settings import Settings


def app_endpoints(spec: AppSpec) -> list[str]:
    """The app's GET routes without path parameters, as mounted (`/api/<name>/…`)."""
    if spec.router is None:
        return []
    # FastAPI keeps included routers as a tree (an app's API assembles one per area):
    # iter_route_contexts gives each route with its full path.
    found = []
    for context in iter_route_contexts(spec.router().routes):
        route = context.original_route
        path = str(context.path_format or context.path or "")
        if (
            isinstance(route, APIRoute)
            and route.include_in_schema
            and "GET" in (route.methods or ())
            and "{" not in path
        ):
            found.append(f"/api/{spec.name}{path}")
    return found


def banner_lines(
    base: str,
    settings: Settings,
    apps: Iterable[AppSpec],
    credentials: tuple[str, str] | None,
) -> list[str]:
    apps = tuple(apps)
    lines = [f"Open in a browser: {base}/  (sign in with the operator login below)"]
    lines.extend(f"  {spec.title}: {base}/{spec.name}/" for spec in apps if spec.pages and spec.nav)
    lines += [f"API docs:  {base}/docs  (reference: {base}/redoc)", f"Health:    {base}/health"]
    token = settings.effective_demo_token
    for spec in apps:
        endpoints = app_endpoints(spec)
        if not endpoints:
            continue
        lines.append(f"{spec.title} (bearer token required):")
        lines.extend(f"  {base}{path}" for path in endpoints)
    if credentials:
        lines.append(
            f"Operator login: {credentials[0]} / {credentials[1]}  (POST {base}/api/auth/login)"
        )
        for spec in apps:
            if spec.demo_accounts:
                accounts = ", ".join(spec.demo_accounts)
                lines.append(f"{spec.title} logins: {accounts} / {credentials[1]}")
    if token:
        lines.append(f"Demo bearer token (development only): {token}")
        lines.append(f'  e.g. curl -H "Authorization: Bearer {token}" {base}/api/auth/me')
    return lines


__all__ = ["app_endpoints", "banner_lines"]
