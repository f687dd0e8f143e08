"""Measured effect (pure: NumPy, SciPy and the synthetic world; no database): what
interventions do to churn, in a world where the answer is known.

- `targeting`: an honest per-tutor risk score from the tables (reschedules, no-shows,
  logins, ratings), standing in for the churn model and the rules until they are wired in;
- `simulation`: no intervention, a targeting policy and random targeting at equal capacity,
  each with a randomised holdout, run on the same futures of the synthetic world
  (`synthetic.forward`, with the planted effect of `synthetic.treatment`);
- `uplift`: the estimator of the effect from treated against holdout outcomes, with its
  interval; `lyceum tutormax uplift` is to apply it to the database's interventions.
"""

from lyceum.tutormax.policysim.simulation import (
    NO_INTERVENTION,
    RANDOM,
    PolicyResult,
    PolicySimConfig,
    PolicySimulation,
    TargetingPolicy,
    simulate_policies,
)
from lyceum.tutormax.policysim.targeting import BehaviourRisk, behaviour_risk, history_risk
from lyceum.tutormax.policysim.uplift import (
    UpliftEstimate,
    estimate_uplift,
    estimate_uplift_from_outcomes,
)

__all__ = [
    "NO_INTERVENTION",
    "RANDOM",
    "BehaviourRisk",
    "PolicyResult",
    "PolicySimConfig",
    "PolicySimulation",
    "TargetingPolicy",
    "UpliftEstimate",
    "behaviour_risk",
    "estimate_uplift",
    "estimate_uplift_from_outcomes",
    "history_risk",
    "simulate_policies",
]
