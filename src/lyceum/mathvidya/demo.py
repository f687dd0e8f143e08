"""The development demo accounts: the first generated account of each role gets a predictable
address (`synthetic/people.py` writes the same shape: the synthetic package imports only the
standard library; the browser tests sign in with these) and the published demo password, so a
person can try every role. They exist only where the generator ran, which it refuses to do in
production."""

from __future__ import annotations

from lyceum.mathvidya.enums import UserRole

DEMO_DOMAIN = "example.com"


def demo_email(role: UserRole) -> str:
    return f"demo.{role.value}@{DEMO_DOMAIN}"


DEMO_ACCOUNTS: tuple[str, ...] = tuple(demo_email(role) for role in UserRole)

__all__ = ["DEMO_ACCOUNTS", "DEMO_DOMAIN", "demo_email"]
