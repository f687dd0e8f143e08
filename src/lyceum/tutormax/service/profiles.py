"""The API's read use cases: the tutor list with risk and score, a tutor's profile, the
high-risk queue, the model's card, their CSV exports, and who may see which tutor.

Who may see which tutor: the operator accounts (admin, operator, viewer) see every tutor; an
account holding only the app role `tutormax:tutor` sees the one tutor it is linked to
(`tutormax.tutor_accounts`). Any other tutor id is answered as unknown (404, the same
sentence as for an id nobody has), so a tutor account cannot learn which ids exist.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Conflict, InvalidInput, NotFound
from lyceum.core.models import OPERATOR_ROLES
from lyceum.core.operators import get_operator_by_email
from lyceum.core.principal import Principal
from lyceum.tutormax import repository, schemas
from lyceum.tutormax.models import TUTOR_ACCOUNT_ROLE
from lyceum.tutormax.repository import interventions as intervention_sql
from lyceum.tutormax.repository import profiles as sql
from lyceum.tutormax.service import interventions as intervention_service
from lyceum.tutormax.service.churn import model_card

RECENT_SESSIONS = 20
RECENT_EVENTS = 20
TREND_POINTS = 12
STATISTICS_DAYS = 30
CSV_CAP = 100_000
TUTOR_CSV_COLUMNS = (
    "tutor_id",
    "name",
    "status",
    "subjects",
    "onboarding_date",
    "experience_years",
    "timezone",
    "churned_at",
    "risk_score",
    "risk_level",
    "churn_probability_30d",
    "overall_score",
    "performance_tier",
)
HIGH_RISK_CSV_COLUMNS = (
    "tutor_id",
    "name",
    "status",
    "subjects",
    "prediction_date",
    "model_version",
    "risk_score",
    "risk_level",
    "churn_probability_7d",
    "churn_probability_30d",
    "churn_probability_90d",
    "top_reason",
    "top_reason_points",
    "has_open_intervention",
)


def unknown_tutor(tutor_id: str) -> NotFound:
    return NotFound(f"no tutor has the id {tutor_id!r}")


def is_staff(principal: Principal) -> bool:
    return principal.has_any_role(*OPERATOR_ROLES)


async def check_can_see(db: AsyncSession, principal: Principal, tutor_id: str) -> None:
    """Staff see every tutor; a tutor account only its own (else: unknown tutor, 404)."""
    if is_staff(principal):
        return
    if await sql.linked_tutor(db, principal.subject) != tutor_id:
        raise unknown_tutor(tutor_id)


async def link_tutor_account(db: AsyncSession, email: str, tutor_id: str) -> None:
    """Let the account `email` (holding the role `tutormax:tutor`) read `tutor_id`'s profile.
    One tutor per account and one account per tutor. Flushes only."""
    account = await get_operator_by_email(db, email)
    if account is None:
        raise NotFound(f"no account has the email {email!r}")
    if TUTOR_ACCOUNT_ROLE not in account.roles:
        raise InvalidInput(
            f"the account {account.email} does not hold the role {TUTOR_ACCOUNT_ROLE}; "
            "give it that role first"
        )
    if await repository.get_tutor_by_id(db, tutor_id) is None:
        raise unknown_tutor(tutor_id)
    linked = await sql.linked_tutor(db, str(account.id))
    if linked is not None:
        raise Conflict(f"the account {account.email} is already linked to tutor {linked!r}")
    if await sql.tutor_account(db, tutor_id) is not None:
        raise Conflict(f"tutor {tutor_id!r} already has an account")
    await sql.link_account(db, account.id, tutor_id)


async def linked_tutor_of(db: AsyncSession, principal: Principal) -> schemas.LinkedTutor:
    """The tutor `principal`'s account speaks for (404 with what to do when none)."""
    tutor_id = await sql.linked_tutor(db, principal.subject)
    tutor = None if tutor_id is None else await repository.get_tutor_by_id(db, tutor_id)
    if tutor is None:
        raise NotFound(
            "this account is not linked to a tutor yet: the tutor-success team links it "
            "(lyceum tutormax link-account)"
        )
    return schemas.LinkedTutor(tutor_id=tutor.tutor_id, name=tutor.name)


