"""A tutor's detail (the list with risk and score is in `profiles`): read through
`repository`, only flush; the edge commits."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import NotFound
from lyceum.tutormax import repository, schemas


async def tutor_detail(
    db: AsyncSession, tutor_id: str, *, days: int, until: datetime | None
) -> schemas.TutorDetail:
    """The tutor and their activity over the `days` before `until` (now by default; the
    synthetic history ends on a fixed date, so a past `until` shows its activity)."""
    tutor = await repository.get_tutor_by_id(db, tutor_id)
    if tutor is None:
        raise NotFound(f"no tutor has the id {tutor_id!r}")
    end = until or datetime.now(UTC)
    stats = await repository.get_tutor_statistics(db, tutor_id, days, now=end)
    return schemas.TutorDetail(
        **schemas.TutorSummary.model_validate(tutor).model_dump(),
        email=tutor.email,
        baseline_sessions_per_week=tutor.baseline_sessions_per_week,
        activity=schemas.TutorActivity(
            days=days,
            until=end,
            total_sessions=stats["total_sessions"],
            average_rating=stats["average_rating"],
            no_shows=stats["no_shows"],
            reschedules=stats["reschedules"],
        ),
    )


__all__ = ["tutor_detail"]
