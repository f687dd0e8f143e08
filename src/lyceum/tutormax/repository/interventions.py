"""The intervention engine's SQL. Set-based: a day's rule run is three statements however many
tutors there are (read every tutor's inputs, record the matches, open the interventions with
their routing and audit rows), escalation is one. Functions only flush; the edge commits.

"Open" is pending or in progress; the partial unique index `uq_interventions_open_per_type`
holds the database to one open intervention per tutor and type, and the inserts here name
it in `ON CONFLICT`, so concurrent runs and requests cannot open a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, not_, select, text, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.tutormax.enums import (
    InterventionStatus,
    InterventionType,
    PerformanceTier,
    RiskLevel,
)
from lyceum.tutormax.models import (
    OPEN_INTERVENTION_STATUSES_SQL,
    Intervention,
    InterventionAudit,
    InterventionRouting,
    Tutor,
)
from lyceum.tutormax.rules.config import METRIC_NAMES
from lyceum.tutormax.rules.lifecycle import OPEN_STATUSES
from lyceum.tutormax.rules.matching import Metrics, Prediction, RuleInputs, parse_factors
from lyceum.tutormax.rules.plan import PlannedMatch

# A select of the list's many columns.
Listing = Select[*tuple[Any, ...]]


def day_start(day: date) -> datetime:
    """00:00 UTC of `day`: how the engine stores due dates and bounds a day."""
    return datetime.combine(day, time(), tzinfo=UTC)


# ---- the rules' inputs ------------------------------------------------------------------

_METRIC_COLUMNS = ", ".join(f"m.{name}" for name in METRIC_NAMES)
_RULE_INPUTS = text(f"""
    WITH latest_prediction AS (
        SELECT DISTINCT ON (tutor_id)
               tutor_id, risk_level, risk_score, churn_probability_30d, contributing_factors,
               prediction_date
        FROM tutormax.churn_predictions
        WHERE prediction_date >= :oldest AND prediction_date < :day_end
        ORDER BY tutor_id, prediction_date DESC, created_at DESC
    ), latest_metrics AS (
        SELECT DISTINCT ON (tutor_id)
               tutor_id, performance_tier, improvement_areas, calculation_date,
               {", ".join(METRIC_NAMES)}
        FROM tutormax.tutor_performance_metrics
        WHERE metric_window = '30day'
          AND calculation_date >= :oldest AND calculation_date < :day_end
        ORDER BY tutor_id, calculation_date DESC, created_at DESC
    )
    SELECT t.tutor_id,
           p.risk_level, p.risk_score, p.churn_probability_30d, p.contributing_factors,
           p.prediction_date,
           m.tutor_id IS NOT NULL AS has_metrics, m.performance_tier, m.improvement_areas,
           m.calculation_date, {_METRIC_COLUMNS}
    FROM tutormax.tutors AS t
    LEFT JOIN latest_prediction AS p ON p.tutor_id = t.tutor_id
    LEFT JOIN latest_metrics AS m ON m.tutor_id = t.tutor_id
    WHERE (p.tutor_id IS NOT NULL OR m.tutor_id IS NOT NULL)
      AND t.onboarding_date < :day_end
      AND (t.churned_at IS NULL OR t.churned_at >= :day_end)
    ORDER BY t.tutor_id
