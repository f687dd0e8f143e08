"""Settings: every seed variable honoured, URLs normalised, secrets enforced, errors one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lyceum.core.errors import ConfigurationError
from lyceum.core.paths import anchor as project_root_or_cwd
from lyceum.core.settings import Settings, async_url, load_settings, sync_url

SEED_VARIABLES = [
    "DATABASE_URL", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_HOST", "POSTGRES_PORT",
    "POSTGRES_DB", "REDIS_URL", "DEMO_TOKEN", "SECRET_KEY", "ENV", "FRONTEND_URL", "LOG_LEVEL",
    "DB_ECHO", "DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT", "DB_POOL_RECYCLE",
    "SQLITE_DATABASE_URL",
]  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in SEED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return monkeypatch


def settings(**overrides: object) -> Settings:
    return load_settings(_env_file=None, **overrides)


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://u:p@db.example:5433/app",
        "postgresql+asyncpg://u:p@db.example:5433/app",
        "postgresql+psycopg://u:p@db.example:5433/app",
        "postgres://u:p@db.example:5433/app",
    ],
)
def test_every_url_spelling_derives_async_and_sync(clean_env: pytest.MonkeyPatch, raw: str) -> None:
    url = settings(database_url=raw).configured_url
    assert url is not None
    assert async_url(url).render_as_string(hide_password=False) == (
        "postgresql+asyncpg://u:p@db.example:5433/app"
    )
    assert sync_url(url).render_as_string(hide_password=False) == (
        "postgresql+psycopg://u:p@db.example:5433/app"
    )


def test_percent_encoded_password_survives(clean_env: pytest.MonkeyPatch) -> None:
    # Seed 003 writes its password as admin%40246 (that is, admin@246).
    url = settings(database_url="postgresql+asyncpg://postgres:admin%40246@localhost:5432/mvdb")
    assert url.configured_url is not None
    assert url.configured_url.password == "admin@246"


def test_sslmode_becomes_ssl_for_asyncpg(clean_env: pytest.MonkeyPatch) -> None:
    url = settings(database_url="postgresql://u@h/db?sslmode=require").configured_url
    assert url is not None
    assert dict(async_url(url).query) == {"ssl": "require"}
    assert dict(sync_url(url).query) == {"sslmode": "require"}


def test_postgres_parts_compose_a_url_when_database_url_is_absent(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("POSTGRES_USER", "tutormax")
    clean_env.setenv("POSTGRES_PASSWORD", "s3cret")
    clean_env.setenv("POSTGRES_HOST", "localhost")
    clean_env.setenv("POSTGRES_PORT", "5433")
    clean_env.setenv("POSTGRES_DB", "tutormax")
    url = load_settings(_env_file=None).configured_url
    assert url is not None
    assert url.render_as_string(hide_password=False) == (
        "postgresql://tutormax:s3cret@localhost:5433/tutormax"
    )


def test_database_url_wins_over_parts(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("POSTGRES_HOST", "ignored")
    clean_env.setenv("DATABASE_URL", "postgresql://u@chosen/db")
    url = load_settings(_env_file=None).configured_url
    assert url is not None and url.host == "chosen"


def test_nothing_configured_means_embedded(clean_env: pytest.MonkeyPatch) -> None:
    current = settings()
    assert current.database_configured is False
    assert current.configured_url is None
    # The project's data directory, not the working directory's (tests/core/test_paths.py).
    assert current.pgdata == project_root_or_cwd() / ".lyceum" / "pgdata"


def test_every_seed_variable_is_read_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    values = {
        "DATABASE_URL": "postgresql://u@h/db",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "DEMO_TOKEN": "nerdboard_demo_2025",
        "SECRET_KEY": "k" * 40,
        "ENV": "development",
        "FRONTEND_URL": "http://localhost:5173,http://localhost:3000",
        "LOG_LEVEL": "debug",
        "DB_ECHO": "true",
        "DB_POOL_SIZE": "7",
        "DB_MAX_OVERFLOW": "9",
        "DB_POOL_TIMEOUT": "12",
        "DB_POOL_RECYCLE": "600",
        "SQLITE_DATABASE_URL": "sqlite:///./local.db",
    }
    for name, value in values.items():
        clean_env.setenv(name, value)
    current = load_settings(_env_file=None)
    assert current.redis_url == "redis://127.0.0.1:6379/3"
    assert current.effective_demo_token == "nerdboard_demo_2025"
    assert current.effective_secret_key == "k" * 40
    assert current.cors_origins == ["http://localhost:5173", "http://localhost:3000"]
    assert current.log_level == "DEBUG"
    assert current.db_echo is True
    assert (current.db_pool_size, current.db_max_overflow) == (7, 9)
    assert (current.db_pool_timeout, current.db_pool_recycle) == (12, 600)
    # The seed's relative file, in the project (tests/core/test_paths.py).
    assert current.sqlite_database_url == f"sqlite:///{project_root_or_cwd() / 'local.db'}"


def test_dotenv_file_is_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The project's .env by default (tests/core/test_paths.py); here one given explicitly.
    (tmp_path / ".env").write_text("REDIS_URL=redis://from-dotenv:6379/0\nDB_POOL_SIZE=3\n")
    current = load_settings(_env_file=tmp_path / ".env")
    assert current.redis_url == "redis://from-dotenv:6379/0"
    assert current.db_pool_size == 3


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("mysql://u@h/db", "must start with postgresql://"),
        ("postgresql://u@h", "names no database"),
        ("not a url at all", "DATABASE_URL"),
        ("postgresql://u@h:99999/db", "DATABASE_URL"),
    ],
)
def test_malformed_database_url_is_one_readable_line(
    clean_env: pytest.MonkeyPatch, raw: str, fragment: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings(database_url=raw)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


def test_bad_redis_url_is_rejected(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="REDIS_URL"):
        settings(redis_url="http://localhost:6379")


@pytest.mark.parametrize("env", ["production", "staging", "test"])
@pytest.mark.parametrize("secret", [None, "", "change-me", "your-secret-key-here", "short"])
def test_outside_development_a_real_secret_is_required(
    clean_env: pytest.MonkeyPatch, env: str, secret: str | None
) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY") as caught:
        settings(env=env, secret_key=secret)
    assert "\n" not in str(caught.value)


def test_production_with_a_real_secret_starts_and_refuses_the_demo_token(
    clean_env: pytest.MonkeyPatch,
) -> None:
    current = settings(env="PRODUCTION", secret_key="x" * 48, demo_token="nerdboard_demo_2025")
    assert current.env == "production"
    assert current.effective_demo_token is None
    assert current.effective_secret_key == "x" * 48


def test_development_works_with_nothing_set(clean_env: pytest.MonkeyPatch) -> None:
    current = settings()
    assert current.is_development
    assert current.effective_secret_key
    assert current.effective_demo_token


def test_invalid_numbers_are_reported_by_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DB_POOL_SIZE", "many")
    with pytest.raises(ConfigurationError, match="DB_POOL_SIZE"):
        load_settings(_env_file=None)


def test_env_example_documents_every_seed_variable() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {
        line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines() if "=" in line
    }
    missing = [name for name in SEED_VARIABLES if name not in documented]
    assert not missing, f".env.example does not document {missing}"


HYGIENE_VARIABLES = [
    "MAX_REQUEST_BODY_BYTES", "LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS", "HTTPS_ONLY",
]  # fmt: skip


@pytest.mark.parametrize("name", HYGIENE_VARIABLES)
def test_web_hygiene_settings_are_documented_and_read(
    clean_env: pytest.MonkeyPatch, name: str
) -> None:
    root = Path(__file__).resolve().parents[2]
    assert f"\n{name}=" in (root / ".env.example").read_text()
    readme = (root / "README.md").read_text()
    assert f"`{name}`" in readme or f"`{name.rsplit('_PER_', 1)[0]}_PER_ACCOUNT`" in readme
    field = name.lower()
    clean_env.setenv(name, "true" if name == "HTTPS_ONLY" else "7")
    assert getattr(load_settings(_env_file=None), field) in (True, 7)


def test_hygiene_defaults() -> None:
    defaults = load_settings(_env_file=None)
    assert defaults.max_request_body_bytes == 1024 * 1024
    assert (defaults.login_max_failures_per_account, defaults.login_max_failures_per_address) == (
        5,
        30,
    )
    assert defaults.login_failure_window_seconds == 900
    assert defaults.https_only is False
