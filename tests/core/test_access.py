"""Access policies as values: who each kind admits, how guards combine, how they read."""

from __future__ import annotations

import pytest

from lyceum.core.access import (
    PUBLIC,
    SIGNED_IN,
    AccessPolicy,
    ConflictingAccessPolicy,
    declare_access,
    declared_access,
    public,
)
from lyceum.core.auth import get_principal, require_roles


def test_public_admits_everyone_even_without_credentials() -> None:
    assert PUBLIC.admits(None)
    assert PUBLIC.admits([])
    assert PUBLIC.admits(["viewer"])


def test_signed_in_admits_any_valid_caller_and_nobody_else() -> None:
    assert not SIGNED_IN.admits(None)
    assert SIGNED_IN.admits([])
    assert SIGNED_IN.admits(["student"])


def test_a_roles_policy_needs_one_of_its_roles() -> None:
    operators = AccessPolicy.any_of("operator", "admin")
    assert operators.admits(["admin"])
    assert operators.admits(["viewer", "operator"])
    assert not operators.admits(["viewer"])
    assert not operators.admits([])
    assert not operators.admits(None)
    assert operators.roles == {"operator", "admin"}


def test_app_roles_are_just_other_role_names() -> None:
    # Mathvidya's roles (issue 15) need nothing new: a policy names them like any other.
    teachers = AccessPolicy.any_of("teacher", "admin")
    assert teachers.admits(["teacher"])
    assert not teachers.admits(["student", "parent"])


def test_two_guards_need_a_role_from_each() -> None:
    both = AccessPolicy.any_of("teacher").combine(AccessPolicy.any_of("admin", "operator"))
    assert both.clauses == (frozenset({"teacher"}), frozenset({"admin", "operator"}))
    assert both.admits(["teacher", "operator"])
    assert not both.admits(["teacher"])
    assert not both.admits(["operator"])
    assert both.describe() == "one of: teacher and one of: admin, operator"


def test_signed_in_adds_nothing_to_a_roles_guard() -> None:
    admins = AccessPolicy.any_of("admin")
    assert SIGNED_IN.combine(admins) == admins
    assert admins.combine(SIGNED_IN) == admins
    assert SIGNED_IN.combine(SIGNED_IN) == SIGNED_IN
    assert admins.combine(admins) == admins


def test_public_and_guarded_together_is_refused() -> None:
    with pytest.raises(ConflictingAccessPolicy, match="public and also guarded"):
        PUBLIC.combine(SIGNED_IN)
    with pytest.raises(ConflictingAccessPolicy):
        AccessPolicy.any_of("admin").combine(PUBLIC)
    assert PUBLIC.combine(PUBLIC) == PUBLIC


@pytest.mark.parametrize(
    "make",
    [
        lambda: AccessPolicy.any_of(),
        lambda: AccessPolicy.any_of("admin", ""),
        lambda: AccessPolicy("roles"),
        lambda: AccessPolicy("roles", (frozenset(),)),
        lambda: AccessPolicy("public", (frozenset({"admin"}),)),
    ],
)
def test_malformed_policies_are_refused(make: object) -> None:
    with pytest.raises(ValueError, match="role"):
        make()  # type: ignore[operator]


def test_the_guards_declare_what_they_enforce() -> None:
    assert declared_access(public) == PUBLIC
    assert declared_access(get_principal) == SIGNED_IN
    assert declared_access(require_roles("operator", "admin")) == AccessPolicy.any_of(
        "operator", "admin"
    )


def test_undeclared_callables_declare_nothing() -> None:
    async def plain() -> None:
        return None

    assert declared_access(plain) is None
    assert declared_access(len) is None  # a builtin cannot even be weakly referenced
    assert declare_access(SIGNED_IN)(plain) is plain
    assert declared_access(plain) == SIGNED_IN
