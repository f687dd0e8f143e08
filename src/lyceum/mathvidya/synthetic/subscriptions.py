"""Subscriptions: every student has one active year on one of the four plans, bought by their
primary parent; a quarter of them also have the year before it, now expired.

Years are half-open and back to back (the renewal starts the instant the old year ends), so a
student never holds two active subscriptions for overlapping periods. The plan's terms are
copied from the plan row; the amount paid is the plan's annual price. The monthly exam counter
is filled in from the exam history (`dataset`).
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from lyceum.mathvidya.enums import PlanType, SubscriptionStatus, UserRole
from lyceum.mathvidya.synthetic.catalog import AS_OF, IST, PLAN_SHARES, PlanTerms, new_id, stream
from lyceum.mathvidya.synthetic.people import YEAR, People, Student

_REFERENCE_CHARACTERS = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Holding:
    """A student's active subscription, as the exam history needs it."""

    id: uuid.UUID
    student: Student
    plan: PlanTerms
    starts_at: datetime
    ends_at: datetime
    row: dict[str, Any]


def month_start(moment: datetime) -> date:
    """The first day of `moment`'s month in IST (counters reset on the 1st, IST)."""
    local = moment.astimezone(IST)
    return date(local.year, local.month, 1)


def _reference(rng: Random, used: set[str]) -> str:
    while True:
        reference = "pay_" + "".join(rng.choice(_REFERENCE_CHARACTERS) for _ in range(14))
        if reference not in used:
            used.add(reference)
            return reference


def _row(
    rng: Random,
    student: Student,
    plan: PlanTerms,
    status: SubscriptionStatus,
    starts_at: datetime,
    created_at: datetime,
    used: set[str],
) -> dict[str, Any]:
    ends_at = starts_at + YEAR
    active = status is SubscriptionStatus.ACTIVE
    return {
        "id": new_id(rng),
        "user_id": student.id,
        "user_role": UserRole.STUDENT,
        "plan_id": plan.id,
        "status": status,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "exams_per_month": plan.exams_per_month,
        "sla_hours": plan.sla_hours,
        "leaderboard_access": plan.leaderboard_access,
        "exams_used_this_month": 0,
        "usage_month": month_start(AS_OF if active else ends_at - timedelta(days=1)),
        "amount_paid_inr": plan.annual_price_inr,
        "payment_reference": _reference(rng, used),
        "purchased_by_user_id": student.primary_parent,
        "auto_renew": rng.random() < (0.4 if active else 0.7),
        "cancelled_at": None,
        "cancellation_reason": None,
        "created_at": created_at,
        "updated_at": starts_at if active else ends_at,
    }


def build_subscriptions(
    people: People, plans: Sequence[PlanTerms], seed: int
) -> tuple[list[dict[str, Any]], list[Holding]]:
    by_type = {plan.plan_type: plan for plan in plans}
    missing = set(PLAN_SHARES) - set(by_type)
    if missing:
        raise ValueError(f"plans missing: {', '.join(sorted(missing))}")
    rng = stream(seed, "subscriptions")
    kinds = list(PLAN_SHARES)
    weights = list(PLAN_SHARES.values())
    used: set[str] = set()
    rows: list[dict[str, Any]] = []
    holdings: list[Holding] = []
    for index, student in enumerate(people.students):
        # The demo student can see the leaderboard.
        kind = PlanType.PREMIUM if index == 0 else rng.choices(kinds, weights)[0]
        plan = by_type[kind]
        if student.previous_start is not None:
            earlier = by_type[rng.choices(kinds, weights)[0]]
            bought = student.previous_start - timedelta(minutes=rng.uniform(1, 30))
            rows.append(
                _row(
                    rng,
                    student,
                    earlier,
                    SubscriptionStatus.EXPIRED,
                    student.previous_start,
                    bought,
                    used,
                )
            )
            created = student.current_start - timedelta(days=rng.uniform(1, 20))
        else:
            created = student.current_start - timedelta(minutes=rng.uniform(1, 30))
        row = _row(
            rng, student, plan, SubscriptionStatus.ACTIVE, student.current_start, created, used
        )
        rows.append(row)
        holdings.append(Holding(row["id"], student, plan, row["starts_at"], row["ends_at"], row))
    return rows, holdings


__all__ = ["Holding", "build_subscriptions", "month_start"]
