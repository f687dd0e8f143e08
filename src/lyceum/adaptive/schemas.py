"""The adaptive app's API models (separate from the ORM models in `models.py`)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from lyceum.core.request import FROM_JSON_TEXT, RequestBody


class TopicNode(BaseModel):
    """A topic of the knowledge graph with the topics to learn before it."""

    code: str
    name: str
    grade: int
    parent_code: str | None
    syllabus_weightage: float
    prerequisites: list[str]
    concepts: int


class KnowledgeGraph(BaseModel):
    grade: int | None
    topics: list[TopicNode]


# ---- sync (issue 17): the wire format, shared by the server and the device's client ----

DeviceId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="The device's own id: letters, digits and . _ : - (chosen once per device).",
    ),
]
# Operations per push; a device sends its queue in batches of at most this many.
MAX_PUSH_BATCH = 500
# Changes per pull page.
MAX_PULL_PAGE = 5_000


class PushedOperation(RequestBody):
    """One queued operation, as the device stored it (`sync_operations`)."""

    id: Annotated[uuid.UUID, FROM_JSON_TEXT] = Field(
        description="The operation's id, made on the device; the server applies it once."
    )
    entity_type: Annotated[str, Field(min_length=1, max_length=50)]
    entity_id: Annotated[uuid.UUID, FROM_JSON_TEXT]
    operation: Annotated[str, Field(min_length=1, max_length=20)]
    payload: dict[str, Any] = Field(
        description="Checked per operation: a malformed payload rejects that operation only."
    )


class PushRequest(RequestBody):
    device_id: DeviceId
    operations: Annotated[list[PushedOperation], Field(min_length=1, max_length=MAX_PUSH_BATCH)]
    # What the device's queue holds besides this batch, for the teachers' view.
    pending_operations: Annotated[int, Field(ge=0, le=10_000_000)] = 0
    dead_letters: Annotated[int, Field(ge=0, le=10_000_000)] = 0


class OperationOutcome(enum.StrEnum):
    APPLIED = "applied"
    # Applied before (a retry or a duplicated message): success, nothing changed.
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class OperationResult(BaseModel):
    id: uuid.UUID
    status: OperationOutcome
    reason: str | None = None


class PushResponse(BaseModel):
    results: list[OperationResult] = Field(description="One per operation, in the request's order.")
    applied: int
    duplicates: int
    rejected: int


class PullParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: DeviceId
    cursor: int = Field(default=0, ge=0, description="The last `seq` the device applied.")
    limit: int = Field(default=1_000, ge=1, le=MAX_PULL_PAGE)


class ChangeKind(enum.StrEnum):
    UPSERT = "upsert"
    DELETE = "delete"


class Change(BaseModel):
    seq: int
    entity_type: str
    entity_id: uuid.UUID
    op: ChangeKind
    # The row as the device stores it (JSON types: ids and instants as text); null on delete.
    row: dict[str, Any] | None


class PullResponse(BaseModel):
    epoch: uuid.UUID = Field(
        description="The change log's epoch: when it differs from the device's, the device "
        "drops what it pulled and pulls from cursor 0."
    )
    cursor: int = Field(description="Where the next pull starts.")
    has_more: bool
    changes: list[Change]
    retry_operations: list[uuid.UUID] = Field(
        description="Rejected operations of this device that a teacher asked it to send again."
    )


class DeviceState(BaseModel):
    student_id: uuid.UUID
    username: str
    full_name: str | None
    device_id: str
    last_push_at: datetime | None
    last_pull_at: datetime | None
    cursor: int
    changes_behind: int = Field(description="Changes for this student not yet pulled.")
    pending_operations: int
    dead_letters: int
    operations_applied: int


class DeadLetter(BaseModel):
    operation_id: uuid.UUID
    student_id: uuid.UUID
    username: str
    full_name: str | None
    device_id: str
    entity_type: str
    operation: str
    reason: str
    times_received: int
    first_received_at: datetime
    last_received_at: datetime
    retry_requested_at: datetime | None


class SyncOverview(BaseModel):
    devices: list[DeviceState]
    dead_letters: list[DeadLetter]


class RetryRequested(BaseModel):
    operation_id: uuid.UUID
    retry_requested_at: datetime


__all__ = [
    "MAX_PULL_PAGE",
    "MAX_PUSH_BATCH",
    "Change",
    "ChangeKind",
    "DeadLetter",
    "DeviceId",
    "DeviceState",
    "KnowledgeGraph",
    "OperationOutcome",
    "OperationResult",
    "PullParams",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "PushedOperation",
    "RetryRequested",
    "SyncOverview",
    "TopicNode",
]