# ---- the list ------------------------------------------------------------------------------


async def tutor_page(
    db: AsyncSession,
    filters: sql.TutorListFilters,
    *,
    sort: sql.TutorSort,
    limit: int,
    offset: int,
) -> schemas.TutorPage:
    total, rows = await sql.tutor_page(db, filters, sort=sort, limit=limit, offset=offset)
    return schemas.TutorPage(
        total=total,
        limit=limit,
        offset=offset,
        tutors=[schemas.TutorListItem.model_validate(dict(row)) for row in rows],
    )


def _csv_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, str):  # enums included (StrEnum)
        return str(value)
    return "" if value is None else value


def to_csv(columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]) -> str:
    """RFC 4180: a header row, CRLF line ends; lists joined with ';', times in UTC."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row[column]) for column in columns])
    return buffer.getvalue()


async def tutors_csv(
    db: AsyncSession, filters: sql.TutorListFilters, *, sort: sql.TutorSort
) -> str:
    rows = await sql.all_tutors(db, filters, sort=sort, cap=CSV_CAP)
    items = (schemas.TutorListItem.model_validate(dict(row)).model_dump() for row in rows)
    return to_csv(TUTOR_CSV_COLUMNS, items)


# ---- the profile ---------------------------------------------------------------------------


def ranked_factors(contributing_factors: Mapping[str, Any]) -> list[schemas.Factor]:
    """The prediction's factors, largest effect first (|points|; ties by name). Values that
    are not the model's {"points", "reason"} objects are skipped, not guessed at."""
    factors = [
        schemas.Factor(feature=name, points=float(value["points"]), reason=str(value["reason"]))
        for name, value in contributing_factors.items()
        if isinstance(value, Mapping)
        and isinstance(value.get("points"), int | float)
        and not isinstance(value.get("points"), bool)
        and isinstance(value.get("reason"), str)
    ]
    return sorted(factors, key=lambda factor: (-abs(factor.points), factor.feature))


def top_reason(contributing_factors: Mapping[str, Any]) -> schemas.Factor | None:
    """The factor that adds the most points (what raises the risk most), if any adds some."""
    raising = [factor for factor in ranked_factors(contributing_factors) if factor.points > 0]
    return max(raising, key=lambda factor: factor.points, default=None)


async def _prediction(db: AsyncSession, tutor_id: str) -> schemas.PredictionOut | None:
    recent = await sql.recent_predictions(db, tutor_id, TREND_POINTS)
    if not recent:
        return None
    latest = recent[0]
    return schemas.PredictionOut(
        prediction_date=latest.prediction_date,
        model_version=latest.model_version,
        churn_probability_7d=latest.churn_probability_7d,
        churn_probability_30d=latest.churn_probability_30d,
        churn_probability_90d=latest.churn_probability_90d,
        risk_score=latest.risk_score,
        risk_level=latest.risk_level,
        factors=ranked_factors(latest.contributing_factors),
        trend=[
            schemas.RiskPoint(
                prediction_date=row.prediction_date,
                risk_score=row.risk_score,
                churn_probability_30d=row.churn_probability_30d,
            )
            for row in reversed(recent)
        ],
    )


async def _interventions(db: AsyncSession, tutor_id: str) -> list[schemas.InterventionOut]:
    rows = await intervention_sql.all_interventions(
        db,
        intervention_sql.InterventionFilters(tutor_id=tutor_id),
        as_of=intervention_service.today(),
        cap=CSV_CAP,
    )
    items = [intervention_service.model_of(row) for row in rows]
    return sorted(items, key=lambda item: (item.created_at, item.intervention_id), reverse=True)


async def _statistics(db: AsyncSession, tutor_id: str, now: datetime) -> schemas.TutorStatistics:
    # The window ends just after the tutor's last activity (its end is exclusive), or now:
    # a tutor who stopped a while ago, or a synthetic history that ends on a fixed day, still
    # shows their last month rather than zeros.
    last = await sql.last_activity(db, tutor_id)
    until = now if last is None else min(now, last + timedelta(microseconds=1))
    stats = await repository.get_tutor_statistics(db, tutor_id, STATISTICS_DAYS, now=until)
    return schemas.TutorStatistics(
        days=STATISTICS_DAYS,
        until=until,
        total_sessions=stats["total_sessions"],
        average_rating=stats["average_rating"],
        no_shows=stats["no_shows"],
        reschedules=stats["reschedules"],
    )


