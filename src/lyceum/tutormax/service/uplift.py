"""Did the interventions work? The uplift estimate from the rules' own random holdout.

The intervention rules leave a random share of the tutors they match untreated (the
holdout, `config/interventions.toml`). Each tutor counts once, in the arm of their first
match from `since` to `until`; the outcome is whether they churned within `horizon` days of
it (only matches whose horizon has ended by the data's today count, so no outcome is
guessed). Intention to treat: a treated tutor counts as treated whether or not the call
happened, because who completes a call is not random. Only rules that keep a holdout are
compared (a rule without one has no control group). The estimator is the policy
simulation's (`policysim.uplift`: Newcombe's interval for the difference, Katz's for the
relative reduction, the minimum detectable effect); in the simulated world it recovers the
planted effect within its interval (tests/tutormax/test_policysim_uplift.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.core.errors import InvalidInput
from lyceum.tutormax.policysim.uplift import UpliftEstimate, estimate_uplift
from lyceum.tutormax.repository import uplift as sql
from lyceum.tutormax.service import interventions
from lyceum.tutormax.service.daily import data_day

DEFAULT_HORIZON_DAYS = 90


@dataclass(frozen=True, slots=True)
class UpliftReport:
    since: date
    until: date
    horizon_days: int
    today: date
    rules: tuple[str, ...]
    first_day: date
    last_day: date
    estimate: UpliftEstimate


async def measure_uplift(
    db: AsyncSession,
    *,
    since: date | None = None,
    until: date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    confidence: float = 0.95,
    today: date | None = None,
) -> UpliftReport:
    """Treated against held-out churn within `horizon_days` of the first match (module
    docstring); refused with what is missing when either arm has no tutor."""
    if not 1 <= horizon_days <= 365:
        raise InvalidInput(f"the horizon must be 1-365 days, got {horizon_days}")
    current = await data_day(db, today)
    last_known = current - timedelta(days=horizon_days)
    until = min(until or last_known, last_known)
    since = since or date(1970, 1, 1)
    if since > until:
        raise InvalidInput(
            f"no match from {since} can have a known {horizon_days}-day outcome yet: the data "
            f"end at {current}, so the latest usable match day is {last_known}"
        )
    rules = tuple(rule.id for rule in interventions.active_rules().rules if rule.holdout)
    rows = {
        row["arm"]: row
        for row in await sql.arm_outcomes(
            db, rules=list(rules), since=since, until=until, horizon=horizon_days, today=current
        )
    }
    missing = [arm for arm in ("treatment", "holdout") if arm not in rows]
    if missing:
        raise InvalidInput(
            f"no {' and no '.join(missing)} tutor among the rules' matches from {since} to "
            f"{until} with a known {horizon_days}-day outcome: the daily job records matches, "
            "and a holdout needs the rules' holdout share above 0"
        )
    treated, held = rows["treatment"], rows["holdout"]
    estimate = estimate_uplift(
        int(treated["churned"]),
        int(treated["tutors"]),
        int(held["churned"]),
        int(held["tutors"]),
        confidence,
    )
    return UpliftReport(
        since=since,
        until=until,
        horizon_days=horizon_days,
        today=current,
        rules=rules,
        first_day=min(treated["first_day"], held["first_day"]),
        last_day=max(treated["last_day"], held["last_day"]),
        estimate=estimate,
    )


__all__ = ["DEFAULT_HORIZON_DAYS", "UpliftReport", "measure_uplift"]
