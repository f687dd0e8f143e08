"""The edge's name for the shared command helpers (`lyceum.core.cli`)."""

from lyceum.core.cli import (
    confirm,
    console,
    err_console,
    fail,
    refuse_in_production,
    repo_root,
    run_async,
    settings_or_exit,
)

__all__ = [
    "confirm",
    "console",
    "err_console",
    "fail",
    "refuse_in_production",
    "repo_root",
    "run_async",
    "settings_or_exit",
]
