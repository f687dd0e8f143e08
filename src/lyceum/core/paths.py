"""Where the project is, so that relative defaults do not depend on the working directory.

Run from another directory, a CLI whose data directory was `./.lyceum` would silently start
a second, empty database there. Relative paths in the settings are therefore resolved
against the project root: the checkout this code runs from (the directory holding its
`pyproject.toml` and `alembic.ini`). Installed as a package outside any checkout, there is
no such directory and the working directory is used, as before.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

# src/lyceum/core/paths.py -> the checkout is three directories above `core`.
_CHECKOUT_DEPTH = 3


@cache
def project_root() -> Path | None:
    """The checkout this code runs from, or None when installed outside one."""
    candidate = Path(__file__).resolve().parents[_CHECKOUT_DEPTH]
    if (candidate / "pyproject.toml").is_file() and (candidate / "alembic.ini").is_file():
        return candidate
    return None


def anchor() -> Path:
    """What relative settings are relative to: the project root, else the working directory."""
    return project_root() or Path.cwd()


def anchored(path: Path) -> Path:
    """`path` with `~` expanded, made absolute against `anchor()` if it is relative."""
    expanded = path.expanduser()
    return expanded if expanded.is_absolute() else anchor() / expanded


__all__ = ["anchor", "anchored", "project_root"]
