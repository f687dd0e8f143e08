"""The API against its own OpenAPI document: schemathesis over every operation, signed in.

A real `lyceum serve` on a database of its own with a small generated history for every
app (and a Redis of its own, so no other server's cache answers for it) is driven over
HTTP by schemathesis: examples, boundary values (the coverage phase) and random valid and
invalid requests, each with a bearer token for a role the operation's access policy
admits (read from the route table, as the authorization matrix does). Every response must
pass:

- `not_a_server_error`: no 5xx, whatever the input;
- `response_schema_conformance`, `status_code_conformance`, `content_type_conformance`,
  `response_headers_conformance`: the answer is what the document says it can be (errors
  included: every error is the one documented shape);
- `negative_data_rejection` / `positive_data_acceptance`: what validation accepts is what
  the document says it accepts, no more and no less;
- `missing_required_header`, `unsupported_method`, `ignored_auth`: a required header's
  absence and an undeclared method are refused, and an operation that declares security
  refuses a request without a token or with a bad one.

Excluded: `GET /api/nerdboard/stream`, the SSE stream. Its body is an endless event stream,
not a JSON document to validate, and a request to it never ends; it is covered by
tests/nerdboard/test_live.py (a real SSE client on a live server) and, for who may open it,
by the authorization matrix.

Deterministic: a fixed seed, derandomized generation, no example database or crash cache.
No `lyceum worker` runs and the server's own simulation ticker is off, so the data do not
move under the requests (a reset is accepted and queued, not run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from sqlalchemy.engine import URL

from lyceum.apps import APPS
from lyceum.core.access import AccessPolicy
from lyceum.core.settings import load_settings
from lyceum.web.access import route_access
from lyceum.web.app import create_app
from tests.fixtures.live import free_port, start_server, stop_server
from tests.fixtures.services import REPO_ROOT, private_redis, scratch_database
from tests.fixtures.tokens import token_for

# In `make test`'s serial pass: schemathesis' per-operation items do not split across
# pytest-xdist workers (they share one test function), and the module's live server is built
# once there.
pytestmark = pytest.mark.serial

SEED = 20_240_612
# Per operation, for the fuzzing phase; the examples and coverage phases add their own
# (every boundary of every parameter). Tuned so the whole run stays near two minutes here
# (30 took 3 min 21 s once the product had 120 operations).
MAX_EXAMPLES = 20
STREAM = "/api/nerdboard/stream"

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    missing_required_header,
    unsupported_method,
    ignored_auth,
]


def _lyceum(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "lyceum.cli.main", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _finish(process: subprocess.Popen[bytes], what: str) -> None:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, f"{what} failed:\n{output.decode(errors='replace')}"


@pytest.fixture(scope="module")
def live_api(database_url: URL) -> Iterator[str]:
    with scratch_database(database_url, "contract") as url, private_redis() as redis_url:
        env = {
            **os.environ,
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "REDIS_URL": redis_url,
            "ENV": "development",
            "NERDBOARD_SIMULATION_WORKER": "false",
            "COLUMNS": "200",
        }
        _finish(_lyceum("db", "upgrade", env=env), "lyceum db upgrade")
        # The apps' generators write to their own schemas: run them side by side.
        generators = {
            name: _lyceum("generate", name, "--scale", "small", "--months", "3", env=env)
            for name, spec in APPS.items()
            if spec.generate is not None
        }
        for name, process in generators.items():
            _finish(process, f"lyceum generate {name}")
        port = free_port()
        server = start_server(env, port)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_server(server)


def _token_roles(policy: AccessPolicy) -> list[str]:
    """A role from each of the policy's clauses: enough to be admitted, nothing more."""
    return sorted({min(clause) for clause in policy.clauses})


@pytest.fixture(scope="module")
def authorization() -> dict[tuple[str, str], dict[str, str]]:
    """Per operation (method, path), headers admitted by its access policy."""
    table = route_access(create_app(load_settings()))
    return {
        (method, entry.path): {}
        if entry.policy.kind == "public"
        else token_for(*_token_roles(entry.policy))
        for entry in table
        if entry.policy is not None
        for method in entry.methods
    }


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Nothing carried over between runs: no crash replay, no example database.
            "cache": {"enabled": False},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # A failure is reported as found; shrinking it could take minutes.
                "no-shrink": True,
                # Auth is ours (a valid token per operation); generated Authorization
                # headers would only ever be refused. `ignored_auth` probes without one.
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                # Boundaries of every parameter, each parameter missing, wrong types,
                # unexpected methods, and single-valued query parameters sent twice.
                "coverage": {"enabled": True, "generate-duplicate-query-parameters": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "suppress-health-check": ["too_slow", "filter_too_much"],
            "operations": [
                {
                    # A churned tutor's churned_at must not precede their onboarding_date:
                    # the one rule of these bodies JSON Schema cannot state (it compares two
                    # values), so a schema-valid tutor may still be refused with a 422 saying
                    # so (tests/tutormax/test_ingest.py). Everything else is checked as usual.
                    "include-path-regex": "^/api/tutormax/ingest/tutors?$",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                *POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
                                "422",
                            ]
                        }
                    },
                }
            ],
        }
    )


# The document as the application builds it, so each operation is a test of its own from
# collection on; `test_the_server_serves_this_document` checks the live server serves it.
DOCUMENT = create_app(load_settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=_config()).exclude(
    path=STREAM, method="GET"
)


def test_the_server_serves_this_document(live_api: str) -> None:
    served = httpx.get(f"{live_api}/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == DOCUMENT


@pytest.mark.slow
@schema.parametrize()
def test_the_api_keeps_its_openapi_promises(
    case: Case, live_api: str, authorization: dict[tuple[str, str], dict[str, str]]
) -> None:
    headers = authorization[(case.operation.method.upper(), case.operation.path)]
    case.call_and_validate(base_url=live_api, headers=headers, checks=CHECKS, timeout=60)
