"""`lyceum tutormax …`. One Typer app (`app.commands`); each module adds its commands to it:
`app` (init), `churn` (train, score, evaluate), `interventions` (apply, escalate, rules),
`policysim` (policy-sim), `daily` (daily), `metrics` (metrics)."""

from lyceum.tutormax.cli import churn, daily, interventions, metrics, policysim
from lyceum.tutormax.cli.app import commands

# Imported for the commands they register.
__all__ = [
    "churn",
    "commands",
    "daily",
    "interventions",
    "metrics",
    "policysim",
]
