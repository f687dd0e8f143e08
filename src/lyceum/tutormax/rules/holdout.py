"""The holdout: a fixed random share of eligible tutors that the rules leave alone.

Which tutors are held out is decided by a hash, not a random draw, so every rerun of a day
(and every process) agrees without storing a seed: a tutor's position in [0, 1) is the first
eight bytes of SHA-256 over (salt, tutor id, period), and the tutor is held out when it is
below the share. The period (week, month or quarter of the day) makes the holdout rotate:
the same tutors are held out for a whole period, so an experiment's arms stay apart while
outcomes accrue, and no tutor is left out forever. Changing the salt draws a new holdout.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Literal

HoldoutPeriod = Literal["week", "month", "quarter"]

_SCALE = float(2**64)


def period_key(day: date, period: HoldoutPeriod) -> str:
    """The period `day` falls in, as text: `2026-W49`, `2026-12` or `2026-Q4`."""
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def holdout_position(salt: str, tutor_id: str, period: str) -> float:
    """Where the tutor falls in [0, 1) for this period: uniform over tutors, fixed by the
    inputs. The unit separator keeps ("a", "bc") and ("ab", "c") apart."""
    digest = hashlib.sha256(f"{salt}\x1f{tutor_id}\x1f{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def is_held_out(share: float, salt: str, tutor_id: str, day: date, period: HoldoutPeriod) -> bool:
    return holdout_position(salt, tutor_id, period_key(day, period)) < share


__all__ = ["HoldoutPeriod", "holdout_position", "is_held_out", "period_key"]
