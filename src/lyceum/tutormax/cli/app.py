"""`lyceum tutormax …`: the Typer app and `init`; the engines' commands live beside it
(`churn`, `interventions`, `policysim`) and register on `commands` when the package loads."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from lyceum.core.cli import confirm, console, fail, settings_or_exit
from lyceum.core.db.engine import close_db_sync
from lyceum.core.errors import ConfigurationError, LyceumError


def day_option(value: str | None, option: str) -> date | None:
    """A date option's value (None when not given); a usage error naming the option else."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} takes a date as YYYY-MM-DD, got {value!r}", code=2)


commands = typer.Typer(
    help="TutorMax: initialise its database; compute metrics; train, score and evaluate the"
    " churn model; apply the intervention rules; simulate intervention policies.",
    no_args_is_help=True,
)


@commands.command()
def init(
    reset: Annotated[
        bool, typer.Option("--reset", help="Delete TutorMax's data first (asks first).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Verify the connection, create the schema through the migrations, print next steps."""
    from lyceum.tutormax.init_db import initialize

    settings = settings_or_exit()

    def ask(question: str) -> bool:
        confirm(question, yes)  # exits unless confirmed
        return True

    try:
        initialize(
            settings,
            reset=reset,
            confirm=ask,
            say=lambda line: console.print(line, markup=False, highlight=False, soft_wrap=True),
        )
    except (LyceumError, ConfigurationError) as exc:
        fail(str(exc))
    finally:
        close_db_sync()


@commands.command("link-account")
def link_account(
    email: Annotated[str, typer.Argument(help="The account's email; it holds tutormax:tutor.")],
    tutor_id: Annotated[str, typer.Argument(help="The tutor the account speaks for.")],
) -> None:
    """Let a tutor account read its tutor's profile (GET /api/tutormax/tutors/{id}/profile).
    Create the account first with the role tutormax:tutor."""
    from lyceum.core.cli import run_async
    from lyceum.tutormax.connection import get_session
    from lyceum.tutormax.service.profiles import link_tutor_account

    settings_or_exit()

    async def run() -> None:
        async with get_session() as db:
            await link_tutor_account(db, email, tutor_id)  # committed on leaving

    try:
        run_async(run())
    except LyceumError as exc:
        fail(str(exc))
    console.print(f"{email} now reads tutor {tutor_id}'s profile.", highlight=False)
