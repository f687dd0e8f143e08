"""The class leaderboards (issue 16, item 5): who is on them, how they are refreshed, who may
read them.

Who: for an India-time month and a class, every active student holding a subscription whose
terms include the leaderboard (Premium, Centum) at the board's moment (now for the current
month, the month's last instant for a past one) and with at least `leaderboard.min_exams`
exams whose results came back that month.

Score: the MEAN percentage of those exams, not the best. The best of n papers rises with n
alone (more draws, higher maximum), so it would rank whoever writes most papers, and one
lucky paper would hold a place all month; the mean rewards consistent work and cannot be
raised by writing more, only by writing better. `min_exams` keeps one paper from deciding.

Rank: competition ranking on the score as stored (two decimals), top `leaderboard.top_n`
ranks kept, a tie at the cut kept whole (see `analytics.ranking`).

Refresh: the month's rows for every class are deleted and written again in one transaction
(under an advisory lock), so a rerun writes the same board and a reader never sees half of
one. The job refreshes the current month, and on the 1st also the month just ended (its
last half hour of results).

Reading (`read_board`): a student whose own plan in force includes the leaderboard reads
their class's board; a parent reads the board of a linked child's class when that child's
plan includes it; an admin reads every board. Teachers may read boards too: they mark these
students' papers under their full names already, and a board shows less. Anyone else gets 403
with a sentence naming the plans that include it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import Forbidden, InvalidInput
from lyceum.mathvidya.analytics.ranking import Contender, rank_board
from lyceum.mathvidya.calendar_ist import IST, ist_month_start
from lyceum.mathvidya.enums import STUDENT_CLASSES, UserRole
from lyceum.mathvidya.repository import standing as repository
from lyceum.mathvidya.schemas import standing as schemas
from lyceum.mathvidya.service.audit import Actor

DEFAULT_TOP_N = 10
DEFAULT_MIN_EXAMS = 2


def parse_month(value: str | None, now: datetime) -> date:
    """`YYYY-MM` as the month's first day; None means the current India-time month."""
    if value is None:
        return ist_month_start(now)
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput(
            f"the month must be written YYYY-MM, e.g. 2026-11, not {value!r}",
            details={"reason": "bad_month", "field": "month"},
        ) from None


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The India-time month as UTC instants [start, end)."""
    start = datetime.combine(month, time(), IST).astimezone(UTC)
    end = datetime.combine(next_month(month), time(), IST).astimezone(UTC)
    return start, end


async def settings(db: AsyncSession) -> tuple[int, int]:
    """(top_n, min_exams) from system_config."""
    top_n = int(await repository.setting(db, "leaderboard.top_n", DEFAULT_TOP_N))
    min_exams = int(await repository.setting(db, "leaderboard.min_exams", DEFAULT_MIN_EXAMS))
    return top_n, min_exams


async def refresh_month(db: AsyncSession, month: date, now: datetime) -> schemas.RefreshSummary:
    """Rewrite every class's board for `month` (see the module); returns rows per class."""
    top_n, min_exams = await settings(db)
    start, end = month_bounds(month)
    as_of = min(now, end - timedelta(microseconds=1))
    candidates = await repository.board_candidates(db, start, min(end, now), as_of, min_exams)
    by_class: dict[str, list[Contender]] = defaultdict(list)
    for row in candidates:
        by_class[row.student_class].append(
            Contender(
                row.student_user_id, row.first_name, row.last_name, row.score, row.exams_counted
            )
        )
    rows: list[dict[str, object]] = []
    written: dict[str, int] = {}
    for student_class in STUDENT_CLASSES:
        placed = rank_board(by_class.get(student_class, []), top_n)
        written[student_class] = len(placed)
        rows.extend(
            {
                "month": month,
                "student_class": student_class,
                "student_user_id": entry.contender.user_id,
                "rank": entry.rank,
                "display_name": entry.display_name,
                "score": entry.contender.score,
                "exams_counted": entry.contender.exams_counted,
                "refreshed_at": now,
            }
            for entry in placed
        )
    await repository.replace_month(db, month, rows)
    return schemas.RefreshSummary(month=month_label(month), entries=written)


