"""The page shell's templates: Jinja2, one environment for the shell and every app.

The shell's own templates (`base.html`, the sign-in, home and error pages) are in
`web/templates/`; each app's are in `<app>/templates/<app>/` and extend `base.html`.
`render_page` is what `lyceum.core.pages.render` calls (through `app.state`, so apps never
import the web edge): it adds what every page needs — the person, their CSRF token, the
navigation, the asset URLs — to the app's own context. Autoescaping is on for every template.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from lyceum.core.appspec import AppSpec, NavLink
from lyceum.core.auth import request_settings
from lyceum.core.sessions import SESSION_COOKIE, read_session
from lyceum.web.assets import asset_url

SHELL_TEMPLATES = Path(__file__).parent / "templates"
# Pages load only our own scripts; styles may be inline because plotly.js writes style
# attributes on the SVG it draws; images may be data: URLs (plotly's download button).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)


@dataclass(frozen=True)
class NavGroup:
    """One app in the navigation: its title and its pages (full paths)."""

    name: str
    title: str
    links: tuple[NavLink, ...]


def app_template_dirs(specs: Iterable[AppSpec]) -> list[Path]:
    """`<app>/templates` of every app that has one."""
    found: list[Path] = []
    for spec in specs:
        module = find_spec(f"lyceum.{spec.name}")
        locations = list(module.submodule_search_locations or []) if module else []
        found.extend(Path(p) / "templates" for p in locations if (Path(p) / "templates").is_dir())
    return found


def navigation(specs: Iterable[AppSpec]) -> tuple[NavGroup, ...]:
    return tuple(
        NavGroup(
            spec.name,
            spec.title,
            tuple(NavLink(link.label, f"/{spec.name}{link.path}", link.roles) for link in spec.nav),
        )
        for spec in specs
        if spec.pages is not None and spec.nav
    )


def build_templates(specs: Iterable[AppSpec]) -> Jinja2Templates:
    specs = tuple(specs)
    loader = ChoiceLoader(
        [FileSystemLoader(str(SHELL_TEMPLATES)), *map(FileSystemLoader, app_template_dirs(specs))]
    )
    environment = Environment(
        loader=loader, autoescape=select_autoescape(default=True), auto_reload=False
    )
    environment.globals["asset_url"] = asset_url
    environment.globals["navigation"] = navigation(specs)
    environment.globals["apps"] = specs
    return Jinja2Templates(env=environment)


class PageRenderer:
    """Renders a page on the shell; put on `app.state.render_page` by `create_app`."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates

    def __call__(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        status_code: int = 200,
    ) -> HTMLResponse:
        session = getattr(request.state, "page_session", None) or read_session(
            request.cookies.get(SESSION_COOKIE), request_settings(request)
        )
        shared: dict[str, Any] = {
            "person": session.principal if session else None,
            "person_name": session.display_name if session else None,
            "csrf_token": session.csrf if session else "",
            "current_path": request.url.path,
        }
        response = self.templates.TemplateResponse(
            request, template, {**shared, **context}, status_code=status_code
        )
        # Pages show one person's data: never stored by a shared cache or the back button's
        # disk cache after signing out.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = PAGE_CSP
        return response


__all__ = ["NavGroup", "PageRenderer", "build_templates", "navigation"]
