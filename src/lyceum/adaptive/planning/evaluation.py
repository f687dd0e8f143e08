"""`lyceum adaptive plan-eval`: the optimized plan against the weightage-only plan, played
forward in the synthetic world's latent model (`planning.simulation`).

Set-up. The synthetic world runs to its end (15 January); from there each student studies
until their board exam (17 February for class X, 9 March for class XII) for exactly their
stated hours a week, following (a) `make_plan` or (b) `weightage_only_plan`, both redone every
7 days from the BKT states the student's answers have moved (for (b) that changes only the
remaining hours). Both arms start from the same latent state and draw responses from the same
per-student random streams. The planner sees what the product would: BKT states replayed from
the student's attempts, with per-concept parameters fitted by EM (`mastery.fit`, through
`planning.params`) — and, as a second run, with `DEFAULT_PARAMS` for every concept.

Score: expected marks = Σ concept marks · sigmoid(θ on the exam date) — true mastery, latent —
out of 100 for the student's paper; beside them the marks without any study, the gain over
that, and a reference that reads the latent truth (`simulation.oracle_planner`), to show how
much any allocation of the same hours could add in this world.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from lyceum.adaptive.planning.baseline import weightage_only_plan
from lyceum.adaptive.planning.optimize import make_plan
from lyceum.adaptive.planning.params import estimate_params
from lyceum.adaptive.planning.simulation import (
    MINUTES_PER_ATTEMPT,
    REPLAN_DAYS,
    Learner,
    World,
    build_world,
    oracle_planner,
    product_planner,
    request_for,
    run_student,
    student_concepts,
)
from lyceum.adaptive.synthetic.dataset import simulate

OPTIMIZED = product_planner(make_plan)
WEIGHTAGE_ONLY = product_planner(weightage_only_plan)


def _mean(values: list[float]) -> float:
    return round(float(np.mean(values)), 3)


def compare(world: World, students: range, seed: int) -> dict[str, Any]:
    """Both plans for every student of `students` in `world`."""
    ours: list[float] = []
    base: list[float] = []
    none: list[float] = []
    plan_ms: list[float] = []
    methods: dict[str, int] = {}
    for s in students:
        a = run_student(world, s, OPTIMIZED, seed)
        b = run_student(world, s, WEIGHTAGE_ONLY, seed)
        ours.append(a.marks)
        base.append(b.marks)
        none.append(a.without_study)
        method = a.first_plan.method.split(", within")[0]
        methods[method] = methods.get(method, 0) + 1
        plan_ms.append(_time_plan(world, s))
    mean_ours, mean_base, mean_none = (float(np.mean(v)) for v in (ours, base, none))
    return {
        "expected_marks": {
            "optimized_plan": _mean(ours),
            "weightage_only_plan": _mean(base),
            "no_study": _mean(none),
        },
        "relative_improvement": round(float((mean_ours - mean_base) / mean_base), 4),
        "marks_gained_over_no_study": {
            "optimized_plan": round(float(mean_ours - mean_none), 3),
            "weightage_only_plan": round(float(mean_base - mean_none), 3),
            "relative_improvement": round(
                float((mean_ours - mean_base) / max(mean_base - mean_none, 1e-9)), 4
            ),
        },
        "students_better_off": int(sum(o > b for o, b in zip(ours, base, strict=True))),
        "first_plan_method": methods,
        "plan_ms_one_student": {
            "median": round(float(np.median(plan_ms)), 1),
            "p95": round(float(np.percentile(plan_ms, 95)), 1),
            "max": round(float(np.max(plan_ms)), 1),
        },
    }


def _time_plan(world: World, s: int) -> float:
    """Milliseconds for one `make_plan` from the student's state at the start."""
    profile = world.history.student_profiles[s]
    concepts = student_concepts(world, int(profile["grade"]))
    hours = float(profile["available_hours_per_week"])
    request = request_for(world, concepts, Learner.start(world, s), world.history.end,
                          profile["exam_date"], hours)  # fmt: skip
    started = time.perf_counter()
    make_plan(request)
    return (time.perf_counter() - started) * 1000.0


def evaluate(
    scale: str = "default", seed: int = 0, limit: int | None = None, oracle: bool = True
) -> dict[str, Any]:
    started = time.perf_counter()
    history = simulate(scale, seed)
    fitted, source = estimate_params(history)
    count = len(history.student_profiles)
    students = range(count if limit is None else min(limit, count))
    runs: dict[str, Any] = {}
    world_fitted = build_world(history, fitted)
    runs["fitted_params"] = {"params": source, **compare(world_fitted, students, seed)}
    world_default = build_world(history, {})
    runs["default_params"] = {
        "params": "DEFAULT_PARAMS for every concept",
        **compare(world_default, students, seed),
    }
    report: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "students": len(students),
        "start": history.end.isoformat(),
        "replan_every_days": REPLAN_DAYS,
        "minutes_per_attempt": MINUTES_PER_ATTEMPT,
        "target_relative_improvement": 0.15,
        "runs": runs,
    }
    if oracle:
        reference = oracle_planner(world_default)
        marks = [run_student(world_default, s, reference, seed).marks for s in students]
        base = runs["default_params"]["expected_marks"]["weightage_only_plan"]
        none = runs["default_params"]["expected_marks"]["no_study"]
        report["latent_truth_reference"] = {
            "what": "greedy on the generator's true marginal gains (reads θ; not a product "
            "planner): how much any allocation of the same hours adds in this world",
            "expected_marks": _mean(marks),
            "relative_improvement": round((float(np.mean(marks)) - base) / base, 4),
            "marks_gained_relative_improvement": round(
                (float(np.mean(marks)) - base) / max(base - none, 1e-9), 4
            ),
        }
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


__all__ = ["compare", "evaluate"]
