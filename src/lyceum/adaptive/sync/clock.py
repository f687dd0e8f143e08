"""A hybrid logical clock (Kulkarni et al., 2014): timestamps that follow wall-clock time
when clocks agree, never go backwards when they do not, and order every write a device
makes after every write it has seen. Profile fields are last-writer-wins by these stamps,
with the device id breaking ties, so two devices editing offline converge on the same value
whichever reaches the server first.

A stamp is `(wall milliseconds, counter, device id)`, written as a string that sorts in the
same order ("000001764979200000-00003-phone-1"): the server compares strings it has never
parsed, and SQLite and PostgreSQL order them alike.
"""

from __future__ import annotations

from dataclasses import dataclass

WALL_DIGITS = 18
COUNTER_DIGITS = 5
MAX_COUNTER = 10**COUNTER_DIGITS - 1
# A stamp more than this far ahead of the receiver's clock is refused: one device with a
# clock set years ahead would otherwise win every future write.
MAX_DRIFT_MS = 24 * 3600 * 1000


class ClockError(ValueError):
    """A malformed stamp, or one too far in the future to accept."""


@dataclass(frozen=True, order=True, slots=True)
class Clock:
    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}-{self.node}"

    @classmethod
    def decode(cls, stamp: str) -> Clock:
        wall, sep1, rest = stamp.partition("-")
        counter, sep2, node = rest.partition("-")
        if not (sep1 and sep2 and node) or len(wall) != WALL_DIGITS:
            raise ClockError(f"not a clock stamp: {stamp!r}")
        if len(counter) != COUNTER_DIGITS or not (wall.isdigit() and counter.isdigit()):
            raise ClockError(f"not a clock stamp: {stamp!r}")
        return cls(int(wall), int(counter), node)


class HybridClock:
    """One node's clock. `now()` stamps a local write; `observe()` takes in a stamp seen from
    elsewhere so the next local stamp orders after it."""

    def __init__(self, node: str, last: Clock | None = None) -> None:
        if not node:
            raise ClockError("a clock needs a node id")
        self.node = node
        self.last = last or Clock(0, 0, node)

    def now(self, physical_ms: int) -> Clock:
        if physical_ms > self.last.wall_ms:
            stamp = Clock(physical_ms, 0, self.node)
        else:
            stamp = self._bump(self.last.wall_ms, self.last.counter)
        self.last = stamp
        return stamp

    def observe(self, remote: Clock, physical_ms: int) -> Clock:
        if remote.wall_ms > physical_ms + MAX_DRIFT_MS:
            raise ClockError(
                "the stamp is more than a day ahead of this clock; check the device's time"
            )
        wall = max(physical_ms, self.last.wall_ms, remote.wall_ms)
        if wall == self.last.wall_ms == remote.wall_ms:
            counter = max(self.last.counter, remote.counter)
        elif wall == self.last.wall_ms:
            counter = self.last.counter
        elif wall == remote.wall_ms:
            counter = remote.counter
        else:
            self.last = Clock(wall, 0, self.node)
            return self.last
        self.last = self._bump(wall, counter)
        return self.last

    def _bump(self, wall_ms: int, counter: int) -> Clock:
        if counter >= MAX_COUNTER:
            # Out of counter within one millisecond: borrow the next millisecond.
            return Clock(wall_ms + 1, 0, self.node)
        return Clock(wall_ms, counter + 1, self.node)


__all__ = ["MAX_DRIFT_MS", "Clock", "ClockError", "HybridClock"]
