"""Platform settings: one class, read from the environment and `.env`.

Every variable the seed documents name is honoured here. The database URL is
normalised once so the rest of the code asks for the flavour it needs
(`async_url` for asyncpg, `sync_url` for psycopg/Alembic) and never parses
URLs itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from lyceum.core.errors import ConfigurationError
from lyceum.core.paths import anchor, anchored

Environment = Literal["development", "test", "staging", "production"]

# Secrets that ship in docs and examples: accepted only in development.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "change-me",
        "changeme",
        "your-secret-key-here",
        "secret",
        "dev-secret-key-not-for-production",
        "nerdboard_demo_2025",
        "lyceum-demo-token",
    }
)
DEVELOPMENT_SECRET_KEY = "dev-secret-key-not-for-production"  # noqa: S105 - refused outside development
DEVELOPMENT_DEMO_TOKEN = "lyceum-demo-token"  # noqa: S105 - refused outside development

_POSTGRES_SCHEMES = {
    "postgresql",
    "postgres",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
}


def normalise_postgres_url(raw: str, variable: str = "DATABASE_URL") -> URL:
    """Parse a PostgreSQL URL in any of the accepted spellings; return it driver-less."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise ConfigurationError(
            f"{variable} is not a valid URL ({exc}); expected e.g. "
            "postgresql://user:password@localhost:5432/lyceum"
        ) from None
    if url.drivername not in _POSTGRES_SCHEMES:
        raise ConfigurationError(
            f"{variable} must start with postgresql://, postgresql+asyncpg:// or "
            f"postgresql+psycopg:// (got {url.drivername}://)"
        )
    if not url.database:
        raise ConfigurationError(f"{variable} names no database (add /<name> after the host)")
    if url.port is not None and not 0 < url.port < 65536:
        raise ConfigurationError(f"{variable} has an invalid port {url.port}")
    return url.set(drivername="postgresql")


def async_url(url: URL) -> URL:
    """asyncpg flavour; libpq's `sslmode` is spelled `ssl` there."""
    query = dict(url.query)
    if "sslmode" in query:
        query["ssl"] = query.pop("sslmode")
    return url.set(drivername="postgresql+asyncpg", query=query)


def sync_url(url: URL) -> URL:
    return url.set(drivername="postgresql+psycopg")


