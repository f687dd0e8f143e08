"""TutorMax's background jobs (a procrastinate Blueprint; run by `lyceum worker`).

None yet: the nightly evaluation run, churn scoring and intervention follow-ups are TutorMax's
jobs, and arrive here with the engines that do that work (issue 14). The Blueprint is
registered already, so they need no change outside this module and the AppSpec.
"""

from __future__ import annotations

from procrastinate import Blueprint


def blueprint() -> Blueprint:
    """A fresh Blueprint of TutorMax's jobs (procrastinate renames tasks as it adds them)."""
    return Blueprint()


__all__ = ["blueprint"]