async def tutor_profile(
    db: AsyncSession, principal: Principal, tutor_id: str, *, now: datetime | None = None
) -> schemas.TutorProfile:
    """The tutor's profile, one statement per section. A tutor account reading its own
    profile gets no prediction and no interventions (the success team's working notes)."""
    await check_can_see(db, principal, tutor_id)
    tutor = await repository.get_tutor_by_id(db, tutor_id)
    if tutor is None:
        raise unknown_tutor(tutor_id)
    staff = is_staff(principal)
    metrics = await sql.latest_metrics(db, tutor_id)
    sessions = await sql.recent_sessions(db, tutor_id, RECENT_SESSIONS)
    events = await repository.get_tutor_events(db, tutor_id, limit=RECENT_EVENTS)
    return schemas.TutorProfile(
        audience="staff" if staff else "tutor",
        tutor=schemas.TutorSummary.model_validate(tutor),
        email=tutor.email,
        baseline_sessions_per_week=tutor.baseline_sessions_per_week,
        metrics=[schemas.MetricsOut.model_validate(row) for row in metrics],
        prediction=await _prediction(db, tutor_id) if staff else None,
        sessions=[schemas.ProfileSession.model_validate(dict(row)) for row in sessions],
        events=[
            schemas.ProfileEvent(
                event_id=event.event_id,
                event_type=event.event_type,
                event_timestamp=event.event_timestamp,
                metadata=event.event_metadata,
            )
            for event in events
        ],
        interventions=await _interventions(db, tutor_id) if staff else [],
        statistics=await _statistics(db, tutor_id, now or datetime.now(UTC)),
    )


# ---- the high-risk queue ---------------------------------------------------------------------


async def high_risk_queue(db: AsyncSession, *, min_score: int, limit: int) -> schemas.HighRiskQueue:
    """The seed's `get_high_risk_tutors`, each with its top reason and whether an
    intervention is already open (two statements)."""
    predictions = await repository.get_high_risk_tutors(db, min_score=min_score, limit=limit)
    open_ones = await sql.tutors_with_open_interventions(db, [p.tutor_id for p in predictions])
    tutors = []
    for prediction in predictions:
        reason = top_reason(prediction.contributing_factors)
        tutors.append(
            schemas.HighRiskTutor(
                tutor_id=prediction.tutor_id,
                name=prediction.tutor.name,
                status=prediction.tutor.status,
                subjects=prediction.tutor.subjects,
                prediction_date=prediction.prediction_date,
                model_version=prediction.model_version,
                risk_score=prediction.risk_score,
                risk_level=prediction.risk_level,
                churn_probability_7d=prediction.churn_probability_7d,
                churn_probability_30d=prediction.churn_probability_30d,
                churn_probability_90d=prediction.churn_probability_90d,
                top_reason=None if reason is None else reason.reason,
                top_reason_points=None if reason is None else reason.points,
                has_open_intervention=prediction.tutor_id in open_ones,
            )
        )
    return schemas.HighRiskQueue(min_score=min_score, limit=limit, tutors=tutors)


async def high_risk_csv(db: AsyncSession, *, min_score: int, limit: int) -> str:
    queue = await high_risk_queue(db, min_score=min_score, limit=limit)
    return to_csv(HIGH_RISK_CSV_COLUMNS, (item.model_dump() for item in queue.tutors))


# ---- the model -------------------------------------------------------------------------------


async def current_model_card(db: AsyncSession) -> schemas.ModelCard:
    card = await model_card(db)
    if card is None:
        raise NotFound(
            "no churn model has been trained yet: run `lyceum tutormax train` (or `evaluate`)"
        )
    return schemas.ModelCard.model_validate(card)


__all__ = [
    "current_model_card",
    "high_risk_csv",
    "high_risk_queue",
    "is_staff",
    "link_tutor_account",
    "linked_tutor_of",
    "ranked_factors",
    "top_reason",
    "tutor_page",
    "tutor_profile",
    "tutors_csv",
]
