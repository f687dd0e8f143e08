"""`lyceum tutormax …`. One Typer app (`app.commands`); each module adds its commands to it:
`app` (init), `churn` (train, score, evaluate), `interventions` (apply, escalate, rules),
`policysim` (policy-sim), `uplift` (uplift), `daily` (daily, catch-up), `metrics` (metrics)."""

from lyceum.tutormax.cli import churn, daily, interventions, metrics, policysim, uplift
from lyceum.tutormax.cli.app import commands

# Imported for the commands they register.
__all__ = [
    "churn",
    "commands",
    "daily",
    "interventions",
    "metrics",
    "policysim",
    "uplift",
]
