"""The app shape and its boundaries, checked against the registry (`lyceum.apps.APPS`):

- the import contracts in pyproject.toml are the ones the registry implies, and they hold;
- every app has the same modules for the same roles;
- every ORM relationship is `lazy="raise"`;
- adding an app is one line: a throw-away app put in APPS appears at every edge.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import DeclarativeBase, RelationshipProperty, registry
from typer.testing import CliRunner

from lyceum import apps
from lyceum.apps import APPS, import_all_models
from lyceum.core.db.base import Base
from lyceum.core.db.columns import LAZY_DEFAULT
from lyceum.core.jobs.app import build_job_app, task_names
from lyceum.core.settings import load_settings
from lyceum.web.app import create_app
from tests.fixtures import throwaway
from tests.fixtures.services import REPO_ROOT
from tests.fixtures.tokens import DEMO

# The roles every app fills with the same module names (docs/architecture.md, "The app shape").
SHAPE = ("models", "schemas", "repository", "service", "api", "cli", "tasks", "generate")
# Pure code may not import these libraries...
IO_LIBRARIES = (
    "sqlalchemy", "asyncpg", "psycopg", "fastapi", "starlette", "redis", "procrastinate",
)  # fmt: skip
# ...nor these platform modules, nor its own app's I/O layers.
PURE_PLATFORM = ("lyceum.core.ids",)
IO_LAYERS = (
    "models", "repository", "service", "dependencies", "api", "pages", "cli", "tasks", "generate",
    "runtime", "storage", "device",
)  # fmt: skip
LAYERS = [
    "cli",
    "tasks | api | (pages) | (runtime)",
    "(dependencies)",
    "generate",
    "service",
    "repository | schemas",
    "models",
]


def _exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def expected_contracts() -> list[dict[str, Any]]:
    packages = [f"lyceum.{name}" for name in APPS]
    pure = [*PURE_PLATFORM] + [
        f"lyceum.{name}.{package}" for name, spec in APPS.items() for package in spec.pure_packages
    ]
    io_layers = [
        f"lyceum.{name}.{layer}"
        for name in APPS
        for layer in IO_LAYERS
        if _exists(f"lyceum.{name}.{layer}")
    ]
    return [
        {"name": "Apps never import each other", "type": "independence", "modules": packages},
        {
            "name": "Core imports no app and no edge",
            "type": "forbidden",
            "source_modules": ["lyceum.core"],
            "forbidden_modules": [*packages, "lyceum.apps", "lyceum.web", "lyceum.cli"],
        },
        {
            "name": "Apps do not import the edges",
            "type": "forbidden",
            "source_modules": packages,
            "forbidden_modules": ["lyceum.web", "lyceum.cli", "lyceum.apps"],
        },
        {
            "name": "The web and command-line edges are independent",
            "type": "independence",
            "modules": ["lyceum.web", "lyceum.cli"],
        },
        {
            "name": "Pure code imports no database, driver, web or cache library, nor an app's"
            " I/O layers",
            "type": "forbidden",
            "source_modules": pure,
            "forbidden_modules": [*IO_LIBRARIES, "lyceum.core.db", *io_layers],
        },
        {
            "name": "Each app is layered: edges, then use cases, then SQL, then tables",
            "type": "layers",
            "containers": packages,
            "layers": LAYERS,
        },
    ]


def _declared_contracts() -> list[dict[str, Any]]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        config = tomllib.load(file)["tool"]["importlinter"]
    assert config["include_external_packages"] is True
    return list(config["contracts"])


def test_the_import_contracts_are_the_ones_the_registry_implies() -> None:
    declared = {contract["name"]: contract for contract in _declared_contracts()}
    for wanted in expected_contracts():
        found = declared.pop(wanted["name"], None)
        assert found is not None, f"pyproject.toml lacks the contract {wanted['name']!r}"
        for key, value in wanted.items():
            # Order within a list is presentation; membership is the contract.
            got = found.get(key)
            if isinstance(value, list) and key != "layers":
                assert sorted(got or []) == sorted(value), (wanted["name"], key)
            else:
                assert got == value, (wanted["name"], key)
    assert not declared, f"contracts the registry does not imply: {sorted(declared)}"


def test_the_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(expected_contracts())} kept, 0 broken" in result.stdout


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_app_has_the_same_shape(name: str) -> None:
    spec = APPS[name]
    missing = [role for role in SHAPE if not _exists(f"lyceum.{name}.{role}")]
    assert not missing, f"{name} lacks {missing}"
    assert spec.router is not None and spec.cli is not None and spec.generate is not None
    assert spec.tasks is not None
    assert spec.models_module == f"lyceum.{name}.models"
    for package in spec.pure_packages:
        assert _exists(f"lyceum.{name}.{package}"), f"{name} declares a missing {package}"


def _registries() -> set[registry]:
    """Every class registry over the platform's MetaData (apps with relationships have their
    own DeclarativeBase, since class names recur across apps)."""
    bases = DeclarativeBase.__subclasses__()
    return {base.registry for base in bases if base.metadata is Base.metadata}


def test_every_relationship_raises_instead_of_loading_lazily() -> None:
    import_all_models()
    relationships = [
        (mapper.class_.__name__, prop.key, prop.lazy)
        for registry in _registries()
        for mapper in registry.mappers
        for prop in mapper.iterate_properties
        if isinstance(prop, RelationshipProperty)
    ]
    assert len(relationships) >= 20  # TutorMax's and Mathvidya's, at least
    lazy = [entry for entry in relationships if entry[2] != LAZY_DEFAULT]
    assert not lazy, f"relationships that would load lazily: {lazy}"


@pytest.fixture
def with_throwaway_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The one line a new app adds to apps.py, made for the duration of a test."""
    monkeypatch.setitem(apps.APPS, "throwaway", throwaway.app_spec)
    import lyceum.cli.main as cli_main

    importlib.reload(cli_main)
    try:
        yield
    finally:
        monkeypatch.undo()
        importlib.reload(cli_main)