""")  # noqa: S608 - column names are this module's constants


def _inputs(row: RowMapping) -> RuleInputs:
    prediction = None
    if row["risk_level"] is not None:
        prediction = Prediction(
            risk_level=RiskLevel(row["risk_level"]),
            risk_score=int(row["risk_score"]),
            churn_probability_30d=float(row["churn_probability_30d"]),
            factors=parse_factors(row["contributing_factors"]),
            prediction_date=row["prediction_date"],
        )
    metrics = None
    if row["has_metrics"]:
        tier = row["performance_tier"]
        metrics = Metrics(
            performance_tier=PerformanceTier(tier) if tier is not None else None,
            improvement_areas=tuple(row["improvement_areas"] or ()),
            values={name: None if row[name] is None else float(row[name]) for name in METRIC_NAMES},
            calculation_date=row["calculation_date"],
        )
    return RuleInputs(row["tutor_id"], prediction, metrics)


async def rule_inputs(db: AsyncSession, day: date, max_age_days: int) -> list[RuleInputs]:
    """Every tutor on the platform on `day` (joined by then, not churned before its end)
    with a churn prediction or 30-day metrics from the `max_age_days` days before `day` or
    on it: the latest of each. One statement."""
    day_end = day_start(day) + timedelta(days=1)
    oldest = day_start(day) - timedelta(days=max_age_days)
    result = await db.execute(_RULE_INPUTS, {"day_end": day_end, "oldest": oldest})
    return [_inputs(row) for row in result.mappings()]


# ---- a day's matches and the interventions they open ------------------------------------

_INSERT_MATCHES = text("""
    INSERT INTO tutormax.intervention_rule_matches
        (tutor_id, intervention_type, match_date, rule_id, arm)
    SELECT m.tutor_id, m.intervention_type, :day, m.rule_id, m.arm
    FROM unnest(CAST(:tutor_ids AS text[]), CAST(:types AS text[]), CAST(:rule_ids AS text[]),
                CAST(:arms AS text[])) AS m(tutor_id, intervention_type, rule_id, arm)
    ON CONFLICT (tutor_id, intervention_type, match_date) DO NOTHING
    RETURNING tutor_id, intervention_type
