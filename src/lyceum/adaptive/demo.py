"""The development demo accounts of the adaptive app: the first generated account of each role
signs in as `demo.<role>@adaptive.example.com` with the published demo password; every
other generated account as `<username>@adaptive.example.com`. They exist only where the
generator ran, which it refuses to do in production."""

from __future__ import annotations

from lyceum.adaptive.enums import UserRole

EMAIL_DOMAIN = "adaptive.example.com"


def demo_email(role: UserRole) -> str:
    return f"demo.{role.value}@{EMAIL_DOMAIN}"


def account_email(username: str) -> str:
    return f"{username.lower()}@{EMAIL_DOMAIN}"


DEMO_ACCOUNTS: tuple[str, ...] = tuple(demo_email(role) for role in UserRole)

__all__ = ["DEMO_ACCOUNTS", "EMAIL_DOMAIN", "account_email", "demo_email"]
