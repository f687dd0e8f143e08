"""Where answer-sheet files are kept: one interface, two stores (an I/O module; the pure
packages never import it).

- `LocalStorage`: a directory; the embedded default, under the platform's data directory
  (`LYCEUM_HOME`, `.lyceum` in the checkout) at `mathvidya/answer-sheets`, or
  `MATHVIDYA_STORAGE_DIR`.
- `S3Storage`: a bucket through boto3, with `endpoint_url` for any S3-compatible server
  (MinIO, Ceph, moto in the tests). boto3 is synchronous: each call runs in a thread
  (`asyncio.to_thread`) so the event loop never waits on the network.

A store that cannot answer (a stopped server, a full disk, a refused connection) raises
`ServiceUnavailable` (503 with `Retry-After`); a key that is not there raises
`StoredFileMissing`. The database row is the source of truth: a file is served only through
its `answer_sheet_uploads` row, so an object without a row is never reachable.

Settings (environment or `.env`, read once per process; `reset_storage_cache()` re-reads):

- `MATHVIDYA_STORAGE`: `local` (default) or `s3`;
- `MATHVIDYA_STORAGE_DIR`: the local store's directory (default
  `<LYCEUM_HOME>/mathvidya/answer-sheets`; relative to the project root when relative);
- `MATHVIDYA_S3_BUCKET` (required for `s3`), `MATHVIDYA_S3_ENDPOINT_URL` (an S3-compatible
  server; default AWS), `MATHVIDYA_S3_REGION` (default: boto3's);
- `MATHVIDYA_FILE_SIGNING_SECRET`: signs file links; required (32+ characters) outside
  development, where it is derived from `SECRET_KEY` when unset.

S3 credentials come from boto3's usual chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
a profile, an instance role); they are never settings of ours.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from lyceum.core.errors import ConfigurationError, NotFound, ServiceUnavailable
from lyceum.core.paths import anchor, anchored
from lyceum.core.settings import get_settings

# boto3 ships no type information (its stubs are a separate package we do not install).
S3Client = Any

LOCAL_BUCKET = "local"
STORAGE_RETRY_AFTER_SECONDS = 10
MIN_SECRET_LENGTH = 32
SECRET_VARIABLE = "MATHVIDYA_FILE_SIGNING_SECRET"  # noqa: S105 (a variable name)


class StorageSettings(BaseSettings):
    """Mathvidya's answer-sheet store, from `MATHVIDYA_*` variables (the platform's own
    settings class holds platform settings; this app's live beside its code)."""

    model_config = SettingsConfigDict(
        env_prefix="MATHVIDYA_",
        env_file=anchor() / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    storage: Literal["local", "s3"] = "local"
    storage_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    file_signing_secret: SecretStr | None = None


class StoredFileMissing(NotFound):
    """The row names a file the store does not have (deleted by hand, a lost volume)."""


def storage_unavailable(store: str, error: BaseException | None = None) -> ServiceUnavailable:
    detail = type(error).__name__ if error is not None else None
    return ServiceUnavailable(
        "the answer-sheet storage is unavailable right now; try again in a few seconds",
        details={"dependency": "storage", "store": store, "error": detail},
        retry_after=STORAGE_RETRY_AFTER_SECONDS,
    )


class SheetStorage(Protocol):
    """A flat key → bytes store."""

    @property
    def bucket(self) -> str:
        """The name recorded in `answer_sheet_uploads.storage_bucket`."""
        ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None:
        """Remove `key`; removing a key that is not there is not an error."""
        ...


def _checked_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"a storage key is relative, without empty or dot segments: {key!r}")
    return key