@pytest.mark.usefixtures("with_throwaway_app")
async def test_adding_an_app_is_one_line_in_the_registry() -> None:
    # The web edge mounts its API (documented) and its pages (not in the API document).
    app = create_app(load_settings().model_copy(update={"nerdboard_simulation_worker": False}))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        hello = await client.get("/api/throwaway/hello", headers=DEMO)
        assert hello.status_code == 200 and hello.json() == {"greeting": "hello, demo"}
        assert (await client.get("/api/throwaway/hello")).status_code == 401
        page = await client.get("/throwaway/")
        assert page.status_code == 200 and "<h1>Throw-away</h1>" in page.text
        schema = (await client.get("/openapi.json")).json()
    assert "/api/throwaway/hello" in schema["paths"]
    assert "/throwaway/" not in schema["paths"]
    assert schema["paths"]["/api/throwaway/hello"]["get"]["tags"] == ["throwaway"]

    # The command line has its commands, and knows it as an app name.
    import lyceum.cli.main as cli_main

    runner = CliRunner()
    said = runner.invoke(cli_main.app, ["throwaway", "hello", "--name", "Lyceum"])
    assert said.exit_code == 0, said.output
    assert "throwaway says hello, Lyceum" in said.output
    generate_help = runner.invoke(cli_main.app, ["generate", "--help"])
    assert "throwaway" in generate_help.output

    # The job worker registers its jobs under its name.
    jobs = build_job_app(load_settings(), APPS.values())
    assert "throwaway:ping" in task_names(jobs)
    # Without the line, it is nowhere.
    assert "throwaway" not in {spec.name for spec in APPS.values()} - {"throwaway"}


def test_without_the_line_the_app_is_nowhere() -> None:
    assert "throwaway" not in APPS
    import lyceum.cli.main as cli_main

    result = CliRunner().invoke(cli_main.app, ["throwaway", "hello"])
    assert result.exit_code != 0
