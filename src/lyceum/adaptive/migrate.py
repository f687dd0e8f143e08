"""Seed 004's `migrate.py`: `python -m lyceum.adaptive.migrate upgrade|downgrade|current|
history|autogenerate "message"`, the same commands as `lyceum db …`.

There is one Alembic history for the whole platform (migrations/), so this is a thin front
on it: the adaptive schema is migration 0008 and moves with the others. The URL comes from
the settings (DATABASE_URL, POSTGRES_*), as for `lyceum db`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.exc import OperationalError

from lyceum.core.db import migrate
from lyceum.core.errors import ConfigurationError

USAGE = (
    "usage: python -m lyceum.adaptive.migrate "
    '{upgrade [REV] | downgrade [REV] | current | history | autogenerate "MESSAGE"}'
)


def _upgrade(config: Config, args: list[str]) -> None:
    command.upgrade(config, args[0] if args else "head")


def _downgrade(config: Config, args: list[str]) -> None:
    command.downgrade(config, args[0] if args else "-1")


def _current(config: Config, _args: list[str]) -> None:
    command.current(config, verbose=True)


def _history(config: Config, _args: list[str]) -> None:
    command.history(config, verbose=True)


def _autogenerate(config: Config, args: list[str]) -> None:
    # A caller may direct the new file elsewhere (tests write theirs to a temporary folder).
    version_path = config.attributes.get("version_path")
    command.revision(config, message=args[0], autogenerate=True, version_path=version_path)


# name -> (action, least and most positional arguments)
COMMANDS: dict[str, tuple[Callable[[Config, list[str]], None], int, int]] = {
    "upgrade": (_upgrade, 0, 1),
    "downgrade": (_downgrade, 0, 1),
    "current": (_current, 0, 0),
    "history": (_history, 0, 0),
    "autogenerate": (_autogenerate, 1, 1),
}


def usage_error(argv: Sequence[str]) -> str | None:
    """One line saying what is wrong with `argv`, or None when it is a valid command."""
    if not argv:
        return "missing command"
    name, *args = argv
    if name not in COMMANDS:
        return f"unknown command {name!r}"
    _action, least, most = COMMANDS[name]
    if not least <= len(args) <= most:
        expected = "no argument" if most == 0 else f"{least} to {most} argument(s)"
        if least == most == 1:
            expected = "exactly one argument"
        return f"{name} takes {expected}, got {len(args)}"
    if name == "autogenerate" and not args[0].strip():
        return "autogenerate needs a non-empty message"
    return None


def run(argv: Sequence[str], config: Config | None = None) -> None:
    """Run one valid command; Alembic's and the settings' errors raise ConfigurationError."""
    name, *args = argv
    action = COMMANDS[name][0]
    try:
        action(config or migrate.alembic_config(), list(args))
    except CommandError as exc:
        raise ConfigurationError(f"{name} failed: {exc}") from None
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ConfigurationError(f"{name} failed: cannot use the database: {reason}") from None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    problem = usage_error(argv)
    if problem is not None:
        print(f"migrate: error: {problem}; {USAGE}", file=sys.stderr)
        return 2
    try:
        run(argv)
    except ConfigurationError as exc:
        print(f"migrate: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
