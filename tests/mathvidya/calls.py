"""Calling Mathvidya's API in tests: a Mathvidya account's bearer token, and the fields a
422 names."""

from __future__ import annotations

import uuid

import httpx

from tests.fixtures.tokens import token_for


def as_account(role: str, user_id: uuid.UUID) -> dict[str, str]:
    """The Authorization header of the Mathvidya account `user_id` holding `role`."""
    return token_for(f"mathvidya:{role}", subject=str(user_id))


def error_fields(answer: httpx.Response) -> set[str]:
    """The fields a 422 names: Pydantic's locations, or the service's `field`."""
    details = answer.json()["error"]["details"]
    if isinstance(details, list):
        return {str(problem["loc"][-1]) for problem in details if problem.get("loc")}
    return {details["field"]} if details and details.get("field") else set()
