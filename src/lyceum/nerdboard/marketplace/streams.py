"""Per-day random streams: a day's output depends only on (seed, state, day)."""

from __future__ import annotations

from datetime import date
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from lyceum.nerdboard.marketplace.state import day_start


class Stream(IntEnum):
    TUTOR_CHURN = 1
    TUTOR_CAPACITY = 2
    TUTOR_WEEKLY = 3
    TUTOR_HIRING = 4
    ENROLLMENT_CHURN = 5
    ENROLLMENT_ARRIVALS = 6
    SESSIONS = 7
    ASSIGNMENT = 8
    SNAPSHOTS = 9
    HEALTH = 10
    INITIAL = 11
    SESSION_IDS = 12


def day_rng(seed: int, day: date, stream: Stream) -> np.random.Generator:
    return np.random.default_rng([seed, day.toordinal(), int(stream)])


def times_in_day(
    rng: np.random.Generator, day: date, count: int, first_hour: float, last_hour: float
) -> npt.NDArray[np.datetime64]:
    """`count` instants on `day`, uniform between the hours, to the second."""
    seconds = rng.integers(int(first_hour * 3600), int(last_hour * 3600), size=count)
    return day_start(day) + (seconds * 1_000_000).astype("timedelta64[us]")