class LocalStorage:
    """Files under one directory; each key is a relative path below it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def bucket(self) -> str:
        return LOCAL_BUCKET

    def _path(self, key: str) -> Path:
        return self.root / _checked_key(key)

    def _write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written to a temporary file and renamed, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self._write, key, data)
        except OSError as error:  # a full disk, a read-only or missing volume
            raise storage_unavailable("local", error) from error

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise StoredFileMissing(
                "this page's file is missing from storage", details={"reason": "file_missing"}
            ) from None
        except OSError as error:
            raise storage_unavailable("local", error) from error

    async def delete(self, key: str) -> None:
        try:
            await asyncio.to_thread(self._path(key).unlink, missing_ok=True)
        except OSError as error:
            raise storage_unavailable("local", error) from error


class S3Storage:
    """Objects in one bucket of S3 or any S3-compatible server."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        self._bucket = bucket
        self.client: S3Client = client or self._client(endpoint_url, region)

    @staticmethod
    def _client(endpoint_url: str | None, region: str | None) -> S3Client:
        import boto3
        from botocore.config import Config

        config = Config(
            # A store that is down answers 503 within seconds, not after botocore's
            # default minute of retries.
            connect_timeout=3,
            read_timeout=20,
            retries={"max_attempts": 2, "mode": "standard"},
            # Path-style addressing works on every S3-compatible server.
            s3={"addressing_style": "path"},
        )
        client: S3Client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )
        return client

    @property
    def bucket(self) -> str:
        return self._bucket

    async def _call(self, operation: str, **arguments: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        method = getattr(self.client, operation)
        try:
            return await asyncio.to_thread(method, Bucket=self._bucket, **arguments)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise StoredFileMissing(
                    "this page's file is missing from storage", details={"reason": "file_missing"}
                ) from None
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "RequestTimeout"):
                raise storage_unavailable("s3", error) from error
            # Access denied, a missing bucket: the configuration is wrong, not the weather.
            raise
        except BotoCoreError as error:  # connection refused, timeouts, DNS
            raise storage_unavailable("s3", error) from error

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._call("put_object", Key=_checked_key(key), Body=data, ContentType=content_type)

    async def get(self, key: str) -> bytes:
        answer = await self._call("get_object", Key=_checked_key(key))
        body = answer["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read)
        finally:
            body.close()
        return data

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=_checked_key(key))


# ---- from the settings ----------------------------------------------------------------


@lru_cache(maxsize=1)
def storage_settings() -> StorageSettings:
    return StorageSettings()


def default_storage_dir() -> Path:
    """`<LYCEUM_HOME>/mathvidya/answer-sheets`, anchored like the embedded database's."""
    return anchored(get_settings().lyceum_home / "mathvidya" / "answer-sheets").absolute()


@lru_cache(maxsize=1)
def configured_storage() -> SheetStorage:
    """The store the settings name (one per process)."""
    settings = storage_settings()
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise ConfigurationError(
                "MATHVIDYA_S3_BUCKET must name a bucket when MATHVIDYA_STORAGE=s3"
            )
        return S3Storage(
            settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
        )
    root = anchored(settings.storage_dir) if settings.storage_dir else default_storage_dir()
    return LocalStorage(root)


def signing_secret() -> bytes:
    """The key file links are signed with. In development without
    MATHVIDYA_FILE_SIGNING_SECRET, one derived from the platform's secret key (so links
    survive a restart); elsewhere its absence is a 503 on every route that signs or reads a
    link, as for the payment webhook's secret (service/billing.py)."""
    configured = storage_settings().file_signing_secret
    if configured is not None and configured.get_secret_value().strip():
        value = configured.get_secret_value().strip()
        if len(value) < MIN_SECRET_LENGTH and not get_settings().is_development:
            raise ServiceUnavailable(
                f"MATHVIDYA_FILE_SIGNING_SECRET must be at least {MIN_SECRET_LENGTH} characters;"
                " answer-sheet files cannot be served until it is",
                details={"dependency": "configuration", "variable": SECRET_VARIABLE},
                retry_after=300,
            )
        return value.encode()
    platform = get_settings()
    if platform.is_development:
        return hmac.new(
            platform.effective_secret_key.encode(), b"mathvidya answer-sheet links", hashlib.sha256
        ).digest()
    raise ServiceUnavailable(
        "answer-sheet files cannot be served: MATHVIDYA_FILE_SIGNING_SECRET is not set on this"
        " server",
        details={"dependency": "configuration", "variable": SECRET_VARIABLE},
        retry_after=300,
    )


def reset_storage_cache() -> None:
    """Re-read the settings and rebuild the store on next use (tests, reconfiguration)."""
    storage_settings.cache_clear()
    configured_storage.cache_clear()


__all__ = [
    "LOCAL_BUCKET",
    "LocalStorage",
    "S3Storage",
    "SheetStorage",
    "StorageSettings",
    "StoredFileMissing",
    "configured_storage",
    "default_storage_dir",
    "reset_storage_cache",
    "signing_secret",
    "storage_settings",
    "storage_unavailable",
]