def libpq_url(url: URL) -> str:
    """A plain libpq connection string for pg_dump/psql (password included)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _anchored_sqlite_url(raw: str) -> str:
    """A relative `sqlite:///./local.db` (the seed's spelling) resolved against the project
    root like every other relative path; absolute, in-memory and unparsable URLs as given."""
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):
        return raw  # the adaptive app reports a bad URL when it opens it
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return raw
    if database.startswith("file:") or Path(database).is_absolute():
        return raw
    resolved = url.set(database=str(anchored(Path(database))))
    return resolved.render_as_string(hide_password=False)


def _fits_a_cron_step(seconds: int) -> bool:
    """Whether `seconds` is a step a cron expression can repeat evenly (*/n)."""
    if seconds < 60:
        return 60 % seconds == 0
    return seconds % 60 == 0 and 60 % (seconds // 60) == 0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        # The project's .env, wherever the command is run from (see lyceum.core.paths).
        env_file=anchor() / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    env: Environment = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # Database: DATABASE_URL wins; else POSTGRES_* compose one; else the embedded server.
    database_url: str | None = None
    postgres_user: str | None = None
    postgres_password: SecretStr | None = None
    postgres_host: str | None = None
    postgres_port: int = Field(default=5432, gt=0, lt=65536)
    postgres_db: str | None = None
    db_echo: bool = False
    # None means "the app's seed default" (see lyceum.core.db.engine.PoolConfig).
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int | None = Field(default=None, ge=0)
    db_pool_timeout: float | None = Field(default=None, gt=0)
    db_pool_recycle: int | None = Field(default=None, ge=-1)
    # At most this many connections open at once per process, whatever the apps' pools add up
    # to (lyceum.core.db.engine.ConnectionBudget; docs/scaling.md sets it against the server's
    # max_connections).
    db_process_max_connections: int = Field(default=60, ge=1, le=10_000)
    # Seconds a new connection may take before the attempt fails (a server that drops packets
    # answers 503 after this, not after asyncpg's 60 s).
    db_connect_timeout: float = Field(default=10.0, gt=0, le=300)

    # Embedded PostgreSQL (used only when no database is configured). Relative paths are
    # relative to the project root, not the working directory (see `pgdata`).
    lyceum_home: Path = Path(".lyceum")
    lyceum_pgdata: Path | None = None
    embedded_db_name: str = "lyceum"

    # Adaptive app's offline store.
    # Seed 004's default; `sqlite:///` URLs are opened with aiosqlite (adaptive/local.py).
    sqlite_database_url: str = "sqlite:///./local.db"

    redis_url: str | None = None
    # Nerdboard's simulation ticker runs in `lyceum worker`; true also runs one inside each
    # `lyceum serve` process (one ticks per database, by advisory lock). How often it ticks.
    nerdboard_simulation_worker: bool = False
    nerdboard_tick_seconds: float = Field(default=1.0, gt=0, le=60)
    # TutorMax's performance scorecard: a TOML file replacing the one the package ships
    # (lyceum/tutormax/scorecard/scorecard.toml). Relative paths are relative to the project root.
    tutormax_scorecard_file: Path | None = None
    frontend_url: str = "http://localhost:5173"

    # Web hygiene: request bodies over this size are refused with 413 before being read.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=0)
    # Served only over HTTPS (TLS ending at a proxy): send HSTS on every response, not
    # only on requests that reached us as https.
    https_only: bool = False
    # Sign-in throttling: failed attempts allowed per account and per client address
    # within a window that opens at the first failure.
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=1)

    # Background jobs (`lyceum worker`, lyceum.core.jobs).
    jobs_concurrency: int = Field(default=4, ge=1, le=64)
    # A worker writes a heartbeat this often; one silent for `stalled_after` is presumed dead
    # and its running jobs are retried by the recovery job, which runs every `recovery`.
    jobs_heartbeat_seconds: float = Field(default=10.0, gt=0, le=3600)
    jobs_stalled_after_seconds: float = Field(default=30.0, gt=0, le=86_400)
    jobs_recovery_seconds: int = Field(default=60, ge=1, le=3600)
    # On SIGINT/SIGTERM a worker waits this long for running jobs, then aborts them (retried).
    jobs_shutdown_seconds: float = Field(default=30.0, ge=0, le=3600)

    secret_key: SecretStr | None = None
    demo_token: SecretStr | None = None
    jwt_audience: str = "lyceum"
    jwt_ttl_seconds: int = Field(default=3600, gt=0)
    # A browser session (the web pages' signed cookie) lasts this long; then sign in again.
    session_ttl_seconds: int = Field(default=8 * 3600, gt=0, le=30 * 86_400)

    @field_validator("env", mode="before")
    @classmethod
    def _lower_env(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("sqlite_database_url", mode="after")
    @classmethod
    def _anchor_sqlite(cls, value: str) -> str:
        return _anchored_sqlite_url(value)

    @field_validator("database_url", "redis_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.database_url is not None:
            normalise_postgres_url(self.database_url)
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ConfigurationError("REDIS_URL must start with redis://, rediss:// or unix://")
        if self.env != "development":
            self._require_real_secret("SECRET_KEY", self.secret_key)
        if self.jobs_stalled_after_seconds <= self.jobs_heartbeat_seconds:
            raise ConfigurationError(
                "JOBS_STALLED_AFTER_SECONDS must be longer than JOBS_HEARTBEAT_SECONDS "
                "(a live worker would otherwise look dead between two heartbeats)"
            )
        if not _fits_a_cron_step(self.jobs_recovery_seconds):
            raise ConfigurationError(
                "JOBS_RECOVERY_SECONDS must divide a minute (1-30) or be whole minutes that "
                f"divide an hour (60-3600), got {self.jobs_recovery_seconds}"
            )
        return self

    @staticmethod
    def _require_real_secret(variable: str, value: SecretStr | None) -> None:
        if value is None or value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            raise ConfigurationError(
                f"{variable} must be set to a real secret outside ENV=development "
                f"(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if len(value.get_secret_value()) < 32:
            raise ConfigurationError(
                f"{variable} must be at least 32 characters outside development"
            )

    # ---- derived values -------------------------------------------------
    @property
    def is_development(self) -> bool:
        return self.env == "development"

    @property
    def database_configured(self) -> bool:
        """True when an external server is named; False means: use the embedded one."""
        return self.database_url is not None or self.postgres_host is not None

    @property
    def configured_url(self) -> URL | None:
        """The external server's URL, driver-less, or None when embedded."""
        if self.database_url is not None:
            return normalise_postgres_url(self.database_url)
        if self.postgres_host is not None:
            password = self.postgres_password.get_secret_value() if self.postgres_password else None
            return URL.create(
                "postgresql",
                username=self.postgres_user or "postgres",
                password=password,
                host=self.postgres_host,
                port=self.postgres_port,
                database=self.postgres_db or "lyceum",
            )
        return None

    @property
    def pgdata(self) -> Path:
        """The embedded server's data directory. Relative values (the default `.lyceum`
        included) are anchored to the project root, so every command of one checkout uses
        one database whatever its working directory; absolute ones are used as given."""
        return anchored(self.lyceum_pgdata or self.lyceum_home / "pgdata").absolute()

    @property
    def effective_secret_key(self) -> str:
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        return DEVELOPMENT_SECRET_KEY  # only reachable in development (see _check)

    @property
    def effective_demo_token(self) -> str | None:
        """DEMO_TOKEN is a development convenience; it authenticates nothing elsewhere."""
        if not self.is_development:
            return None
        if self.demo_token is not None and self.demo_token.get_secret_value():
            return self.demo_token.get_secret_value()
        return DEVELOPMENT_DEMO_TOKEN

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.frontend_url.split(",") if origin.strip()]


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning any validation problem into one readable line."""
    try:
        return Settings(**overrides)
    except ConfigurationError:
        raise
    except ValidationError as exc:
        raise ConfigurationError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        ctx_error = (error.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ConfigurationError):
            problems.append(str(ctx_error))
            continue
        field = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        problems.append(f"{field}: {error['msg']}")
    return "invalid configuration: " + "; ".join(problems)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
