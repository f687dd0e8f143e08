"""The BKT parameters the plan evaluation gives the planner: fitted per concept by the
mastery model's EM (`mastery.fit`) on the whole synthetic history, as the product would fit
them from its attempts; `DEFAULT_PARAMS` for every concept if that fit is unavailable or
fails. The second value says which (the report carries it)."""

from __future__ import annotations

import numpy as np

from lyceum.adaptive.mastery.bkt import BktParams
from lyceum.adaptive.synthetic.dataset import AdaptiveHistory

FITTED = "fitted per concept by EM (mastery.fit) on the history"
DEFAULTS = "DEFAULT_PARAMS for every concept (mastery.fit unavailable: {error})"


def estimate_params(history: AdaptiveHistory) -> tuple[dict[str, BktParams], str]:
    try:
        from lyceum.adaptive.mastery.fit import fit_packed
        from lyceum.adaptive.mastery.sequences import pack
    except ImportError as exc:  # the mastery helper's module may be absent in a checkout
        return {}, DEFAULTS.format(error=exc)
    a = history.attempts
    n_concepts = len(history.concepts)
    numeric = np.array([q["question_type"] != "mcq" for q in history.questions])
    start = history.start
    days = np.array([(t - start).total_seconds() / 86_400.0 for t in a.attempted_at])
    try:
        packed = pack(a.student_index * n_concepts + a.concept_index, a.concept_index, days,
                      a.is_correct, numeric[a.question_index])  # fmt: skip
        fits = fit_packed(packed, n_concepts)
    except Exception as exc:  # a fit in progress elsewhere must not stop the run
        return {}, DEFAULTS.format(error=f"{type(exc).__name__}: {exc}")
    codes = [c["code"] for c in history.concepts]
    return {code: fit.params for code, fit in zip(codes, fits, strict=True)}, FITTED
