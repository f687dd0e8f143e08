"""Accounts as the API takes and answers them: sign-up, the profile, password reset, and the
admins' user management.

Bodies are strict (`RequestBody`) and check what a person can get wrong, so a mistake is a 422
naming its field before anything is written: e-mails are trimmed and lower-cased
(`normalise_email`, plus the dotted domain the `users` table demands), names trimmed and
non-blank, phones 10-15 digits (spaces and dashes dropped), passwords 12 to 1024 characters
(long enough to resist guessing; bounded because every character costs Argon2 time).
An account is never answered with its password hash.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from lyceum.core.operators import InvalidEmail, normalise_email
from lyceum.core.query import QueryParams
from lyceum.core.request import RequestBody
from lyceum.mathvidya.enums import UserRole

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 255  # the column's length
MAX_NAME_LENGTH = 100
MAX_SCHOOL_LENGTH = 200

# 10 to 15 digits, an optional leading +, spaces and dashes between: the one rule, stated in
# the OpenAPI document as the field's pattern and applied by `_phone`, which then keeps only
# the + and the digits.
PHONE_PATTERN = r"^[ -]*\+?(?:[ -]*[0-9]){10,15}[ -]*$"
_PHONE = re.compile(PHONE_PATTERN)
_PHONE_SEPARATORS = re.compile(r"[ -]")
# A name or a school: something besides spaces, and no control characters. Stated in the
# OpenAPI document as the field's pattern and applied by `_text` with a sentence of its own.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
_TEXT = re.compile(TEXT_PATTERN)


def _email(value: str) -> str:
    try:
        email = normalise_email(value)
    except InvalidEmail as exc:
        raise PydanticCustomError(
            "value_error", "value is not a valid email address: {reason}", {"reason": str(exc)}
        ) from None
    if "." not in email.rpartition("@")[2]:
        raise PydanticCustomError(
            "value_error",
            "value is not a valid email address: the domain needs a dot, e.g. example.org",
        )
    return email


def _text(value: str) -> str:
    if _TEXT.search(value) is None:
        raise PydanticCustomError("value_error", "must not be blank nor contain control characters")
    return value.strip()


def _phone(value: str) -> str:
    if _PHONE.fullmatch(value) is None:
        raise PydanticCustomError(
            "value_error",
            "expected 10 to 15 digits, optionally after a + and with spaces or dashes between,"
            " e.g. +91 98765 43210",
        )
    return _PHONE_SEPARATORS.sub("", value)


Email = Annotated[
    str,
    Field(min_length=1, max_length=MAX_EMAIL_LENGTH, json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    ),
]
Name = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_LENGTH, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(_text),
]
Phone = Annotated[
    str,
    # The pattern is documented, not enforced by Pydantic: `_phone` applies it with a
    # sentence a person understands instead of Pydantic's "should match pattern".
    Field(min_length=10, max_length=24, json_schema_extra={"pattern": PHONE_PATTERN}),
    AfterValidator(_phone),
]
School = Annotated[
    str,
    Field(min_length=1, max_length=MAX_SCHOOL_LENGTH, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(_text),
]
StaffRole = Literal["teacher", "admin"]


class ParentSignUp(RequestBody):
    email: Email
    password: NewPassword
    first_name: Name
    last_name: Name
    phone: Phone | None = None


class StudentSignUp(ParentSignUp):
    student_class: Literal["X", "XII"] = Field(description="CBSE class: X or XII.")
    school_name: School | None = None


class StaffCreate(ParentSignUp):
    """An admin creating a teacher's or another admin's account."""

    role: StaffRole


class ProfileChange(RequestBody):
    """Only the fields given change; `phone` and `school_name` may be set to null to clear
    them. The school is a student's only."""

    first_name: Name | None = None
    last_name: Name | None = None
    phone: Phone | None = None
    school_name: School | None = None


class PasswordResetRequest(RequestBody):
    email: Email


class PasswordResetConfirm(RequestBody):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: NewPassword


class UserChange(RequestBody):
    """An admin's change to an account: activate/deactivate it, or move a staff account
    between teacher and admin."""

    is_active: bool | None = None
    role: StaffRole | None = None


class UserListParams(QueryParams):
    role: UserRole | None = None
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00]*$",
        description="Part of a name or an e-mail address (case-insensitive).",
    )
    is_active: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class Account(BaseModel):
    """An account as its holder and admins see it (never its password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: UserRole
    first_name: str
    last_name: str
    phone: str | None
    student_class: Literal["X", "XII"] | None
    school_name: str | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class AccountPage(BaseModel):
    items: list[Account]
    total: int
    limit: int
    offset: int


class Accepted(BaseModel):
    message: str


class Done(BaseModel):
    message: str


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "Accepted",
    "Account",
    "AccountPage",
    "Done",
    "ParentSignUp",
    "PasswordResetConfirm",
    "PasswordResetRequest",
    "ProfileChange",
    "StaffCreate",
    "StudentSignUp",
    "UserChange",
    "UserListParams",
]
