"""The adaptive app's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

None yet: recomputing mastery after a sync and refreshing study plans are the adaptive app's
jobs, and arrive here with the sync and mastery engines (issues 17 and 18). The Blueprint is
registered already, so they need no change outside this module and the AppSpec.
"""

from __future__ import annotations

from procrastinate import Blueprint


def blueprint() -> Blueprint:
    """A fresh Blueprint of the adaptive app's jobs (procrastinate renames tasks as it adds
    them)."""
    return Blueprint()


__all__ = ["blueprint"]
