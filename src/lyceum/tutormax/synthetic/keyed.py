"""Keyed random numbers: each draw is a function of (key, entity), not of how many draws
came before it.

The history's loop reads sequential streams: the k-th number goes to whoever is k-th today,
so one tutor more or less (a churn prevented by an intervention) moves every later draw to
someone else. A continuation that compares policies on the same seed needs *common random
numbers* instead: tutor 17's exit draw on day 400 of replicate 3 must be the same number
whoever else was treated. Here a draw is SplitMix64's output function applied to
`key + entity * golden ratio`, with `key` itself mixed from (seed, replicate, stream, day,
lane): a counter-based generator, vectorised over the entity indices, with no state.

The mixer is SplitMix64's (Steele, Lea and Flood 2014, with Stafford's "Mix13" constants),
so each key gives one SplitMix64 sequence, read at the entities' positions.
"""

from __future__ import annotations

import numpy as np

from lyceum.tutormax.synthetic.catalog import FloatArray, IntArray

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX_1 = 0xBF58476D1CE4E5B9
_MIX_2 = 0x94D049BB133111EB
# 2^-53: the top 53 bits of a 64-bit word as a double in [0, 1).
_UNIT = 1.0 / (1 << 53)


def _mix(value: int) -> int:
    value &= _MASK
    value = ((value ^ (value >> 30)) * _MIX_1) & _MASK
    value = ((value ^ (value >> 27)) * _MIX_2) & _MASK
    return value ^ (value >> 31)


def derive_key(*parts: int) -> int:
    """A 64-bit key from a tuple of integers (order matters; negative parts are allowed)."""
    key = 0x243F6A8885A308D3  # any odd constant (pi's first hex digits)
    for part in parts:
        key = _mix(key ^ _mix((part & _MASK) + _GOLDEN))
    return key


def keyed_uniform(key: int, entities: IntArray) -> FloatArray:
    """One uniform in [0, 1) per entity index, a fixed function of (key, entity)."""
    # uint64 arithmetic on arrays wraps modulo 2^64, which is what the mixer wants.
    state = entities.astype(np.uint64) * np.uint64(_GOLDEN) + np.uint64(key)
    state = (state ^ (state >> np.uint64(30))) * np.uint64(_MIX_1)
    state = (state ^ (state >> np.uint64(27))) * np.uint64(_MIX_2)
    state = state ^ (state >> np.uint64(31))
    return np.asarray((state >> np.uint64(11)).astype(np.float64) * _UNIT, dtype=np.float64)


class KeyedDraws:
    """The draws of one replicate of one world: `uniform(stream, day, entities, lane)`."""

    def __init__(self, *root: int) -> None:
        self.root = derive_key(*root)

    def key(self, *parts: int) -> int:
        return derive_key(self.root, *parts)

    def uniform(self, stream: int, day: int, entities: IntArray, lane: int = 0) -> FloatArray:
        return keyed_uniform(self.key(stream, day, lane), entities)

    def normal(self, stream: int, day: int, entities: IntArray, lane: int = 0) -> FloatArray:
        """Standard normals (Box-Muller on two keyed uniforms; uses lanes `lane` and
        `lane + 1000`)."""
        first = self.uniform(stream, day, entities, lane)
        second = self.uniform(stream, day, entities, lane + 1000)
        radius = np.sqrt(-2.0 * np.log1p(-first))
        return np.asarray(radius * np.cos(2.0 * np.pi * second), dtype=np.float64)

    def geometric(
        self, stream: int, day: int, entities: IntArray, probability: float, lane: int = 0
    ) -> IntArray:
        """Geometric counts on 1, 2, ... (trials to the first success), by inversion."""
        uniform = self.uniform(stream, day, entities, lane)
        trials = 1.0 + np.floor(np.log1p(-uniform) / np.log1p(-probability))
        return np.asarray(trials, dtype=np.int64)


__all__ = ["KeyedDraws", "derive_key", "keyed_uniform"]
