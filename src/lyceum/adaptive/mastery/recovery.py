"""Parameter recovery: fit EM to a world whose truth is BKT with forgetting
(`synthetic/bkt_world.py`) and compare the fitted parameters with the true ones.

Recovery is measured here, not on the main world: the main world's answers come from a
continuous IRT-style mastery (`synthetic/learning.py`), which has no true guess, slip or
learning rate to recover; it measures predictive quality (`evaluation.py`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lyceum.adaptive.mastery.fit import BOUNDS, ConceptFit, fit_packed
from lyceum.adaptive.mastery.sequences import pack
from lyceum.adaptive.synthetic.bkt_world import CONCEPTS, STUDENTS, BktWorld, simulate_bkt

TOLERANCE = 0.05


@dataclass(frozen=True, slots=True)
class ParameterErrors:
    """Absolute errors |fitted - true| over the fitted concepts."""

    name: str
    mean: float
    median: float
    max: float
    within_tolerance: float  # share of concepts within TOLERANCE


@dataclass(frozen=True, slots=True)
class Recovery:
    scale: str
    seed: int
    students: int
    concepts_fitted: int
    attempts: int
    fit_seconds: float
    errors: tuple[ParameterErrors, ...]

    def error(self, name: str) -> ParameterErrors:
        return next(e for e in self.errors if e.name == name)


def fit_world(world: BktWorld) -> list[ConceptFit]:
    packed = pack(world.student * CONCEPTS + world.concept, world.concept, world.days,
                  world.correct, world.numeric)  # fmt: skip
    return fit_packed(packed, CONCEPTS)


def recovery(scale: str = "default", seed: int = 0) -> Recovery:
    world = simulate_bkt(scale, seed)
    started = time.perf_counter()
    fits = fit_world(world)
    seconds = time.perf_counter() - started
    pairs = [(f.params, t) for f, t in zip(fits, world.truth, strict=True) if f.fitted]
    errors = []
    for name in BOUNDS:
        err = np.array([abs(getattr(fit, name) - getattr(true, name)) for fit, true in pairs])
        errors.append(
            ParameterErrors(
                name=name,
                mean=round(float(err.mean()), 4),
                median=round(float(np.median(err)), 4),
                max=round(float(err.max()), 4),
                within_tolerance=round(float(np.mean(err <= TOLERANCE)), 3),
            )
        )
    return Recovery(
        scale=scale,
        seed=seed,
        students=STUDENTS[scale],
        concepts_fitted=len(pairs),
        attempts=len(world),
        fit_seconds=round(seconds, 2),
        errors=tuple(errors),
    )


__all__ = ["TOLERANCE", "ParameterErrors", "Recovery", "fit_world", "recovery"]
