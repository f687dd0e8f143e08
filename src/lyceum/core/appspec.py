"""What an app tells the platform about itself. Apps build one; `lyceum.apps` lists them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lyceum.core.db.engine import PLATFORM_POOL, PoolConfig

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from procrastinate import Blueprint
    from rich.progress import Progress
    from sqlalchemy.ext.asyncio import AsyncSession

    from lyceum.core.cache import Cache
    from lyceum.core.principal import Principal
    from lyceum.core.settings import Settings


@dataclass(frozen=True)
class GenerateOptions:
    seed: int = 42
    scale: str = "default"
    months: int = 12
    # `lyceum up`: keep data already generated with these parameters instead of rebuilding.
    skip_if_present: bool = False


Seeder = Callable[["AsyncSession"], Awaitable[None]]
Generator = Callable[["GenerateOptions", "Progress"], Awaitable[str]]
# Runs for the web process's lifetime (background workers, listeners); what it yields is
# set on `app.state` under the given names for the app's routes to use.
AppLifespan = Callable[["Settings", "Cache"], AbstractAsyncContextManager[Mapping[str, object]]]


@dataclass(frozen=True)
class NavLink:
    """One entry of an app's navigation: a label, a page path (under /<app>) and the roles
    whose holders see the link (empty: everyone signed in). Hiding a link is a courtesy;
    the page's own guard is what refuses."""

    label: str
    path: str
    roles: tuple[str, ...] = ()

    def visible_to(self, principal: Principal | None) -> bool:
        if not self.roles:
            return principal is not None
        return principal is not None and principal.has_any_role(*self.roles)


@dataclass(frozen=True)
class AppAccount:
    """Someone an app's own accounts table vouches for (Mathvidya's students, parents,
    teachers and admins), as the sign-in edges need them: the token's subject and roles, and
    the name the pages show."""

    subject: str
    roles: tuple[str, ...]
    display_name: str


@dataclass(frozen=True)
class SignInAttempt:
    """One sign-in, as an app's `sign_in` hook receives it (it audits from these)."""

    email: str
    password: str
    address: str
    user_agent: str | None = None


# An app's check of its own accounts: the account, or None when the app has no account with
# that email. A wrong password for an account it has raises `core.errors.Unauthorized`.
AccountSignIn = Callable[[SignInAttempt], Awaitable[AppAccount | None]]


@dataclass(frozen=True)
class AppSpec:
    """An app, as the edges see it. The factories are lazy: registering the app imports none of
    its routes, commands or models, so `lyceum --help` does not load NumPy or FastAPI routes
    and a web worker does not import the CLI."""

    name: str
    title: str
    description: str
    pool: PoolConfig = PLATFORM_POOL
    # Dotted path of the module defining the app's ORM models (imported for Alembic).
    models_module: str | None = None
    # `<app>/api.py`: mounted by the web edge under /api/<name>.
    router: Callable[[], APIRouter] | None = None
    # `<app>/pages.py`: the app's web pages, mounted by the web edge under /<name>, its
    # templates in `<app>/templates/<name>/`, and the navigation the shell shows for it.
    pages: Callable[[], APIRouter] | None = None
    nav: tuple[NavLink, ...] = ()
    # For an app without pages yet: what the home page says is coming, in one sentence.
    pages_coming: str = ""
    # `<app>/cli.py`: `lyceum <name> …`.
    cli: Callable[[], typer.Typer] | None = None
    # Subpackages holding pure logic (no database, driver, web or cache imports); the import
    # contracts are checked against this list (tests/test_architecture.py).
    pure_packages: tuple[str, ...] = ()
    seed: Seeder | None = None
    generate: Generator | None = None
    # What the app's scheduled jobs would have written over a generated history (metrics,
    # scores, ...), so that `lyceum up` opens on pages with trends; idempotent, and quick
    # when there is nothing to do.
    catch_up: Generator | None = None
    lifespan: AppLifespan | None = None
    # The app's background jobs (a fresh procrastinate Blueprint per call, from <app>/tasks.py;
    # its tasks become "<app>:<task>") and what `lyceum worker` runs for the app besides jobs.
    tasks: Callable[[], Blueprint] | None = None
    worker: AppLifespan | None = None
    scales: tuple[str, ...] = ("small", "default", "large")
    benchmarks: tuple[str, ...] = field(default_factory=tuple)
    # Request-body limits above MAX_REQUEST_BODY_BYTES for route prefixes under
    # `/api/<name>`, as (prefix, bytes) pairs, e.g. (("/uploads", 50 * 1024 * 1024),);
    # the longest matching prefix wins.
    body_limits: tuple[tuple[str, int], ...] = ()
    # Accounts of the app's own (not operator accounts): the shell's sign-in form and
    # `POST /api/auth/login` ask each app in turn when no operator account matches.
    sign_in: AccountSignIn | None = None
    # Development only: the app's generated demo accounts (they share the operator demo
    # password), which `lyceum up`'s banner lists so a person can try each role.
    demo_accounts: tuple[str, ...] = ()

    @property
    def schema(self) -> str:
        # Each app owns exactly one PostgreSQL schema, named after it.
        return self.name
