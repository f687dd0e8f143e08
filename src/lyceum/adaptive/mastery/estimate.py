"""A student's mastery of one concept, recomputed from all their attempts at it.

The server never takes mastery from a device: it recomputes it from the attempts it holds,
so devices that pushed the same attempts in any order, with any duplicates, end with the same
mastery. The estimate therefore depends on the set of attempts only: they are ordered by
(time, id) before use.

The estimator, until issue 18's knowledge tracing: recency-weighted accuracy (each older
attempt counts `DECAY` times the next newer one) shrunk toward one half by a Beta(1, 1)
prior, so one lucky answer is not mastery.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DECAY = 0.85


@dataclass(frozen=True, slots=True)
class Outcome:
    attempt_id: uuid.UUID
    attempted_at: datetime
    is_correct: bool


@dataclass(frozen=True, slots=True)
class MasteryEstimate:
    mastery: float
    attempts_count: int
    correct_count: int
    last_practiced_at: datetime | None


def estimate_mastery(outcomes: Iterable[Outcome]) -> MasteryEstimate:
    ordered = sorted(outcomes, key=lambda o: (o.attempted_at, o.attempt_id))
    weight_total = weighted_correct = 0.0
    for outcome in ordered:
        weight_total = weight_total * DECAY + 1.0
        weighted_correct = weighted_correct * DECAY + (1.0 if outcome.is_correct else 0.0)
    mastery = (weighted_correct + 1.0) / (weight_total + 2.0)
    return MasteryEstimate(
        mastery=round(mastery, 6),
        attempts_count=len(ordered),
        correct_count=sum(1 for o in ordered if o.is_correct),
        last_practiced_at=ordered[-1].attempted_at if ordered else None,
    )


__all__ = ["DECAY", "MasteryEstimate", "Outcome", "estimate_mastery"]
