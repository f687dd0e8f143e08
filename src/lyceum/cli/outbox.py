"""`lyceum outbox …`: look at the messages apps have written, deliver the due ones now."""

from __future__ import annotations

import enum
from typing import Annotated

import typer
from rich.table import Table

from lyceum.cli.common import console, fail, run_async, settings_or_exit
from lyceum.core import outbox
from lyceum.core.db.session import session
from lyceum.core.errors import ConfigurationError, LyceumError
from lyceum.core.models import OUTBOX_STATUSES

outbox_app = typer.Typer(
    help="The outbox: messages apps write in their transactions (list them, deliver the due "
    "ones now; `lyceum worker` delivers them continuously).",
    no_args_is_help=True,
)

MessageStatus = enum.Enum("MessageStatus", {name: name for name in OUTBOX_STATUSES}, type=str)  # type: ignore[misc]


@outbox_app.command("list")
def list_command(
    status: Annotated[
        MessageStatus | None, typer.Option(help="Only messages in this status.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
) -> None:
    """The newest messages first."""
    settings_or_exit()

    async def run() -> list[outbox.OutboxRow]:
        async with session() as db:
            return await outbox.list_messages(
                db, status=status.value if status else None, limit=limit
            )

    try:
        rows = run_async(run())
    except (ConfigurationError, LyceumError) as exc:
        fail(str(exc))
    table = Table(title=f"Outbox (newest first, at most {limit})")
    for column in ("created", "status", "attempts", "channel", "to", "subject", "last error"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            row.status,
            str(row.attempts),
            row.channel,
            row.recipient,
            row.subject,
            row.last_error or "",
        )
    console.print(table)
    console.print(f"{len(rows)} message(s)")


@outbox_app.command("deliver")
def deliver_command(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
) -> None:
    """Deliver the due messages now, once (in development: print them here)."""
    settings = settings_or_exit()
    transports = outbox.transports_for(settings)
    if not transports:
        fail(f"no outbox transport is configured for ENV={settings.env}; messages stay pending")

    async def printed(message: outbox.Message) -> None:
        console.rule(f"{message.channel} to {message.recipient}")
        console.print(f"Subject: {message.subject}\n\n{message.body}", highlight=False)

    if settings.is_development:
        transports = {outbox.ANY_CHANNEL: printed}

    async def run() -> outbox.DeliveryReport:
        async with session() as db:
            return await outbox.deliver_due(db, transports, limit=limit)

    try:
        report = run_async(run())
    except (ConfigurationError, LyceumError) as exc:
        fail(str(exc))
    console.print(
        f"{report.sent} sent, {report.retrying} to retry, {report.failed} failed "
        f"({report.claimed} due)"
    )