async def refresh(db: AsyncSession, now: datetime) -> list[schemas.RefreshSummary]:
    """The job's run: the current month, and on the 1st (India time) the month just ended."""
    current = ist_month_start(now)
    months = [current]
    if now.astimezone(IST).day == 1:
        months.insert(0, previous_month(current))
    return [await refresh_month(db, month, now) for month in months]


async def _no_access(db: AsyncSession, whose: str) -> Forbidden:
    plans = await repository.leaderboard_plan_names(db)
    named = " and ".join(plans) if plans else "none at the moment"
    return Forbidden(
        f"the class leaderboard comes with the plans that include it ({named}); {whose}",
        details={"reason": "plan_without_leaderboard", "plans": plans},
    )


async def readable_classes(db: AsyncSession, actor: Actor, now: datetime) -> dict[str, set[str]]:
    """The classes whose boards `actor` may read, each with the ids (as text) of the students
    whose rows are "you" for them. Forbidden when there are none."""
    if actor.role in (UserRole.ADMIN, UserRole.TEACHER):
        return {student_class: set() for student_class in STUDENT_CLASSES}
    if actor.role is UserRole.STUDENT:
        if actor.student_class is None or not await repository.has_leaderboard_plan(
            db, actor.user_id, now
        ):
            raise await _no_access(db, "your current plan does not include it")
        return {actor.student_class: {str(actor.user_id)}}
    readable: dict[str, set[str]] = defaultdict(set)
    for child in await repository.linked_children(db, actor.user_id):
        if child.student_class and await repository.has_leaderboard_plan(db, child.id, now):
            readable[child.student_class].add(str(child.id))
    if not readable:
        raise await _no_access(db, "no child linked to you has such a plan now")
    return dict(readable)


async def read_board(
    db: AsyncSession, actor: Actor, student_class: str | None, month: str | None, now: datetime
) -> schemas.Leaderboard:
    first_day = parse_month(month, now)
    readable = await readable_classes(db, actor, now)
    if student_class is None:
        student_class = sorted(readable)[0]
    if student_class not in STUDENT_CLASSES:
        raise InvalidInput(
            f"there is no class {student_class!r}; the classes are {', '.join(STUDENT_CLASSES)}",
            details={"reason": "unknown_class", "field": "student_class"},
        )
    if student_class not in readable:
        raise Forbidden(
            f"you may read the leaderboard of class {', '.join(sorted(readable))} only",
            details={"reason": "other_class", "field": "student_class"},
        )
    yours = readable[student_class]
    top_n, min_exams = await settings(db)
    rows = await repository.board(db, first_day, student_class)
    entries = [
        schemas.BoardEntry(
            rank=row.rank,
            display_name=row.display_name,
            score=float(row.score),
            exams_counted=row.exams_counted,
            is_you=str(row.student_user_id) in yours,
        )
        for row in rows
    ]
    you = next((entry for entry in entries if entry.is_you), None)
    note = (
        f"Top {top_n} of class {student_class} by the mean percentage of the month's marked"
        f" exams; at least {min_exams} exams to appear; equal scores share a rank."
    )
    return schemas.Leaderboard(
        month=month_label(first_day),
        student_class=student_class,
        top_n=top_n,
        min_exams=min_exams,
        refreshed_at=max((row.refreshed_at for row in rows), default=None),
        entries=entries,
        you=you,
        note=note,
    )


__all__ = [
    "DEFAULT_MIN_EXAMS",
    "DEFAULT_TOP_N",
    "month_bounds",
    "month_label",
    "next_month",
    "parse_month",
    "previous_month",
    "read_board",
    "readable_classes",
    "refresh",
    "refresh_month",
]
