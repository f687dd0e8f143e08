"""`weightage_only_plan`: the comparison plan that shares the hours by weightage alone.

Every concept with marks gets attempts in proportion to its marks (largest-remainder rounding
of the calendar's total), whatever the student already knows and whatever it depends on; the
attempts are laid over the days by the same scheduler as the optimized plan
(`model.lay_out`), so the two plans differ only in how the time is shared.
"""

from __future__ import annotations

import math

from lyceum.adaptive.planning import model
from lyceum.adaptive.planning.types import Plan, PlanRequest

METHOD = "weightage only (hours shared by marks)"


def weightage_allocation(request: PlanRequest, cal: model.Calendar) -> dict[str, int]:
    weighted = [c for c in request.concepts if c.marks > 0.0]
    total_marks = sum(c.marks for c in weighted)
    if not weighted or cal.total == 0:
        return {}
    exact = [cal.total * c.marks / total_marks for c in weighted]
    attempts = [math.floor(e) for e in exact]
    # Largest remainders first; ties by the concepts' order, so the split is deterministic.
    order = sorted(range(len(weighted)), key=lambda i: (-(exact[i] - attempts[i]), i))
    for i in order[: cal.total - sum(attempts)]:
        attempts[i] += 1
    return {c.code: n for c, n in zip(weighted, attempts, strict=True) if n > 0}


def weightage_only_plan(request: PlanRequest) -> Plan:
    cal = model.calendar(request)
    pieces = model.lay_out(request, cal, weightage_allocation(request, cal))
    scored = model.score(request, cal, pieces)
    start = request.now.date()
    return Plan(
        starts_on=start,
        ends_on=cal.days[-1] if cal.days else start,
        items=scored.items,
        expected_marks=scored.expected_marks,
        baseline_marks=scored.expected_marks,
        marks_without_study=scored.marks_without_study,
        method=METHOD,
    )


__all__ = ["METHOD", "weightage_allocation", "weightage_only_plan"]
