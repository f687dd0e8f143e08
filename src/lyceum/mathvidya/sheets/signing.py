"""Signed, expiring links to one stored file.

A token is `<upload id hex>.<expiry unix seconds>.<purpose>.<mac>`, where `mac` is the
HMAC-SHA256 of `"<upload id>|<expiry>|<purpose>"` under the server's secret, base64url without
padding. Every part is URL-safe, so the token is a path segment as it stands. It carries its
own authority: whoever holds it may read that one file until it expires, which is why links
are short-lived (`upload.signed_url_seconds`) and never logged by us.

`read_token` checks, in order: the shape (`malformed`), the MAC in constant time (`forged`:
any change to the id, expiry or purpose lands here, so a tampered expiry is a forgery, not
an extension), the purpose (`wrong_purpose`), then the time (`expired`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

PURPOSE = re.compile(r"[a-z][a-z0-9-]{0,31}")
_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9]{1,12})\.([a-z][a-z0-9-]{0,31})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True, slots=True)
class SignedFile:
    """What a valid token grants: reading `upload_id` until `expires_at` (unix seconds)."""

    upload_id: uuid.UUID
    expires_at: int
    purpose: str


class TokenRefused(ValueError):
    """A token that grants nothing; `reason` is malformed, forged, wrong_purpose or expired."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _mac(secret: bytes, upload_id: uuid.UUID, expires_at: int, purpose: str) -> str:
    signed = f"{upload_id}|{expires_at}|{purpose}".encode()
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: bytes, upload_id: uuid.UUID, expires_at: int, purpose: str) -> str:
    """A token granting `purpose` on `upload_id` until `expires_at` (unix seconds)."""
    if not secret:
        raise ValueError("a signing secret must not be empty")
    if not PURPOSE.fullmatch(purpose):
        raise ValueError(f"a purpose is lower-case letters, digits and dashes, got {purpose!r}")
    if not 0 <= expires_at < 10**12:
        raise ValueError(f"an expiry is unix seconds, got {expires_at}")
    mac = _mac(secret, upload_id, expires_at, purpose)
    return f"{upload_id.hex}.{expires_at}.{purpose}.{mac}"


def read_token(secret: bytes, token: str, purpose: str, *, now: float) -> SignedFile:
    """What `token` grants for `purpose` at `now` (unix seconds); `TokenRefused` otherwise."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise TokenRefused("malformed", "this is not a file link this site made")
    id_hex, expiry_text, token_purpose, mac = match.groups()
    try:
        upload_id = uuid.UUID(hex=id_hex)
        base64.urlsafe_b64decode(mac + "=")
    except (ValueError, binascii.Error):
        raise TokenRefused("malformed", "this is not a file link this site made") from None
    expires_at = int(expiry_text)
    expected = _mac(secret, upload_id, expires_at, token_purpose)
    if not hmac.compare_digest(expected.encode(), mac.encode()):
        raise TokenRefused("forged", "this file link has been altered or was not made by this site")
    if token_purpose != purpose:
        raise TokenRefused("wrong_purpose", "this link is not for reading this kind of file")
    if now >= expires_at:
        raise TokenRefused(
            "expired", "this file link has expired; open the list of pages again for a fresh one"
        )
    return SignedFile(upload_id, expires_at, token_purpose)


__all__ = ["PURPOSE", "SignedFile", "TokenRefused", "make_token", "read_token"]
