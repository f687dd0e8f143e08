"""Auth primitives: Argon2id hashing, pinned-HS256 JWTs, and the FastAPI role guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher, Type
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from lyceum.core import auth
from lyceum.core.auth import (
    Principal,
    hash_password,
    issue_token,
    needs_rehash,
    require_roles,
    verify_and_maybe_rehash,
    verify_password,
    verify_token,
)
from lyceum.core.errors import LyceumError, Unauthorized, error_body
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, Settings

SECRET = "s" * 40
AUDIENCE = "lyceum"


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "ada",
        "roles": ["operator"],
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    base.update(overrides)
    return base


def token(roles: list[str], *, secret: str = SECRET, subject: str = "ada") -> str:
    return issue_token(subject, roles, secret=secret, audience=AUDIENCE, ttl_seconds=300)


def reason_of(exc_info: pytest.ExceptionInfo[Unauthorized]) -> str:
    details: dict[str, str] = exc_info.value.details
    return details["reason"]


# ---- passwords ---------------------------------------------------------------


def test_hash_and_verify_round_trip() -> None:
    stored = hash_password("correct horse battery staple")
    assert verify_password(stored, "correct horse battery staple")
    assert not needs_rehash(stored)


def test_wrong_password_is_false() -> None:
    assert not verify_password(hash_password("right"), "wrong")


@pytest.mark.parametrize(
    "stored", ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$broken", "$2b$12$abcdef"]
)
def test_malformed_hash_is_false_not_an_error(stored: str) -> None:
    assert verify_password(stored, "anything") is False
    assert verify_and_maybe_rehash(stored, "anything") == (False, None)


def test_hash_is_argon2id_with_owasp_parameters() -> None:
    stored = hash_password("pw")
    variant, version, params, salt, digest = stored.split("$")[1:]
    assert variant == "argon2id"
    assert version == "v=19"
    assert params == "m=19456,t=2,p=1"
    assert salt
    assert digest
    assert hash_password("pw") != stored  # a fresh salt each time


def test_rehash_when_parameters_change() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    old = hash_password("hunter2", hasher=weak)
    assert needs_rehash(old)

    ok, fresh = verify_and_maybe_rehash(old, "hunter2")

    assert ok
    assert fresh is not None
    assert "m=19456,t=2,p=1" in fresh
    assert verify_password(fresh, "hunter2")
    assert verify_and_maybe_rehash(fresh, "hunter2") == (True, None)


def test_no_rehash_on_wrong_password() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    assert verify_and_maybe_rehash(hash_password("a", hasher=weak), "b") == (False, None)


# ---- tokens ------------------------------------------------------------------


def test_token_round_trip() -> None:
    encoded = issue_token(
        "ada",
        ["operator", "admin"],
        secret=SECRET,
        audience=AUDIENCE,
        ttl_seconds=60,
        extra={"name": "Ada"},
    )
    principal = verify_token(encoded, secret=SECRET, audience=AUDIENCE)
    assert principal == Principal("ada", frozenset({"operator", "admin"}), "jwt")
    assert principal.has_any_role("viewer", "admin")
    assert not principal.has_any_role("viewer")

    raw = jwt.decode(encoded, SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert set(raw) >= {"sub", "roles", "aud", "iat", "nbf", "exp", "jti", "name"}
    assert raw["exp"] - raw["iat"] == 60
    assert jwt.get_unverified_header(encoded)["alg"] == "HS256"


def test_extra_cannot_override_reserved_claims() -> None:
    with pytest.raises(ValueError, match="roles"):
        issue_token(
            "ada", [], secret=SECRET, audience=AUDIENCE, ttl_seconds=60, extra={"roles": ["admin"]}
        )


def test_expired_token_rejected() -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    encoded = issue_token("ada", [], secret=SECRET, audience=AUDIENCE, ttl_seconds=60, now=old)
    with pytest.raises(Unauthorized, match="expired") as exc_info:
        verify_token(encoded, secret=SECRET, audience=AUDIENCE)
    assert reason_of(exc_info) == "expired"


def test_wrong_audience_rejected() -> None:
    encoded = issue_token("ada", [], secret=SECRET, audience="elsewhere", ttl_seconds=60)
    with pytest.raises(Unauthorized, match="another service") as exc_info:
        verify_token(encoded, secret=SECRET, audience=AUDIENCE)
    assert reason_of(exc_info) == "audience"


def test_tampered_signature_rejected() -> None:
    # Keep the operator token's signature but swap in a payload granting admin.
    header, _payload, signature = token(["operator"]).split(".")
    forged_payload = b64url(claims(roles=["admin"]))
    with pytest.raises(Unauthorized) as exc_info:
        verify_token(f"{header}.{forged_payload}.{signature}", secret=SECRET, audience=AUDIENCE)
    assert reason_of(exc_info) == "signature"
    with pytest.raises(Unauthorized):
        verify_token(token(["x"], secret="o" * 40), secret=SECRET, audience=AUDIENCE)


def test_alg_none_rejected() -> None:
    unsigned = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(claims(roles=['admin']))}."
    with pytest.raises(Unauthorized, match="algorithm") as exc_info:
        verify_token(unsigned, secret=SECRET, audience=AUDIENCE)
    assert reason_of(exc_info) == "algorithm"


def test_other_hmac_algorithm_rejected() -> None:
    secret = "s" * 64  # long enough that PyJWT doesn't warn about SHA-512 key length
    hs512 = jwt.encode(claims(), secret, algorithm="HS512")
    with pytest.raises(Unauthorized, match="algorithm"):
        verify_token(hs512, secret=secret, audience=AUDIENCE)


def test_rs256_header_rejected() -> None:
    # Key confusion: an RS256 header over an HMAC made with the shared secret.
    signing_input = f"{b64url({'alg': 'RS256', 'typ': 'JWT'})}.{b64url(claims())}"
    mac = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    confused = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(Unauthorized, match="algorithm"):
        verify_token(confused, secret=SECRET, audience=AUDIENCE)


def test_missing_exp_rejected() -> None:
    no_exp = claims()
    del no_exp["exp"]
    with pytest.raises(Unauthorized, match="'exp'") as exc_info:
        verify_token(
            jwt.encode(no_exp, SECRET, algorithm="HS256"), secret=SECRET, audience=AUDIENCE
        )
    assert reason_of(exc_info) == "missing_claim"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "💥.💥.💥"])
def test_malformed_token_rejected(garbage: str) -> None:
    with pytest.raises(Unauthorized):
        verify_token(garbage, secret=SECRET, audience=AUDIENCE)


def test_malformed_roles_claim_rejected() -> None:
    encoded = jwt.encode(claims(roles="admin"), SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match="roles"):
        verify_token(encoded, secret=SECRET, audience=AUDIENCE)


# ---- FastAPI dependencies ------------------------------------------------------


def build_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings

    async def lyceum_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LyceumError)
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details), status_code=exc.status_code
        )

    app.add_exception_handler(LyceumError, lyceum_error)

    @app.get("/admin")
    async def admin_only(
        principal: Annotated[Principal, Depends(require_roles("admin"))],
    ) -> dict[str, str]:
        return {"subject": principal.subject, "via": principal.via}

    return app


def dev_settings() -> Settings:
    return Settings(_env_file=None, env="development", secret_key=SECRET)


def prod_settings() -> Settings:
    return Settings(_env_file=None, env="production", secret_key="x" * 40)


@pytest.fixture
async def dev_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(dev_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def prod_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(prod_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def test_no_header_is_401(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/admin")
    assert response.status_code == 401
    assert response.json()["error"]["details"]["www_authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer a b", "token"])
async def test_malformed_header_is_401(dev_client: httpx.AsyncClient, header: str) -> None:
    response = await dev_client.get("/admin", headers={"Authorization": header})
    assert response.status_code == 401
    assert "invalid_request" in response.json()["error"]["details"]["www_authenticate"]


async def test_bad_token_is_401(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/admin", headers=bearer("not.a.token"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_wrong_role_is_403(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/admin", headers=bearer(token(["operator"])))
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "this action needs one of the roles: admin"


async def test_right_role_is_200(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/admin", headers=bearer(token(["operator", "admin"])))
    assert response.status_code == 200
    assert response.json() == {"subject": "ada", "via": "jwt"}


async def test_demo_token_accepted_in_development(dev_client: httpx.AsyncClient) -> None:
    response = await dev_client.get("/admin", headers=bearer(DEVELOPMENT_DEMO_TOKEN))
    assert response.status_code == 200
    assert response.json() == {"subject": "demo", "via": "demo_token"}


async def test_demo_token_rejected_in_production(prod_client: httpx.AsyncClient) -> None:
    response = await prod_client.get("/admin", headers=bearer(DEVELOPMENT_DEMO_TOKEN))
    assert response.status_code == 401
    # A real token still works in production, signed with the production secret.
    good = token(["admin"], secret="x" * 40)
    assert (await prod_client.get("/admin", headers=bearer(good))).status_code == 200
    stale = token(["admin"], secret=SECRET)  # the development secret means nothing here
    assert (await prod_client.get("/admin", headers=bearer(stale))).status_code == 401


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()


def test_settings_fallback_when_app_state_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "get_settings", prod_settings)
    request = Request({"type": "http", "app": FastAPI(), "headers": []})
    assert auth.request_settings(request).env == "production"
