"""From forecast demand to tutor-hours: requirements, supply allocation and shortfall alerts.

Two ways to turn demand into staff are offered:

* **Target utilization** (what the dashboard uses by default): required tutor-hours per week =
  forecast demand hours / target utilization. Simple, and matches how capacity snapshots report
  `utilization_rate`.
* **Erlang C** (an alternative output): the number of tutors who must be online at once in the
  peak hour so that a request waits at most `target_answer_hours` with the given probability.
  Requests are treated as calls: offered load in erlangs = booked hours per hour.

Supply is counted with a linear program so that a tutor qualified in several subjects gives
each hour to one subject only (see `allocate_supply`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import coo_array  # type: ignore[import-untyped]

FloatArray = NDArray[np.float64]

DEFAULT_TARGET_UTILIZATION = 0.85
# Below this, staffing for demand / target is more than 20 times the demand: no plan, and a
# tiny (or subnormal) target overflows the requirement to infinity, which no LP can solve.
MIN_TARGET_UTILIZATION = 0.05
DEFAULT_MIN_SHORTFALL_HOURS = 5.0
DEFAULT_CRITICAL_SHARE = 0.2
DEFAULT_RECRUIT_HOURS_PER_TUTOR = 15.0
# Hours below this are solver round-off, not a shortfall or spare capacity.
_HOURS_TOLERANCE = 1e-6


def required_hours(demand_hours: ArrayLike, target_utilization: float) -> FloatArray:
    """Tutor-hours to schedule so that demand fills them to `target_utilization`."""
    if not MIN_TARGET_UTILIZATION <= target_utilization <= 1.0:
        raise ValueError(f"target_utilization must be in [{MIN_TARGET_UTILIZATION}, 1]")
    demand = np.asarray(demand_hours, dtype=np.float64)
    return np.maximum(demand, 0.0) / target_utilization


def erlang_b(offered_load_erlangs: float, agents: int) -> float:
    """Blocking probability by the recursion B(n) = A·B(n-1) / (n + A·B(n-1)), B(0) = 1.

    Every step stays in [0, 1], so it neither overflows nor loses precision for large loads,
    unlike the factorial form.
    """
    if offered_load_erlangs < 0.0 or agents < 0:
        raise ValueError("load and agents must be non-negative")
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = offered_load_erlangs * blocking / (n + offered_load_erlangs * blocking)
    return blocking


def erlang_c_wait_probability(offered_load_erlangs: float, agents: int) -> float:
    """Probability that a request has to wait (Erlang C); 1 when the queue is unstable."""
    load = offered_load_erlangs
    if load < 0.0 or agents < 0:
        raise ValueError("load and agents must be non-negative")
    if load == 0.0:
        return 0.0
    if agents <= load:
        return 1.0
    blocking = erlang_b(load, agents)
    return agents * blocking / (agents - load * (1.0 - blocking))


def service_level(
    offered_load_erlangs: float, agents: int, mean_handle_hours: float, target_answer_hours: float
) -> float:
    """Share of requests answered within `target_answer_hours` (M/M/N)."""
    load = offered_load_erlangs
    if agents <= load:
        return 0.0 if load > 0.0 else 1.0
    waiting = erlang_c_wait_probability(load, agents)
    return 1.0 - waiting * math.exp(-(agents - load) * target_answer_hours / mean_handle_hours)


def agents_for_service_level(
    arrival_rate_per_hour: float,
    mean_handle_hours: float,
    target_answer_hours: float,
    service_level: float,
) -> int:
    """Fewest concurrent tutors so that `service_level` of requests wait ≤ the target.

    Walks N upward from the smallest stable staffing, carrying Erlang B along (one step per N),
    so the cost is linear in the answer.
    """
    if arrival_rate_per_hour < 0.0 or mean_handle_hours <= 0.0 or target_answer_hours < 0.0:
        raise ValueError("rates must be non-negative and the handle time positive")
    if not 0.0 < service_level < 1.0:
        raise ValueError("service_level must be in (0, 1)")
    load = arrival_rate_per_hour * mean_handle_hours
    if load == 0.0:
        return 0
    agents = math.floor(load) + 1
    blocking = erlang_b(load, agents)
    while True:
        waiting = agents * blocking / (agents - load * (1.0 - blocking))
        decay = math.exp(-(agents - load) * target_answer_hours / mean_handle_hours)
        if 1.0 - waiting * decay >= service_level:
            return agents
        agents += 1
        blocking = load * blocking / (agents + load * blocking)


def concurrent_tutors_needed(
    peak_hour_demand_hours: float,
    mean_session_hours: float,
    target_answer_hours: float,
    service_level: float = 0.8,
) -> int:
    """Erlang C staffing for one subject's peak hour: tutors online at once.

    Sessions booked in the peak hour, `peak_hour_demand_hours / mean_session_hours`, are the
    arrivals of that hour; the offered load is then the peak hour's demand hours.
    """
    if mean_session_hours <= 0.0:
        raise ValueError("mean_session_hours must be positive")
    arrivals = max(peak_hour_demand_hours, 0.0) / mean_session_hours
    return agents_for_service_level(
        arrivals, mean_session_hours, target_answer_hours, service_level
    )


@dataclass(frozen=True, slots=True)
class Allocation:
    """How tutors' weekly hours cover each subject, counting every tutor-hour once.

    `covered[s] + shortfall[s] == required[s]`; `spare[t]` is tutor t's unallocated capacity;
    `hours[t, s]` is the share of tutor t's hours given to subject s (tutors with the same
    skill set share their group's hours in proportion to capacity).
    """

    covered: FloatArray
    shortfall: FloatArray
    spare: FloatArray
    hours: FloatArray

    def to_dict(self, subjects: Sequence[str]) -> dict[str, Any]:
        return {
            "covered": dict(zip(subjects, self.covered.tolist(), strict=True)),
            "shortfall": dict(zip(subjects, self.shortfall.tolist(), strict=True)),
            "spare_hours_total": float(self.spare.sum()),
        }


def allocate_supply(
    capacity_hours: ArrayLike, qualified: ArrayLike, required: ArrayLike
) -> Allocation:
    """Assign tutor-hours to subjects, maximising the required hours covered.

    A linear program (HiGHS): variables are hours a skill-set group gives a subject it is
    qualified for; each group's hours are at most its total capacity, each subject's at most
    its requirement. Tutors with identical skill sets are merged first, which shrinks 1,000
    tutors to the few hundred distinct sets. Among the maximal allocations, a second LP picks
    one that minimises the largest shortfall share, so a shared shortage is spread over the
    subjects that compete for the same tutors instead of landing on whichever the solver hit.
    """
    capacity = np.maximum(np.asarray(capacity_hours, dtype=np.float64), 0.0)
    skills = np.asarray(qualified, dtype=bool)
    need = np.maximum(np.asarray(required, dtype=np.float64), 0.0)
    if not (np.isfinite(capacity).all() and np.isfinite(need).all()):
        raise ValueError("capacity and required hours must be finite numbers")
    if skills.ndim != 2 or skills.shape != (capacity.shape[0], need.shape[0]):
        raise ValueError("qualified must be tutors x subjects, matching capacity and required")
    n_tutors, n_subjects = skills.shape

    active = (capacity > 0.0) & skills.any(axis=1)
    groups, group_of = np.unique(skills[active], axis=0, return_inverse=True)
    group_of = np.asarray(group_of).reshape(-1)
    group_capacity = np.bincount(group_of, weights=capacity[active], minlength=len(groups)).astype(
        np.float64
    )
    pair_group, pair_subject = np.nonzero(groups)

    group_hours = np.zeros((len(groups), n_subjects))
    if len(pair_group) and need.sum() > 0.0:
        group_hours[pair_group, pair_subject] = _allocation_lp(
            pair_group, pair_subject, group_capacity, need
        )

    covered = np.minimum(group_hours.sum(axis=0), need)
    used = group_hours.sum(axis=1)
    hours = np.zeros((n_tutors, n_subjects))
    active_index = np.nonzero(active)[0]
    share = np.divide(
        capacity[active],
        group_capacity[group_of],
        out=np.zeros(len(active_index)),
        where=group_capacity[group_of] > 0.0,
    )
    hours[active_index] = group_hours[group_of] * share[:, None]
    spare = capacity.copy()
    spare[active_index] = capacity[active] - used[group_of] * share
    spare = np.where(spare > _HOURS_TOLERANCE, spare, 0.0)
    shortfall = need - covered
    shortfall = np.where(shortfall > _HOURS_TOLERANCE, shortfall, 0.0)
    return Allocation(covered=covered, shortfall=shortfall, spare=spare, hours=hours)


def _allocation_lp(
    pair_group: NDArray[np.intp],
    pair_subject: NDArray[np.intp],
    group_capacity: FloatArray,
    need: FloatArray,
) -> FloatArray:
    """Hours per (group, subject) pair: max total cover, then the smallest worst shortfall share."""
    n_pairs = len(pair_group)
    n_groups = len(group_capacity)
    pairs = np.arange(n_pairs)
    # Rows 0..n_groups-1: a group's hours ≤ its capacity; then one row per subject ≤ its need.
    capacity_rows = np.concatenate([pair_group, n_groups + pair_subject])
    capacity_cols = np.concatenate([pairs, pairs])
    capacity_rhs = np.concatenate([group_capacity, need])
    n_capacity_rows = n_groups + len(need)
    matrix = coo_array(
        (np.ones(2 * n_pairs), (capacity_rows, capacity_cols)), shape=(n_capacity_rows, n_pairs)
    ).tocsr()
    first = linprog(-np.ones(n_pairs), A_ub=matrix, b_ub=capacity_rhs, method="highs")
    if first.status != 0:
        raise RuntimeError(f"allocation LP failed: {first.message}")
    flow = np.asarray(first.x, dtype=np.float64)
    best_total = float(flow.sum())

    # Second LP over (flow, z): keep the total within solver tolerance of the optimum and
    # minimise z ≥ shortfall_s / need_s, i.e. -covered_s / need_s - z ≤ -1, for every subject.
    z = n_pairs
    share_subjects = np.nonzero(need > 0.0)[0]
    share_row_of = np.full(len(need), -1)
    share_row_of[share_subjects] = n_capacity_rows + 1 + np.arange(len(share_subjects))
    with_need = need[pair_subject] > 0.0
    share_rows = share_row_of[pair_subject[with_need]]
    rows = np.concatenate(
        [
            capacity_rows,
            np.full(n_pairs, n_capacity_rows),
            share_rows,
            share_row_of[share_subjects],
        ]
    )
    cols = np.concatenate([capacity_cols, pairs, pairs[with_need], np.full(len(share_subjects), z)])
    data = np.concatenate(
        [
            np.ones(2 * n_pairs),
            -np.ones(n_pairs),
            -1.0 / need[pair_subject[with_need]],
            -np.ones(len(share_subjects)),
        ]
    )
    slack = 1e-9 * max(best_total, 1.0)
    rhs = np.concatenate([capacity_rhs, [slack - best_total], -np.ones(len(share_subjects))])
    fair_matrix = coo_array((data, (rows, cols)), shape=(len(rhs), n_pairs + 1)).tocsr()
    costs = np.zeros(n_pairs + 1)
    costs[z] = 1.0
    second = linprog(costs, A_ub=fair_matrix, b_ub=rhs, method="highs")
    if second.status == 0 and float(second.x[:n_pairs].sum()) >= best_total - 1e-6:
        flow = np.asarray(second.x[:n_pairs], dtype=np.float64)
    return np.maximum(flow, 0.0)


@dataclass(frozen=True, slots=True)
class ShortfallAlert:
    """The first forecast week in which a subject lacks tutor-hours, and what to do about it.

    `week_start` is the "by" date. `qualified_tutors` counts active tutors qualified in the
    subject whose main subject is another one: at the allocation optimum none of them has idle
    hours (the LP would have used them), so they are the people to offer extra hours to.
    `primary_subject_counts` breaks them down by main subject, largest first.
    """

    subject: str
    week_start: date
    shortfall_hours: int
    required_hours: float
    covered_hours: float
    shortfall_share: float
    severity: str
    qualified_tutors: int
    primary_subject_counts: tuple[tuple[str, int], ...]
    new_tutors_needed: int
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "week_start": self.week_start.isoformat(),
            "shortfall_hours": self.shortfall_hours,
            "required_hours": self.required_hours,
            "covered_hours": self.covered_hours,
            "shortfall_share": self.shortfall_share,
            "severity": self.severity,
            "qualified_tutors": self.qualified_tutors,
            "primary_subject_counts": [list(pair) for pair in self.primary_subject_counts],
            "new_tutors_needed": self.new_tutors_needed,
            "action": self.action,
        }


_SEVERITY_ORDER = {"critical": 0, "warning": 1}


def _hours_up(hours: float) -> int:
    return math.ceil(hours - 1e-9)


def _action(
    subject: str,
    week_start: date,
    shortfall: int,
    counts: list[tuple[str, int]],
    unnamed: int,
    new_tutors: int,
    recruit_hours_per_tutor: float,
) -> str:
    need = f"{subject} needs +{shortfall} tutor-hours/week by {week_start.isoformat()}"
    total = sum(n for _, n in counts) + unnamed
    if total == 0:
        hours = f"{recruit_hours_per_tutor:g}"
        plural = "tutor" if new_tutors == 1 else "tutors"
        return f"{need}; recruit {new_tutors} new {subject} {plural} at {hours} h/week"
    if not counts:
        who = f"{total} tutor is" if total == 1 else f"{total} tutors are"
        return f"{need}; {who} qualified"
    top_subject, top_count = counts[0]
    others = total - top_count
    teach = "teaches" if top_count == 1 else "teach"
    lead = f"{top_count} tutor who {teach}" if top_count == 1 else f"{top_count} tutors who {teach}"
    if others == 0:
        verb = "is" if top_count == 1 else "are"
        return f"{need}; {lead} {top_subject} {verb} qualified"
    return f"{need}; {lead} {top_subject} and {others} who teach other subjects are qualified"


def shortfall_alerts(
    subjects: Sequence[str],
    weeks: Sequence[date],
    required: ArrayLike,
    capacity: ArrayLike,
    qualified: ArrayLike,
    tutor_primary_subject: Sequence[str | None],
    *,
    min_shortfall_hours: float = DEFAULT_MIN_SHORTFALL_HOURS,
    critical_share: float = DEFAULT_CRITICAL_SHARE,
    recruit_hours_per_tutor: float = DEFAULT_RECRUIT_HOURS_PER_TUTOR,
) -> list[ShortfallAlert]:
    """One alert per subject: its first week whose shortfall exceeds `min_shortfall_hours`.

    `required` is weeks x subjects tutor-hours (e.g. `required_hours` of the forecast);
    `capacity` and `qualified` describe the tutors as in `allocate_supply`, the same every
    week; `tutor_primary_subject` is the subject each tutor mostly teaches (None if none).
    Severity is "critical" when the shortfall is at least `critical_share` of the requirement.
    Sorted by date, then severity (critical first), then the larger shortfall.
    """
    need = np.asarray(required, dtype=np.float64)
    supply = np.asarray(capacity, dtype=np.float64)
    skills = np.asarray(qualified, dtype=bool)
    if need.shape != (len(weeks), len(subjects)):
        raise ValueError("required must be weeks x subjects")
    if len(tutor_primary_subject) != supply.shape[0]:
        raise ValueError("tutor_primary_subject needs one entry per tutor")
    if recruit_hours_per_tutor <= 0.0:
        raise ValueError("recruit_hours_per_tutor must be positive")

    active = supply > 0.0
    alerts: list[ShortfallAlert] = []
    pending = set(range(len(subjects)))
    for week_index, week_start in enumerate(weeks):
        if not pending:
            break
        allocation = allocate_supply(supply, skills, need[week_index])
        for s in sorted(pending):
            gap = float(allocation.shortfall[s])
            if gap <= min_shortfall_hours:
                continue
            pending.discard(s)
            subject = subjects[s]
            candidates = np.nonzero(active & skills[:, s])[0]
            primaries = [tutor_primary_subject[int(t)] for t in candidates]
            cross = [p for p in primaries if p != subject]
            named = Counter(p for p in cross if p is not None)
            counts = sorted(named.items(), key=lambda item: (-item[1], item[0]))
            unnamed = sum(1 for p in cross if p is None)
            shortfall = _hours_up(gap)
            new_tutors = math.ceil(shortfall / recruit_hours_per_tutor)
            requirement = float(need[week_index, s])
            share = gap / requirement if requirement > 0.0 else 1.0
            alerts.append(
                ShortfallAlert(
                    subject=subject,
                    week_start=week_start,
                    shortfall_hours=shortfall,
                    required_hours=requirement,
                    covered_hours=float(allocation.covered[s]),
                    shortfall_share=share,
                    severity="critical" if share >= critical_share else "warning",
                    qualified_tutors=len(cross),
                    primary_subject_counts=tuple(counts),
                    new_tutors_needed=new_tutors,
                    action=_action(
                        subject,
                        week_start,
                        shortfall,
                        counts,
                        unnamed,
                        new_tutors,
                        recruit_hours_per_tutor,
                    ),
                )
            )
    alerts.sort(
        key=lambda a: (a.week_start, _SEVERITY_ORDER[a.severity], -a.shortfall_hours, a.subject)
    )
    return alerts
