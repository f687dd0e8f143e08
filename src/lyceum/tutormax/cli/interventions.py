"""`lyceum tutormax interventions apply | escalate | rules`: the intervention engine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from lyceum.core.cli import console, fail, run_async, settings_or_exit
from lyceum.core.errors import LyceumError
from lyceum.tutormax.cli.app import commands

if TYPE_CHECKING:
    from lyceum.tutormax.rules.config import InterventionRules


interventions_commands = typer.Typer(
    help="The intervention engine: apply the rules for a day, escalate what is overdue, "
    "check a rules file.",
    no_args_is_help=True,
)
commands.add_typer(interventions_commands, name="interventions")

DayOption = Annotated[
    datetime | None,
    typer.Option(
        "--date",
        formats=["%Y-%m-%d"],
        help="The day (YYYY-MM-DD, UTC); today when omitted. The synthetic history ends on "
        "2026-11-02.",
    ),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        exists=True,
        dir_okay=False,
        help="A rules file (TOML) instead of TUTORMAX_INTERVENTION_RULES or the packaged one.",
    ),
]


def _day(value: datetime | None) -> date:
    return value.date() if value is not None else datetime.now(UTC).date()


def _rules_or_exit(path: Path | None) -> InterventionRules:
    from lyceum.tutormax.service.interventions import active_rules

    try:
        return active_rules(path)
    except LyceumError as exc:
        fail(str(exc), code=2)


@interventions_commands.command("apply")
def apply_command(day: DayOption = None, rules_path: RulesOption = None) -> None:
    """Match every tutor's latest prediction and 30-day metrics against the rules for the
    day: open the treated tutors' interventions, record the held-out ones. Rerunning a day
    changes nothing."""
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.interventions import ApplyReport, apply_rules

    settings_or_exit()
    rules = _rules_or_exit(rules_path)
    when = _day(day)

    async def run() -> ApplyReport:
        async with get_session() as db:
            return await apply_rules(db, when, rules=rules)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    console.print(
        f"{report.day}: {report.tutors_considered} tutors with recent inputs, "
        f"{report.matched} rule matches ({report.already_recorded} recorded by an earlier run); "
        f"{report.opened} interventions opened, {report.held_out} held out, "
        f"{report.already_open} already open.",
        highlight=False,
    )


@interventions_commands.command("escalate")
def escalate_command(day: DayOption = None, rules_path: RulesOption = None) -> None:
    """Escalate the open interventions whose due day passed before the day: priority up, the
    queue above, a new due day, the assignee told."""
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.interventions import EscalationReport, escalate_overdue

    settings_or_exit()
    rules = _rules_or_exit(rules_path)
    when = _day(day)

    async def run() -> EscalationReport:
        async with get_session() as db:
            return await escalate_overdue(db, when, rules=rules)

    try:
        report = run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    console.print(
        f"{report.day}: {report.escalated} overdue interventions escalated, "
        f"{report.notified} owners notified.",
        highlight=False,
    )


@interventions_commands.command("rules")
def rules_command(rules_path: RulesOption = None) -> None:
    """Check a rules file and list its rules (the packaged ones by default)."""
    rules = _rules_or_exit(rules_path)
    table = Table(title=f"Intervention rules (version {rules.version})")
    for column in ("rule", "type", "priority", "queue", "due (working days)", "holdout"):
        table.add_column(column)
    for rule in rules.rules:
        table.add_row(
            rule.id,
            rule.intervention_type.value,
            str(rule.priority),
            rule.owner_queue,
            str(rule.due_in_working_days),
            "yes" if rule.holdout else "no",
        )
    console.print(table)
    holdout = rules.holdout
    console.print(
        f"Holdout: {holdout.share:.0%} of matched tutors per {holdout.period}; escalation up "
        f"to {rules.escalation.max_level} times, {rules.escalation.extend_working_days} more "
        "working days each.",
        highlight=False,
    )
