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

    def has_any_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


__all__ = ["JWT_ALGORITHM", "Principal"]
