"""The outcomes of the rules' matches, for the uplift estimate: each tutor's first match in a
period (the arm it fell in) and whether the tutor churned within the horizon after it.

One statement. Only matches of the named rules (those that keep a holdout) count, and only
those whose horizon has ended by `today`, so every outcome is known.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, text
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

ARM_OUTCOMES = text(
    """
    WITH first_match AS (
        SELECT DISTINCT ON (tutor_id) tutor_id, match_date, arm
        FROM tutormax.intervention_rule_matches
        WHERE rule_id IN :rules
          AND match_date BETWEEN :since AND :until
          AND match_date + CAST(:horizon AS integer) <= :today
        ORDER BY tutor_id, match_date, arm
    )
    SELECT f.arm, count(*) AS tutors,
           count(*) FILTER (
               WHERE t.churned_at IS NOT NULL
                 AND t.churned_at
                     < (f.match_date + CAST(:horizon AS integer))::timestamp AT TIME ZONE 'UTC'
           ) AS churned,
           min(f.match_date) AS first_day, max(f.match_date) AS last_day
    FROM first_match f
    JOIN tutormax.tutors t USING (tutor_id)
    GROUP BY f.arm
    ORDER BY f.arm
    """
).bindparams(bindparam("rules", expanding=True))


async def arm_outcomes(
    db: AsyncSession,
    *,
    rules: list[str],
    since: date,
    until: date,
    horizon: int,
    today: date,
) -> list[RowMapping]:
    """Per arm ('holdout', 'treatment'): tutors, how many churned within `horizon` days of
    their first match from `since` to `until`, and the first and last match day."""
    if not rules:
        return []
    params = {
        "rules": rules,
        "since": since,
        "until": until,
        "horizon": horizon,
        "today": today,
    }
    return list((await db.execute(ARM_OUTCOMES, params)).mappings())


__all__ = ["arm_outcomes"]
