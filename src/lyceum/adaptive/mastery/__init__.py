"""Mastery from attempts (pure). Today: the sync's recomputation from a student's whole
history of a concept (`estimate.py`); the Bayesian model of issue 18 replaces the estimator
behind the same function."""

from lyceum.adaptive.mastery.estimate import MasteryEstimate, Outcome, estimate_mastery

__all__ = ["MasteryEstimate", "Outcome", "estimate_mastery"]
