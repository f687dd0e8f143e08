"""Who may call a route at all: an access policy every route declares and tests can read.

A policy is attached to the dependency that enforces it (`declare_access`): `get_principal`
carries `SIGNED_IN`, every `require_roles(...)` result carries `AccessPolicy.any_of(...)`,
and the `public` marker carries `PUBLIC` for the routes that are open on purpose (health,
login). The web edge reads a route's policy from its dependency tree
(`lyceum.web.access`), so the authorization matrix and the OpenAPI document follow the
code instead of a list kept beside it, and a route that declares nothing is an error.

A policy answers one question: may a caller holding these roles call this route? Whether
the caller may touch *this* object (a student's own exam, a parent's child) is an ownership
rule: the service checks it per object, and each app tests it with its own data.

Roles are plain strings. The operator accounts' roles are `core.models.OPERATOR_ROLES`;
app-specific roles (Mathvidya's student, parent, teacher, admin) are other strings a token
carries, and a policy naming them needs nothing new here. A role string means the same on
every route, so an app role that must not pass the platform's guards takes a name of its
own (`mathvidya:admin`, not `admin`).

Pure: no FastAPI, no database. This module holds only the type, the marker and the record
of which dependency declares which policy.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

AccessKind = Literal["public", "signed_in", "roles"]


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Who may call a route.

    - `public`: anyone, with or without credentials (credentials are not even read);
    - `signed_in`: any caller with valid credentials, whatever their roles;
    - `roles`: a caller with valid credentials holding, for every clause, at least one of
      that clause's roles. One guard is one clause (`any_of("operator", "admin")`); a
      route behind two guards needs a role from each (`combine`).
    """

    kind: AccessKind
    clauses: tuple[frozenset[str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "roles":
            if not self.clauses or not all(self.clauses):
                raise ValueError("a roles policy needs at least one role in every clause")
        elif self.clauses:
            raise ValueError(f"a {self.kind} policy names no roles")

    @classmethod
    def any_of(cls, *roles: str) -> AccessPolicy:
        """Callers holding at least one of `roles`."""
        if not roles or any(not role for role in roles):
            raise ValueError("name at least one role, and no empty role")
        return cls("roles", (frozenset(roles),))

    @property
    def roles(self) -> frozenset[str]:
        """Every role the policy names."""
        return frozenset().union(*self.clauses)

    def admits(self, roles: Iterable[str] | None) -> bool:
        """Whether a caller may call the route; `roles` is None for a caller without valid
        credentials (none sent, malformed, forged, expired)."""
        if self.kind == "public":
            return True
        if roles is None:
            return False
        held = frozenset(roles)
        return all(not clause.isdisjoint(held) for clause in self.clauses)

    def combine(self, other: AccessPolicy) -> AccessPolicy:
        """The policy of a route behind both guards: a caller must satisfy each."""
        if "public" in (self.kind, other.kind):
            if self.kind == other.kind:
                return self
            raise ConflictingAccessPolicy(
                "a route is marked public and also guarded; drop one of the two"
            )
        if self.kind == "signed_in":
            return other
        if other.kind == "signed_in":
            return self
        clauses = tuple(dict.fromkeys((*self.clauses, *other.clauses)))
        return AccessPolicy("roles", clauses)

    def describe(self) -> str:
        if self.kind == "public":
            return "public"
        if self.kind == "signed_in":
            return "any signed-in caller"
        return " and ".join("one of: " + ", ".join(sorted(clause)) for clause in self.clauses)


class ConflictingAccessPolicy(ValueError):
    """A route declares policies that cannot both hold (public and guarded)."""


PUBLIC = AccessPolicy("public")
SIGNED_IN = AccessPolicy("signed_in")

# Dependency callable → the policy it enforces. Weak keys: `require_roles` makes a new
# closure per call, and an app built in a test must not keep its closures alive.
_DECLARED: weakref.WeakKeyDictionary[Callable[..., Any], AccessPolicy] = weakref.WeakKeyDictionary()

DependencyT = TypeVar("DependencyT", bound=Callable[..., Any])


def declare_access(policy: AccessPolicy) -> Callable[[DependencyT], DependencyT]:
    """Record that the decorated dependency enforces `policy` (it must really do so: the
    authorization matrix checks every route against what its dependencies declare)."""

    def register(dependency: DependencyT) -> DependencyT:
        _DECLARED[dependency] = policy
        return dependency

    return register


def declared_access(dependency: Callable[..., Any]) -> AccessPolicy | None:
    """The policy `dependency` declares, if any."""
    try:
        return _DECLARED.get(dependency)
    except TypeError:  # not weak-referenceable (a builtin): it declares nothing
        return None


@declare_access(PUBLIC)
async def public() -> None:
    """Marks a route as open to anyone: `dependencies=[Depends(public)]`.

    It does nothing at request time; it exists so that "open" is a decision written next
    to the route, not the absence of a guard. (Async: a sync dependency would be run in
    the thread pool for nothing.)
    """


__all__ = [
    "PUBLIC",
    "SIGNED_IN",
    "AccessKind",
    "AccessPolicy",
    "ConflictingAccessPolicy",
    "declare_access",
    "declared_access",
    "public",
]
