"""The offline sync's pure rules (no database, no HTTP): the hybrid logical clock, what each
kind of operation may carry and how it merges, and the client's retry delays. The server
(`service/sync_push.py`, `service/sync_pull.py`) and the device (`device/`) both use them,
so the two sides cannot disagree about a rule."""

from lyceum.adaptive.sync.backoff import retry_delay
from lyceum.adaptive.sync.clock import Clock, HybridClock
from lyceum.adaptive.sync.merge import FieldWrite, merge_profile_fields
from lyceum.adaptive.sync.operations import (
    ATTEMPT,
    PLAN_EVENT,
    PROFILE,
    AttemptPayload,
    PlanEventPayload,
    ProfilePayload,
    Rejection,
    answers_match,
    parse_payload,
)

__all__ = [
    "ATTEMPT",
    "PLAN_EVENT",
    "PROFILE",
    "AttemptPayload",
    "Clock",
    "FieldWrite",
    "HybridClock",
    "PlanEventPayload",
    "ProfilePayload",
    "Rejection",
    "answers_match",
    "merge_profile_fields",
    "parse_payload",
    "retry_delay",
]
