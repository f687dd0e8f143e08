"""`make_plan`: the day-by-day plan that maximizes expected marks by the exam date.

Formulation (a mixed-integer program solved by HiGHS through `scipy.optimize.milp`):

- Time is counted in attempts (`minutes_per_attempt` each); the budget A is the calendar's
  total (hours_per_week / 7 a day from today to the day before the exam). Practice comes in
  blocks of s attempts (s = 5, larger when the budget is large, so there are at most about
  four blocks per concept on average).
- x[i, k] ∈ {0, 1}: concept i gets its k-th block (k = 1..B_i), with x[i, k] ≤ x[i, k-1], so
  x[i, 1] is the "studied" binary.
- Gain of a block, from the planner's model (`planning.model`): with p = P(L) now, the expected
  P(L) after n attempts is 1 - (1 - p)(1 - p_learn)^n, decayed to the exam over the gap the
  scheduler leaves after a studied concept's last (review) chunk: at most a week (half the
  calendar when shorter); not studying leaves p decayed
  from the last practice to the exam. The k-th block adds marks · (P(k blocks) - P(k-1 blocks))
  (the first block against the no-study value). The gains fall with k (geometrically), so
  the objective is a concave piecewise-linear function of each concept's practice.
- Budget: s · Σ x ≤ A.
- Prerequisite order: a concept may be studied only if each prerequisite not yet mastered
  (P(L) < 0.8) is studied enough to reach 0.8 in expectation, or for 45 minutes when its
  learning rate would need longer: x[i, 1] ≤ x[j, K_j], with K_j the blocks that takes.
  Every constraint but the budget is then a precedence x_a ≤ x_b between binaries (a closure
  problem, whose LP relaxation is integral), so the relaxation is tight and HiGHS closes the
  gap quickly.
  The scheduler then puts every prerequisite's learning before its dependants'.

Attempts the blocks leave unused (fewer than s) go one at a time to the studied concept with
the largest marginal gain; each adds a non-negative gain, so the result is never below the
MILP's optimum over whole blocks (no optimality claim beyond that is made for this top-up).
HiGHS solves the LP relaxation first; when it is integral it is the optimum. Otherwise its
solution is rounded down to whole blocks (feasible: flooring keeps every x_a ≤ x_b and the
budget) and refilled with whole feasible blocks, best gain first. The LP's value bounds the
MILP's optimum from above, so the rounded plan is within (LP - rounded) / LP of optimal; when
that is at most 1 % it is kept (certified), else HiGHS's branch and bound runs (to a 0.5 %
gap, limits of 200 nodes and 0.2 s) and the better of the two is kept. `Plan.method` says
which and the certified distance from optimal. No greedy is relied on for a guarantee: the
refills only add, and the bound comes from the LP.

The plan's figures (expected marks, the baseline's, the no-study marks) are computed exactly
under the BKT model from the laid-out schedule (`model.score`), not from the MILP's objective,
which approximates the forgetting gap.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]
from scipy.sparse import coo_array  # type: ignore[import-untyped]

from lyceum.adaptive.mastery.bkt import mastery_at
from lyceum.adaptive.planning import model
from lyceum.adaptive.planning.baseline import weightage_allocation
from lyceum.adaptive.planning.types import ConceptInput, Plan, PlanRequest

METHOD = "MILP (HiGHS via scipy.optimize.milp)"
# `study_plans.method` holds 80 characters: the variants stay within them.
METHOD_OPTIMAL = f"{METHOD}, optimal"
METHOD_ROUNDED = f"{METHOD}, LP rounded"
METHOD_BRANCHED = f"{METHOD}, branch and bound"
MAX_BLOCKS = 16
# "Studied enough" for a prerequisite: to P(L) 0.8 in expectation, or this many attempts
# (45 minutes) when its learning rate would need more — a fitted p_learn near its lower bound
# would otherwise make one concept a gate that shuts every dependant out of the plan.
MAX_PREREQUISITE_ATTEMPTS = 15
REVIEW_GAP_DAYS = 7.0
MIN_BLOCK = 2
TIME_LIMIT_SECONDS = 0.2
NODE_LIMIT = 200
MIP_GAP = 0.005
# A rounded LP solution this close to the LP bound is kept without branch and bound.
CERTIFY_GAP = 0.01
# Blocks stop once all a concept could still add is below this many marks (hundredths of a
# mark change no decision, and fewer columns keep HiGHS fast).
NEGLIGIBLE_MARKS = 0.01


def attempts_to_reach(concept: ConceptInput, p_now: float, target: float) -> float:
    """Expected attempts to bring P(L) from `p_now` to `target` (inf when learning is nil)."""
    if p_now >= target:
        return 0.0
    keep = 1.0 - concept.params.p_learn
    if keep <= 0.0:
        return 1.0
    if keep >= 1.0:
        return math.inf
    return math.log((1.0 - target) / (1.0 - p_now)) / math.log(keep)


class _Model:
    """The MILP's columns and rows."""

    def __init__(self, request: PlanRequest, cal: model.Calendar) -> None:
        self.request = request
        self.budget = cal.total
        count = max(len(request.concepts), 1)
        self.block = max(MIN_BLOCK, math.ceil(self.budget / (4 * count)))
        # Forgetting between a concept's last practice and the exam: the scheduler puts each
        # studied concept's last chunk in the review days just before the exam, so the gap is
        # short: half the calendar, at most a week.
        gap_days = min(len(cal.days) / 2.0, REVIEW_GAP_DAYS)
        now = request.now
        self.p_now = [mastery_at(c.params, c.state, now) for c in request.concepts]
        self.p_exam = [model.exam_mastery(c, (), cal.exam_at) for c in request.concepts]
        # Blocks each concept needs to reach the prerequisite threshold: a prerequisite keeps
        # at least that many columns, whatever its own marks (0 for another grade's concept).
        cap = math.ceil(MAX_PREREQUISITE_ATTEMPTS / self.block)
        self.needed = [
            min(math.ceil(attempts_to_reach(c, p, model.MASTERED) / self.block - 1e-9), cap)
            if p < model.MASTERED
            else 0
            for c, p in zip(request.concepts, self.p_now, strict=True)
        ]
        self.gains: list[list[float]] = []
        for concept, p, p_exam, needed in zip(
            request.concepts, self.p_now, self.p_exam, self.needed, strict=True
        ):
            decay = math.exp(-concept.params.forget_per_day * gap_days)
            keep = (1.0 - concept.params.p_learn) ** self.block
            gains: list[float] = []
            before, miss = p_exam, 1.0 - p
            limit = min(MAX_BLOCKS, self.budget // self.block)
            while len(gains) < limit:
                miss *= keep
                after = (1.0 - miss) * decay
                gains.append(concept.marks * max(after - before, 0.0))
                before = after
                if concept.marks * miss * decay < NEGLIGIBLE_MARKS and len(gains) >= needed:
                    break
            self.gains.append(gains)
        self.offset = np.cumsum([0] + [len(g) for g in self.gains]).tolist()
        # The concept each column belongs to.
        self.owner = np.repeat(np.arange(len(self.gains)), [len(g) for g in self.gains]).tolist()

    def solve(self) -> tuple[list[int], str]:
        """Blocks per concept and the method that found them."""
        n_vars = self.offset[-1]
        if n_vars == 0:
            return [0] * len(self.gains), METHOD
        c = -np.array([g for gains in self.gains for g in gains])
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lower: list[float] = []
        upper: list[float] = []

        def row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
            r = len(lower)
            for col, val in entries:
                rows.append(r)
                cols.append(col)
                vals.append(val)
            lower.append(lo)
            upper.append(hi)

        row([(v, float(self.block)) for v in range(n_vars)], -np.inf, float(self.budget))
        for i, gains in enumerate(self.gains):
            first = self.offset[i]
            for k in range(1, len(gains)):
                row([(first + k, 1.0), (first + k - 1, -1.0)], -np.inf, 0.0)
        index = {c.code: i for i, c in enumerate(self.request.concepts)}
        ub = self.ub = np.ones(n_vars)
        self.requires: dict[int, list[int]] = {}
        for i, concept in enumerate(self.request.concepts):
            if not self.gains[i]:
                continue
            for code in concept.prerequisites:
                j = index.get(code)
                if j is None or self.p_now[j] >= model.MASTERED:
                    continue
                blocks = self.needed[j]
                if blocks > len(self.gains[j]):
                    ub[self.offset[i] : self.offset[i + 1]] = 0.0
                    continue
                if blocks == 0:
                    continue
                # With the blocks taken in order, "j has at least K blocks" is x[j, K] = 1:
                # a precedence between two binaries, which keeps the LP relaxation tight.
                row([(self.offset[i], 1.0), (self.offset[j] + blocks - 1, -1.0)], -np.inf, 0.0)
                self.requires.setdefault(i, []).append(self.offset[j] + blocks - 1)
        matrix = coo_array((vals, (rows, cols)), shape=(len(lower), n_vars)).tocsr()
        constraints = LinearConstraint(matrix, np.array(lower), np.array(upper))
        bounds = Bounds(np.zeros(n_vars), ub)
        # The LP relaxation first: with precedences and one budget row it is often integral,
        # and then it is the MILP's optimum. Otherwise its solution rounded down (which keeps
        # every x_a ≤ x_b and the budget) and refilled with whole blocks; when that is within
        # CERTIFY_GAP of the LP bound it is certified near-optimal and kept, else the MILP runs
        # (node and time limits) and the better of the two is kept.
        options = {"time_limit": TIME_LIMIT_SECONDS, "presolve": True}
        relaxed = milp(c, constraints=constraints, bounds=bounds, options=options)
        if relaxed.x is None:  # pragma: no cover - x = 0 is always feasible
            return [0] * len(self.gains), METHOD
        bound = -float(relaxed.fun)
        x = np.floor(np.asarray(relaxed.x) + 1e-6)
        method = METHOD_OPTIMAL
        if np.abs(np.asarray(relaxed.x) - x).max() > 1e-6:
            x = self._repair(x, -c)
            method = METHOD_ROUNDED
            if bound - float(-c @ x) > CERTIFY_GAP * bound:
                # Without presolve: HiGHS settles these at the root node, and its presolve
                # took most of the time (measured 3x slower).
                mip_options = {"time_limit": TIME_LIMIT_SECONDS, "presolve": False,
                               "mip_rel_gap": MIP_GAP, "node_limit": NODE_LIMIT}  # fmt: skip
                result = milp(c, constraints=constraints, integrality=np.ones(n_vars),
                              bounds=bounds, options=mip_options)  # fmt: skip
                if result.x is not None and -float(result.fun) > float(-c @ x):
                    x = np.floor(np.asarray(result.x) + 1e-6)
                    method = METHOD_BRANCHED
            gap = max(bound - float(-c @ x), 0.0) / bound if bound > 0 else 0.0
            method += f", within {gap:.1%} of optimal"
        per_concept = [
            int(x[self.offset[i] : self.offset[i + 1]].sum()) for i in range(len(self.gains))
        ]
        return per_concept, method

    def _needs(self, x: np.ndarray[Any, Any], i: int, k: int, into: set[int]) -> bool:
        """Add to `into` the unset columns that x[i, k] = 1 requires (its concept's earlier
        blocks and, for a first block, the prerequisites' blocks, recursively); False when one
        of them cannot be set."""
        if k > len(self.gains[i]):
            return False
        for v in range(self.offset[i], self.offset[i] + k):
            if x[v] > 0.5 or v in into:
                continue
            if self.ub[v] == 0.0:
                return False
            into.add(v)
            if v == self.offset[i]:
                for needed in self.requires.get(i, ()):
                    if x[needed] > 0.5 or needed in into:
                        continue
                    j = self.owner[needed]
                    if not self._needs(x, j, needed - self.offset[j] + 1, into):
                        return False
        return True

    def _repair(self, x: np.ndarray[Any, Any], gain: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Fill the budget the rounding freed: repeatedly the next block of some concept
        together with everything it requires (a dependant's first block brings its
        prerequisites' blocks), the bundle with the best gain per attempt that fits."""
        x = x.copy()
        left = self.budget - self.block * int(x.sum())
        while left >= self.block:
            best: set[int] = set()
            best_rate = 0.0
            for i in range(len(self.gains)):
                taken = int(x[self.offset[i] : self.offset[i + 1]].sum())
                bundle: set[int] = set()
                if not self._needs(x, i, taken + 1, bundle) or not bundle:
                    continue
                if len(bundle) * self.block > left:
                    continue
                rate = float(sum(gain[v] for v in bundle)) / len(bundle)
                if rate > best_rate:
                    best, best_rate = bundle, rate
            if not best:
                break
            for v in best:
                x[v] = 1.0
            left -= self.block * len(best)
        return x

    def top_up(self, blocks: list[int]) -> dict[str, int]:
        """Attempts per concept: the blocks, plus the leftover attempts one at a time to the
        studied concept whose next attempt gains most."""
        attempts = [b * self.block for b in blocks]
        left = self.budget - sum(attempts)
        concepts = self.request.concepts
        studied = [i for i, n in enumerate(attempts) if n > 0]
        while left > 0 and studied:

            def marginal(i: int) -> float:
                concept = concepts[i]
                keep = 1.0 - concept.params.p_learn
                return concept.marks * (1.0 - self.p_now[i]) * keep ** attempts[i] * (1 - keep)

            best = max(studied, key=marginal)
            attempts[best] += 1
            left -= 1
        return {c.code: n for c, n in zip(concepts, attempts, strict=True) if n > 0}


def make_plan(request: PlanRequest) -> Plan:
    cal = model.calendar(request)
    problem = _Model(request, cal)
    blocks, method = problem.solve()
    attempts = problem.top_up(blocks)
    scored = model.score(request, cal, model.lay_out(request, cal, attempts))
    baseline_attempts = weightage_allocation(request, cal)
    baseline = model.score(request, cal, model.lay_out(request, cal, baseline_attempts))
    start = request.now.date()
    return Plan(
        starts_on=start,
        ends_on=cal.days[-1] if cal.days else start,
        items=scored.items,
        expected_marks=scored.expected_marks,
        baseline_marks=baseline.expected_marks,
        marks_without_study=scored.marks_without_study,
        method=method,
    )


__all__ = ["METHOD", "make_plan"]
