"""Family links as the API takes and answers them.

What each side sees is deliberately little: a parent sees each linked child's name, class,
how they are related and whether they are the primary contact; a student sees the same of
each linked parent. No e-mail, phone or school crosses a link, and no list shows anybody
linked to the person on the other side (see `service/family.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from lyceum.core.request import FROM_JSON_TEXT, RequestBody
from lyceum.mathvidya.enums import RelationshipType


class InviteIssued(BaseModel):
    """An invite code, shown once: only its hash is kept."""

    code: str = Field(description='Eight characters in two groups, e.g. "K7QM-3XPD".')
    expires_at: datetime
    message: str


class LinkRequest(RequestBody):
    code: Annotated[
        str,
        Field(
            min_length=1,
            max_length=32,
            description="The invite code the student's account issued (case and dashes"
            " do not matter).",
        ),
    ]
    relationship_type: Annotated[RelationshipType, FROM_JSON_TEXT]


class PrimaryContactChange(RequestBody):
    mapping_id: Annotated[uuid.UUID, FROM_JSON_TEXT] = Field(
        description="The link (from /family/parents or /family/children) whose parent becomes"
        " the student's primary contact."
    )


class Child(BaseModel):
    """A linked child, as their parent sees them."""

    mapping_id: uuid.UUID
    student_id: uuid.UUID
    first_name: str
    last_name: str
    student_class: Literal["X", "XII"] | None
    relationship_type: RelationshipType
    is_primary_contact: bool


class LinkedParent(BaseModel):
    """A linked parent, as their child sees them."""

    mapping_id: uuid.UUID
    parent_id: uuid.UUID
    first_name: str
    last_name: str
    relationship_type: RelationshipType
    is_primary_contact: bool


class PrimaryContact(BaseModel):
    mapping_id: uuid.UUID
    student_id: uuid.UUID
    parent_id: uuid.UUID
    is_primary_contact: Literal[True] = True


__all__ = [
    "Child",
    "InviteIssued",
    "LinkRequest",
    "LinkedParent",
    "PrimaryContact",
    "PrimaryContactChange",
]
