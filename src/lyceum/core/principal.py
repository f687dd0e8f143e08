"""Who is calling: the `Principal` every guard returns, however the caller proved it (a
bearer JWT, the development demo token, or a browser session cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Pinned for every token we sign or read: the token's own header never chooses the algorithm
# (no `none`, no RS256/HS256 key confusion, no silent upgrade to another HMAC).
JWT_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and with which roles; `via` tells how they proved it."""

    subject: str
    roles: frozenset[str]
    via: Literal["jwt", "demo_token", "session"]
    # The person's name where the credential carries one (a page session does), for what
    # people read, e.g. "paused by Olu Operator"; `subject` stays the identity.
    name: str | None = None

    @property
    def label(self) -> str:
        """How to name the caller to people: their name, else their subject."""
        return self.name or self.subject

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


__all__ = ["JWT_ALGORITHM", "Principal"]
