"""Logging set up once per process from LOG_LEVEL."""

from __future__ import annotations

import logging

from rich.logging import RichHandler


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(handler, RichHandler) for handler in root.handlers):
        root.setLevel(level)
        return
    logging.basicConfig(
        level=level,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False)],
    )
    # SQL echo is governed by DB_ECHO, not by the root level.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