""")


async def record_matches(
    db: AsyncSession, day: date, plan: Sequence[PlannedMatch]
) -> set[tuple[str, str]]:
    """Record the day's matches; returns the (tutor, type) pairs recorded now. A pair already
    recorded for the day (an earlier run, or a concurrent one that committed first) is left
    as it is and not returned: that run owns it."""
    if not plan:
        return set()
    result = await db.execute(
        _INSERT_MATCHES,
        {
            "day": day,
            "tutor_ids": [p.tutor_id for p in plan],
            "types": [p.intervention_type.value for p in plan],
            "rule_ids": [p.rule_id for p in plan],
            "arms": [p.arm for p in plan],
        },
    )
    return {(row.tutor_id, row.intervention_type) for row in result}


_OPEN_PLANNED = text("""
    WITH wanted AS (
        SELECT * FROM unnest(
            CAST(:tutor_ids AS text[]), CAST(:types AS text[]), CAST(:reasons AS text[]),
            CAST(:priorities AS integer[]), CAST(:due_dates AS timestamptz[]),
            CAST(:queues AS text[]), CAST(:rule_ids AS text[])
        ) AS w(tutor_id, intervention_type, trigger_reason, priority, due_date, owner_queue,
               rule_id)
    ), opened AS (
        INSERT INTO tutormax.interventions
            (tutor_id, intervention_type, trigger_reason, priority, due_date)
        SELECT tutor_id, intervention_type, trigger_reason, priority, due_date FROM wanted
        ON CONFLICT (tutor_id, intervention_type) WHERE status IN ('pending', 'in_progress')
        DO NOTHING
        RETURNING intervention_id, tutor_id, intervention_type, trigger_reason, priority,
                  due_date, status
    ), routed AS (
        INSERT INTO tutormax.intervention_routing (intervention_id, owner_queue, rule_id)
        SELECT o.intervention_id, w.owner_queue, w.rule_id
        FROM opened AS o JOIN wanted AS w
          ON w.tutor_id = o.tutor_id AND w.intervention_type = o.intervention_type
    ), matched AS (
        UPDATE tutormax.intervention_rule_matches AS m
        SET intervention_id = o.intervention_id
        FROM opened AS o
        WHERE m.tutor_id = o.tutor_id AND m.intervention_type = o.intervention_type
          AND m.match_date = :day
    ), audited AS (
        INSERT INTO tutormax.intervention_audit (intervention_id, action, actor, new_values)
        SELECT o.intervention_id, 'created', :actor,
               jsonb_build_object(
                   'tutor_id', o.tutor_id, 'intervention_type', o.intervention_type,
                   'status', o.status, 'priority', o.priority,
                   'due_date', to_char(o.due_date AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                   'trigger_reason', o.trigger_reason, 'owner_queue', w.owner_queue,
                   'rule_id', w.rule_id, 'match_date', CAST(:day AS date))
        FROM opened AS o JOIN wanted AS w
          ON w.tutor_id = o.tutor_id AND w.intervention_type = o.intervention_type
    )
    SELECT intervention_id, tutor_id, intervention_type FROM opened
""")


@dataclass(frozen=True, slots=True)
class OpenedIntervention:
    intervention_id: uuid.UUID
    tutor_id: str
    intervention_type: InterventionType


async def open_planned(
    db: AsyncSession, day: date, planned: Sequence[PlannedMatch], actor: str
) -> list[OpenedIntervention]:
    """Open an intervention for each planned match unless one of its type is open already
    for the tutor; route it, point its match at it and audit its creation (one statement)."""
    if not planned:
        return []
    result = await db.execute(
        _OPEN_PLANNED,
        {
            "day": day,
            "actor": actor,
            "tutor_ids": [p.tutor_id for p in planned],
            "types": [p.intervention_type.value for p in planned],
            "reasons": [p.trigger_reason for p in planned],
            "priorities": [p.priority for p in planned],
            "due_dates": [day_start(p.due_day) for p in planned],
            "queues": [p.owner_queue for p in planned],
            "rule_ids": [p.rule_id for p in planned],
        },
    )
    return [
        OpenedIntervention(
            row.intervention_id, row.tutor_id, InterventionType(row.intervention_type)
        )
        for row in result
    ]


# ---- escalation -------------------------------------------------------------------------

_ESCALATE = text("""
    WITH queue_map AS (
        SELECT * FROM unnest(CAST(:from_queues AS text[]), CAST(:to_queues AS text[]))
            AS q(from_queue, to_queue)
    ), overdue AS (
        SELECT i.intervention_id, i.tutor_id, i.intervention_type, i.priority, i.due_date,
               i.assigned_to, i.trigger_reason,
               COALESCE(r.owner_queue, :default_queue) AS owner_queue, r.rule_id,
               COALESCE(r.escalation_level, 0) AS escalation_level
        FROM tutormax.interventions AS i
        LEFT JOIN tutormax.intervention_routing AS r ON r.intervention_id = i.intervention_id
        WHERE i.status IN ('pending', 'in_progress') AND i.due_date < :day_start
          AND COALESCE(r.escalation_level, 0) < :max_level
        ORDER BY i.intervention_id
        FOR UPDATE OF i
    ), bumped AS (
        UPDATE tutormax.interventions AS i
        SET priority = GREATEST(1, o.priority - 1), due_date = :new_due
        FROM overdue AS o
        WHERE i.intervention_id = o.intervention_id
        RETURNING i.intervention_id, i.priority
    ), rerouted AS (
        INSERT INTO tutormax.intervention_routing
            (intervention_id, owner_queue, rule_id, escalation_level, escalated_at)
        SELECT o.intervention_id, COALESCE(q.to_queue, o.owner_queue), o.rule_id,
               o.escalation_level + 1, :now
        FROM overdue AS o LEFT JOIN queue_map AS q ON q.from_queue = o.owner_queue
        ON CONFLICT (intervention_id) DO UPDATE
        SET owner_queue = EXCLUDED.owner_queue, escalation_level = EXCLUDED.escalation_level,
            escalated_at = EXCLUDED.escalated_at
        RETURNING intervention_id, owner_queue, escalation_level
    ), audited AS (
        INSERT INTO tutormax.intervention_audit
            (intervention_id, action, actor, old_values, new_values)
        SELECT o.intervention_id, 'escalated', :actor,
               jsonb_build_object(
                   'priority', o.priority,
                   'due_date', to_char(o.due_date AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                   'owner_queue', o.owner_queue, 'escalation_level', o.escalation_level),
               jsonb_build_object(
                   'priority', b.priority,
                   'due_date', to_char(CAST(:new_due AS timestamptz) AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD'),
                   'owner_queue', r.owner_queue, 'escalation_level', r.escalation_level)
        FROM overdue AS o
        JOIN bumped AS b ON b.intervention_id = o.intervention_id
        JOIN rerouted AS r ON r.intervention_id = o.intervention_id
    )
    SELECT o.intervention_id, o.tutor_id, t.name AS tutor_name, o.intervention_type,
           o.assigned_to, o.trigger_reason, o.owner_queue AS old_queue,
           r.owner_queue AS new_queue, r.escalation_level, b.priority
    FROM overdue AS o
    JOIN bumped AS b ON b.intervention_id = o.intervention_id
    JOIN rerouted AS r ON r.intervention_id = o.intervention_id
    JOIN tutormax.tutors AS t ON t.tutor_id = o.tutor_id
    ORDER BY o.intervention_id
""")


async def escalate_overdue(
    db: AsyncSession,
    *,
    day: date,
    new_due_day: date,
    max_level: int,
    queues: dict[str, str],
    default_queue: str,
    actor: str,
    now: datetime,
) -> list[RowMapping]:
    """Escalate every open intervention whose due day is before `day` and that has been
    escalated fewer than `max_level` times: priority one level up, the queue above, due on
    `new_due_day`, an audit row each. One statement; returns what it escalated."""
    result = await db.execute(
        _ESCALATE,
        {
            "from_queues": list(queues),
            "to_queues": list(queues.values()),
            "default_queue": default_queue,
            "day_start": day_start(day),
            "max_level": max_level,
            "new_due": day_start(new_due_day),
            "actor": actor,
            "now": now,
        },
    )
    return list(result.mappings())


# ---- one intervention -------------------------------------------------------------------


async def tutor_name(db: AsyncSession, tutor_id: str) -> str | None:
    return (
        await db.execute(select(Tutor.name).where(Tutor.tutor_id == tutor_id))
    ).scalar_one_or_none()


async def insert_intervention(db: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """Insert one intervention unless one of its type is open for the tutor (None then)."""
    statement = (
        insert(Intervention)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[Intervention.tutor_id, Intervention.intervention_type],
            # Literal, as the index has it: PostgreSQL infers a partial index only from a
            # predicate it can prove implies the index's, and bound parameters prove nothing.
            index_where=text(OPEN_INTERVENTION_STATUSES_SQL),
        )
        .returning(Intervention.intervention_id)
    )
    return (await db.execute(statement)).scalar_one_or_none()


async def open_intervention_id(
    db: AsyncSession, tutor_id: str, intervention_type: InterventionType
) -> uuid.UUID | None:
    return (
        await db.execute(
            select(Intervention.intervention_id).where(
                Intervention.tutor_id == tutor_id,
                Intervention.intervention_type == intervention_type,
                Intervention.status.in_(OPEN_STATUSES),
            )
        )
    ).scalar_one_or_none()


async def insert_routing(
    db: AsyncSession, intervention_id: uuid.UUID, owner_queue: str, rule_id: str | None = None
) -> None:
    await db.execute(
        insert(InterventionRouting).values(
            intervention_id=intervention_id, owner_queue=owner_queue, rule_id=rule_id
        )
    )


async def lock_intervention(
    db: AsyncSession, intervention_id: uuid.UUID
) -> tuple[Intervention, InterventionRouting | None] | None:
    """The intervention, locked until the transaction ends (so two changes cannot both read
    the old status), and its routing row."""
    intervention = (
        await db.execute(
            select(Intervention)
            .where(Intervention.intervention_id == intervention_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if intervention is None:
        return None
    routing = await db.get(InterventionRouting, intervention_id, populate_existing=True)
    return intervention, routing


async def add_audit(
    db: AsyncSession,
    intervention_id: uuid.UUID,
    *,
    action: str,
    actor: str,
    old_values: dict[str, Any],
    new_values: dict[str, Any],
) -> None:
    await db.execute(
        insert(InterventionAudit).values(
            intervention_id=intervention_id,
            action=action,
            actor=actor,
            old_values=old_values,
            new_values=new_values,
        )
    )


async def audit_trail(db: AsyncSession, intervention_id: uuid.UUID) -> list[InterventionAudit]:
    """The intervention's changes, oldest first."""
    return list(
        (
            await db.execute(
                select(InterventionAudit)
                .where(InterventionAudit.intervention_id == intervention_id)
                .order_by(InterventionAudit.changed_at, InterventionAudit.audit_id)
            )
        ).scalars()
    )


async def intervention_exists(db: AsyncSession, intervention_id: uuid.UUID) -> bool:
    found = await db.execute(select(true()).where(Intervention.intervention_id == intervention_id))
    return found.scalar_one_or_none() is not None


# ---- lists ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterventionFilters:
    status: InterventionStatus | None = None
    # The assignee (exactly as stored), or the owner queue.
    owner: str | None = None
    queue: str | None = None
    # True: only overdue ones; False: only those not overdue; None: both.
    overdue: bool | None = None
    tutor_id: str | None = None
    intervention_type: InterventionType | None = None
    # Only those last changed at or after this time (the board's recently closed ones).
    changed_since: datetime | None = None


def overdue_condition(as_of: date) -> Any:
    """Open, with a due day before `as_of` (never NULL: a missing due date is not overdue)."""
    return and_(
        Intervention.status.in_(OPEN_STATUSES),
        Intervention.due_date.is_not(None),
        Intervention.due_date < day_start(as_of),
    )


def _listing(filters: InterventionFilters, as_of: date) -> Listing:
    overdue = overdue_condition(as_of)
    query: Listing = (
        select(
            Intervention.intervention_id,
            Intervention.tutor_id,
            Tutor.name.label("tutor_name"),
            Intervention.intervention_type,
            Intervention.trigger_reason,
            Intervention.status,
            Intervention.priority,
            Intervention.assigned_to,
            InterventionRouting.owner_queue,
            InterventionRouting.rule_id,
            func.coalesce(InterventionRouting.escalation_level, 0).label("escalation_level"),
            InterventionRouting.escalated_at,
            Intervention.due_date,
            overdue.label("overdue"),
            Intervention.completed_at,
            Intervention.outcome,
            Intervention.notes,
            Intervention.created_at,
            Intervention.updated_at,
        )
        .join(Tutor, Tutor.tutor_id == Intervention.tutor_id)
        .outerjoin(
            InterventionRouting,
            InterventionRouting.intervention_id == Intervention.intervention_id,
        )
    )
    if filters.status is not None:
        query = query.where(Intervention.status == filters.status)
    if filters.owner is not None:
        query = query.where(Intervention.assigned_to == filters.owner)
    if filters.queue is not None:
        query = query.where(InterventionRouting.owner_queue == filters.queue)
    if filters.overdue is True:
        query = query.where(overdue)
    elif filters.overdue is False:
        query = query.where(not_(overdue))
    if filters.tutor_id is not None:
        query = query.where(Intervention.tutor_id == filters.tutor_id)
    if filters.intervention_type is not None:
        query = query.where(Intervention.intervention_type == filters.intervention_type)
    if filters.changed_since is not None:
        query = query.where(Intervention.updated_at >= filters.changed_since)
    return query


# Open ones first (overdue, then by priority and due day), then closed ones, newest first.
def _ordered(query: Listing, as_of: date) -> Listing:
    is_open = Intervention.status.in_(OPEN_STATUSES)
    return query.order_by(
        is_open.desc(),
        overdue_condition(as_of).desc(),
        Intervention.priority,
        Intervention.due_date.asc().nulls_last(),
        Intervention.created_at.desc(),
        Intervention.intervention_id,
    )


async def list_interventions(
    db: AsyncSession, filters: InterventionFilters, *, as_of: date, limit: int, offset: int
) -> tuple[int, list[RowMapping]]:
    """One page of interventions and how many match in all (two statements)."""
    query = _listing(filters, as_of)
    total = (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    page = await db.execute(_ordered(query, as_of).limit(limit).offset(offset))
    return int(total), list(page.mappings())


async def all_interventions(
    db: AsyncSession, filters: InterventionFilters, *, as_of: date, cap: int
) -> list[RowMapping]:
    """Every matching intervention (for an export), at most `cap` of them."""
    return list((await db.execute(_ordered(_listing(filters, as_of), as_of).limit(cap))).mappings())


async def intervention_row(
    db: AsyncSession, intervention_id: uuid.UUID, *, as_of: date
) -> RowMapping | None:
    query = _listing(InterventionFilters(), as_of).where(
        Intervention.intervention_id == intervention_id
    )
    row: RowMapping | None = (await db.execute(query)).mappings().one_or_none()
    return row


__all__ = [
    "InterventionFilters",
    "OpenedIntervention",
    "add_audit",
    "all_interventions",
    "audit_trail",
    "day_start",
    "escalate_overdue",
    "insert_intervention",
    "insert_routing",
    "intervention_exists",
    "intervention_row",
    "list_interventions",
    "lock_intervention",
    "open_intervention_id",
    "open_planned",
    "record_matches",
    "rule_inputs",
    "tutor_name",
]
