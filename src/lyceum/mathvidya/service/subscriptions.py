"""Subscriptions: buy, list, activate, renew, upgrade, cancel (issue 15; seed 003).

Who may do what:

- **buy** (`subscribe`): a student for themself, or a parent for a linked child. The new
  subscription is `pending` (it grants nothing) until a payment (the provider's webhook,
  `service/billing.py`) or an admin activates it. Its terms are copied from the plan. Its
  planned period is one year from now, or, when the student already holds an active
  subscription, one year from the end of it (a **renewal**, which may be bought early). A
  student has at most one pending subscription at a time: pay for it or cancel it first.
- **activate**: `starts_at` becomes the later of now and the planned start, `ends_at` one
  year later (plus any upgrade credit, below). Overlapping active periods are refused by the
  exclusion constraint `ex_subscriptions_no_overlapping_active`, the only arbiter that cannot
  race; a check first gives the usual case a sentence naming the overlapping period.
- **list**: owner, linked parent, admin; the subscription in force first, with this India-time
  month's remaining exams and the day the quota resets.
- **cancel**: the student, the parent who paid for it (while linked), or an admin; a pending
  or active subscription becomes `cancelled` at once. No refund is computed here.
- **upgrade** to a plan with a higher price (the student or a linked parent, while the
  current subscription is in force): the current subscription is cancelled from now and a
  new pending one for the new plan is created, starting now.

**The upgrade's price rule.** A payment is always the new plan's full annual price (so the
webhook's check "the amount is the plan's price" holds for every subscription). The unused
part of the old subscription is credited in time instead of money: its unused value, i.e.
what was paid for it (or, if an admin activated it without a payment, its plan's price)
times the unused fraction of its period, buys whole days of the new plan at the new plan's
daily rate (annual price / days of the year), rounded down; those days are added to the new
subscription's year. Exams already used this month carry over (capped at the new quota),
so an upgrade never hands out a fresh month. An upgrade is refused while a renewal (another
active period after the current one) exists: cancel the renewal first.

The current subscription stops at the upgrade, not when the new one is paid for: until then
the student has no plan in force. That is the rule issue 15 asks for; the credit is kept on
the pending subscription (its planned period), so nothing is lost by paying later.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from lyceum.mathvidya.calendar_ist import (
    IST,
    add_years,
    exams_remaining,
    ist_month_start,
    next_reset,
)
from lyceum.mathvidya.enums import PlanType, SubscriptionStatus, UserRole
from lyceum.mathvidya.models import Subscription, SubscriptionPlan
from lyceum.mathvidya.repository import subscriptions as repository
from lyceum.mathvidya.schemas import subscriptions as schemas
from lyceum.mathvidya.service import audit
from lyceum.mathvidya.service.audit import Actor, Origin
from lyceum.mathvidya.service.ownership import may_read_student, require_student_access

ENTITY = "subscription"
NOT_FOUND = "no such subscription"


def utc_now() -> datetime:
    return datetime.now(UTC)


def ist_text(at: datetime) -> str:
    return at.astimezone(IST).strftime("%d %b %Y %H:%M IST")


def _not_found() -> NotFound:
    return NotFound(NOT_FOUND, details={"reason": "not_found"})


# ---- reading -------------------------------------------------------------------------------


def is_current(row: Subscription, at: datetime) -> bool:
    """In force at `at`: active and `starts_at <= at < ends_at`. An active row whose period
    ended (the nightly job has not run yet) is not current, nor is an expired one."""
    return row.status is SubscriptionStatus.ACTIVE and row.starts_at <= at < row.ends_at


def view(row: Subscription, plan: SubscriptionPlan, at: datetime) -> schemas.SubscriptionView:
    current = is_current(row, at)
    return schemas.SubscriptionView(
        id=row.id,
        student_id=row.user_id,
        plan_type=plan.plan_type,
        plan_name=plan.display_name,
        status=row.status,
        is_current=current,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        exams_per_month=row.exams_per_month,
        sla_hours=row.sla_hours,
        leaderboard_access=row.leaderboard_access,
        exams_remaining_this_month=(
            exams_remaining(row.exams_per_month, row.exams_used_this_month, row.usage_month, at)
            if current
            else None
        ),
        amount_paid_inr=row.amount_paid_inr,
        price_inr=plan.annual_price_inr,
        payment_reference=row.payment_reference,
        purchased_by_user_id=row.purchased_by_user_id,
        cancelled_at=row.cancelled_at,
        cancellation_reason=row.cancellation_reason,
        created_at=row.created_at,
    )


async def _view_of(db: AsyncSession, row: Subscription, at: datetime) -> schemas.SubscriptionView:
    plan = await repository.plan_by_id(db, row.plan_id)
    assert plan is not None  # RESTRICT keeps a plan in use
    return view(row, plan, at)


async def student_subscriptions(
    db: AsyncSession, actor: Actor, student_id: uuid.UUID | None
) -> schemas.StudentSubscriptions:
    if student_id is None:
        if actor.role is not UserRole.STUDENT:
            raise InvalidInput(
                "name the student whose subscriptions to list (student_id)",
                details={"field": "student_id"},
            )
        student_id = actor.user_id
    await require_student_access(db, actor, student_id)
    at = utc_now()
    rows = await repository.student_subscriptions(db, student_id)
    plans = await repository.plans_by_id(db, {row.plan_id for row in rows})
    views = [view(row, plans[row.plan_id], at) for row in rows]
    views.sort(key=lambda item: not item.is_current)  # stable: latest first otherwise
    current = views[0] if views and views[0].is_current else None
    return schemas.StudentSubscriptions(
        student_id=student_id,
        current_subscription_id=current.id if current else None,
        exams_remaining_this_month=(current.exams_remaining_this_month or 0) if current else 0,
        quota_resets_on=next_reset(at),
        subscriptions=views,
    )


# ---- buying --------------------------------------------------------------------------------


async def _plan_on_sale(db: AsyncSession, plan_type: PlanType) -> SubscriptionPlan:
    plan = await repository.plan_by_type(db, plan_type)
    if plan is None or not plan.is_active:
        raise InvalidInput(
            f"the plan {plan_type.value!r} is not on sale", details={"field": "plan_type"}
        )
    return plan


async def _buyer_may_act_for(db: AsyncSession, actor: Actor, student_id: uuid.UUID) -> None:
    """A student for themself, a parent for a linked child (404 otherwise, as for anything a
    caller may not read); an admin or teacher does not buy."""
    if actor.role not in (UserRole.STUDENT, UserRole.PARENT):
        raise Forbidden("only a student or a linked parent buys a subscription")
    await require_student_access(db, actor, student_id)


async def _refuse_second_pending(db: AsyncSession, student_id: uuid.UUID) -> None:
    pending = await repository.pending_of(db, student_id)
    if pending is not None:
        raise Conflict(
            "this student already has a subscription awaiting payment; pay for it or cancel"
            " it before buying another",
            details={"pending_subscription_id": str(pending.id)},
        )


async def _create_pending(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    student_id: uuid.UUID,
    plan: SubscriptionPlan,
    *,
    action: str = "subscription.requested",
    starts_at: datetime | None = None,
    extra: timedelta = timedelta(0),
    exams_used: int = 0,
    details: dict[str, object] | None = None,
) -> schemas.SubscriptionView:
    at = utc_now()
    renewal_from = None
    if starts_at is None:
        renewal_from = await repository.last_active_end(db, student_id, at)
        starts_at = max(renewal_from or at, at)
    row = await repository.add_subscription(
        db,
        user_id=student_id,
        plan_id=plan.id,
        status=SubscriptionStatus.PENDING,
        starts_at=starts_at,
        ends_at=add_years(starts_at) + extra,
        exams_per_month=plan.exams_per_month,
        sla_hours=plan.sla_hours,
        leaderboard_access=plan.leaderboard_access,
        exams_used_this_month=min(exams_used, plan.exams_per_month),
        usage_month=ist_month_start(at),
        purchased_by_user_id=actor.user_id,
    )
    await audit.record(
        db,
        action,
        ENTITY,
        row.id,
        actor=actor,
        origin=origin,
        details={
            "student_id": str(student_id),
            "plan_type": plan.plan_type.value,
            "price_inr": str(plan.annual_price_inr),
            "renewal": renewal_from is not None,
            **(details or {}),
        },
    )
    return view(row, plan, at)


async def subscribe(
    db: AsyncSession, actor: Actor, origin: Origin, body: schemas.SubscribeBody
) -> schemas.SubscriptionView:
    if body.student_id is None:
        if actor.role is not UserRole.STUDENT:
            raise InvalidInput(
                "name the child this subscription is for (student_id)",
                details={"field": "student_id"},
            )
        student_id = actor.user_id
    else:
        student_id = body.student_id
    await _buyer_may_act_for(db, actor, student_id)
    plan = await _plan_on_sale(db, body.plan_type)
    await _refuse_second_pending(db, student_id)
    return await _create_pending(db, actor, origin, student_id, plan)


async def _readable(
    db: AsyncSession, actor: Actor, subscription_id: uuid.UUID, *, lock: bool = True
) -> Subscription:
    row = await repository.subscription(db, subscription_id, for_update=lock)
    if row is None or not await may_read_student(db, actor, row.user_id):
        raise _not_found()
    return row


async def renew(
    db: AsyncSession, actor: Actor, origin: Origin, subscription_id: uuid.UUID
) -> schemas.SubscriptionView:
    """A pending subscription for the same plan, starting when the student's active period
    ends (now if none is running)."""
    row = await _readable(db, actor, subscription_id, lock=False)
    await _buyer_may_act_for(db, actor, row.user_id)
    plan = await repository.plan_by_id(db, row.plan_id)
    assert plan is not None
    if not plan.is_active:
        raise Conflict(
            f"the plan {plan.display_name} is no longer on sale; choose another plan",
            details={"plan_type": plan.plan_type.value},
        )
    await _refuse_second_pending(db, row.user_id)
    return await _create_pending(
        db, actor, origin, row.user_id, plan, details={"renews_subscription_id": str(row.id)}
    )


def upgrade_credit(
    paid: Decimal, starts_at: datetime, ends_at: datetime, at: datetime, new_price: Decimal
) -> timedelta:
    """Whole days of the new plan bought by the unused value of the old subscription (see
    the module's price rule)."""
    total = (ends_at - starts_at).total_seconds()
    unused = max(0.0, (ends_at - max(at, starts_at)).total_seconds())
    if total <= 0 or unused <= 0 or paid <= 0:
        return timedelta(0)
    value = paid * Decimal(unused) / Decimal(total)
    year_days = Decimal((add_years(at) - at).days)
    days = (value / (new_price / year_days)).to_integral_value(rounding=ROUND_FLOOR)
    return timedelta(days=int(days))


async def upgrade(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    subscription_id: uuid.UUID,
    body: schemas.UpgradeBody,
) -> schemas.SubscriptionView:
    row = await _readable(db, actor, subscription_id)
    await _buyer_may_act_for(db, actor, row.user_id)
    at = utc_now()
    if not is_current(row, at):
        raise Conflict(
            "only the subscription in force can be upgraded; buy a new plan instead",
            details={"status": row.status.value},
        )
    old_plan = await repository.plan_by_id(db, row.plan_id)
    assert old_plan is not None
    new_plan = await _plan_on_sale(db, body.plan_type)
    if new_plan.annual_price_inr <= old_plan.annual_price_inr:
        raise InvalidInput(
            f"{new_plan.display_name} is not a higher plan than {old_plan.display_name}",
            details={"field": "plan_type"},
        )
    await _refuse_second_pending(db, row.user_id)
    later = await repository.last_active_end(db, row.user_id, at)
    if later is not None and later > row.ends_at:
        raise Conflict(
            "this student has a renewal after the current subscription; cancel it before upgrading",
            details={"reason": "renewal_exists"},
        )
    paid = row.amount_paid_inr if row.amount_paid_inr > 0 else old_plan.annual_price_inr
    credit = upgrade_credit(paid, row.starts_at, row.ends_at, at, new_plan.annual_price_inr)
    used = row.exams_used_this_month if row.usage_month >= ist_month_start(at) else 0
    await repository.update_subscription(
        db,
        row.id,
        status=SubscriptionStatus.CANCELLED,
        cancelled_at=at,
        cancellation_reason=f"upgraded to {new_plan.display_name}",
    )
    await audit.record(
        db,
        "subscription.cancelled",
        ENTITY,
        row.id,
        actor=actor,
        origin=origin,
        details={"reason": "upgrade", "to_plan_type": new_plan.plan_type.value},
    )
    return await _create_pending(
        db,
        actor,
        origin,
        row.user_id,
        new_plan,
        action="subscription.upgraded",
        starts_at=at,
        extra=credit,
        exams_used=used,
        details={
            "upgrades_subscription_id": str(row.id),
            "from_plan_type": old_plan.plan_type.value,
            "credit_days": credit.days,
        },
    )


# ---- activation and cancellation ----------------------------------------------------------


def _overlap_message(other: Subscription, starts_at: datetime, ends_at: datetime) -> str:
    return (
        "this student already has an active subscription from"
        f" {ist_text(other.starts_at)} to {ist_text(other.ends_at)}, which overlaps the"
        f" period {ist_text(starts_at)} to {ist_text(ends_at)}; cancel it or activate this"
        " one after it ends"
    )


def _overlap_details(other: Subscription | None) -> dict[str, str]:
    if other is None:
        return {"reason": "overlapping_active_subscription"}
    return {
        "reason": "overlapping_active_subscription",
        "overlapping_subscription_id": str(other.id),
        "overlapping_starts_at": other.starts_at.isoformat(),
        "overlapping_ends_at": other.ends_at.isoformat(),
    }


async def find_overlap(
    db: AsyncSession, row: Subscription, starts_at: datetime, ends_at: datetime
) -> Subscription | None:
    """The friendly pre-check (the exclusion constraint decides in the end)."""
    return await repository.overlapping_active(
        db, row.user_id, starts_at, ends_at, other_than=row.id
    )


def planned_period(row: Subscription, at: datetime) -> tuple[datetime, datetime]:
    """The period a pending subscription gets when activated at `at`: from the later of `at`
    and its planned start, for a year plus whatever upgrade credit its plan carried."""
    starts_at = max(at, row.starts_at)
    credit = max(timedelta(0), row.ends_at - add_years(row.starts_at))
    return starts_at, add_years(starts_at) + credit


async def activate_pending(
    db: AsyncSession,
    row: Subscription,
    *,
    payment_reference: str | None = None,
    amount_paid: Decimal | None = None,
) -> tuple[datetime, datetime]:
    """Make the locked, pending `row` active (409 with a sentence when an active period
    overlaps); its new period."""
    if row.status is not SubscriptionStatus.PENDING:
        raise Conflict(
            f"only a pending subscription can be activated; this one is {row.status.value}",
            details={"status": row.status.value},
        )
    starts_at, ends_at = planned_period(row, utc_now())
    other = await find_overlap(db, row, starts_at, ends_at)
    if other is not None:
        raise Conflict(_overlap_message(other, starts_at, ends_at), details=_overlap_details(other))
    if not await repository.activate(
        db,
        row.id,
        starts_at=starts_at,
        ends_at=ends_at,
        payment_reference=payment_reference,
        amount_paid=amount_paid,
    ):
        # A concurrent activation won between the check and the UPDATE: name what it made.
        other = await find_overlap(db, row, starts_at, ends_at)
        message = (
            _overlap_message(other, starts_at, ends_at)
            if other is not None
            else "this student already has an active subscription overlapping the period"
            f" {ist_text(starts_at)} to {ist_text(ends_at)}"
        )
        raise Conflict(message, details=_overlap_details(other))
    return starts_at, ends_at


async def activate_by_admin(
    db: AsyncSession, actor: Actor, origin: Origin, subscription_id: uuid.UUID
) -> schemas.SubscriptionView:
    row = await repository.subscription(db, subscription_id, for_update=True)
    if row is None:
        raise _not_found()
    starts_at, ends_at = await activate_pending(db, row)
    await audit.record(
        db,
        "subscription.activated",
        ENTITY,
        row.id,
        actor=actor,
        origin=origin,
        details={
            "by": "admin",
            "student_id": str(row.user_id),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    fresh = await repository.subscription(db, row.id)
    assert fresh is not None
    return await _view_of(db, fresh, utc_now())


async def cancel(
    db: AsyncSession,
    actor: Actor,
    origin: Origin,
    subscription_id: uuid.UUID,
    body: schemas.CancelBody,
) -> schemas.SubscriptionView:
    row = await _readable(db, actor, subscription_id)
    may_cancel = (
        actor.role is UserRole.ADMIN
        or (actor.role is UserRole.STUDENT and actor.user_id == row.user_id)
        or (actor.role is UserRole.PARENT and actor.user_id == row.purchased_by_user_id)
    )
    if not may_cancel:
        raise Forbidden(
            "only the student, the parent who paid for it or an admin can cancel a subscription",
            details={"reason": "not_the_payer"},
        )
    if row.status not in (SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE):
        raise Conflict(
            f"this subscription is {row.status.value} already; there is nothing to cancel",
            details={"status": row.status.value},
        )
    at = utc_now()
    await repository.update_subscription(
        db,
        row.id,
        status=SubscriptionStatus.CANCELLED,
        cancelled_at=at,
        cancellation_reason=body.reason,
    )
    await audit.record(
        db,
        "subscription.cancelled",
        ENTITY,
        row.id,
        actor=actor,
        origin=origin,
        details={"previous_status": row.status.value, "reason": body.reason},
    )
    fresh = await repository.subscription(db, row.id)
    assert fresh is not None
    return await _view_of(db, fresh, at)


async def pending_activations(db: AsyncSession, *, limit: int) -> list[schemas.PendingActivation]:
    """The admins' queue: pending subscriptions, oldest first, with the student's name."""
    return [
        schemas.PendingActivation(
            id=row.id,
            student_id=row.user_id,
            student_name=student.full_name,
            student_email=student.email,
            student_class=student.student_class,
            plan_type=plan.plan_type,
            plan_name=plan.display_name,
            price_inr=plan.annual_price_inr,
            starts_at=row.starts_at,
            created_at=row.created_at,
        )
        for row, plan, student in await repository.pending_with_students(db, limit)
    ]


__all__ = [
    "activate_by_admin",
    "activate_pending",
    "cancel",
    "find_overlap",
    "is_current",
    "pending_activations",
    "planned_period",
    "renew",
    "student_subscriptions",
    "subscribe",
    "upgrade",
    "upgrade_credit",
    "utc_now",
    "view",
]
