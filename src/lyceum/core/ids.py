"""Identifiers: RFC 9562 version-7 UUIDs, one at a time or as NumPy arrays.

Time-ordered keys land at the right edge of a primary-key B-tree (COPY into a keyed table is
fast), need no coordination (a device makes them offline), and sort in creation order (a sync
queue drains oldest first). PostgreSQL 18 has `uuidv7()`, but 15 does not and the keys are
often needed before a row reaches the database, so they are made here.

Pure: no database, web or cache imports (pure subpackages such as the synthetic models use it).
"""

from __future__ import annotations

import os
import time
import uuid

import numpy as np
import numpy.typing as npt

_VERSION_7 = 0x7
_RFC_4122_VARIANT = 0b10


def uuid7(*, unix_ms: int | None = None) -> uuid.UUID:
    """A version-7 UUID: 48 bits of Unix milliseconds (now, unless given), then 74 random
    bits from the operating system."""
    millis = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | random_bits & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (_VERSION_7 << 76)
    value = (value & ~(0x3 << 62)) | (_RFC_4122_VARIANT << 62)
    return uuid.UUID(int=value)


def uuid7_array(
    timestamps: npt.NDArray[np.datetime64], rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """Version-7 UUIDs for the given instants, as an (n, 16) array of bytes.

    The random bits come from `rng`, so a seeded generator produces the same ids every run
    (synthetic histories are reproducible down to their keys).
    """
    millis = np.asarray(timestamps).astype("datetime64[ms]").astype(np.int64)
    count = millis.shape[0]
    out = np.empty((count, 16), dtype=np.uint8)
    # 48-bit big-endian Unix milliseconds.
    for byte in range(6):
        out[:, byte] = (millis >> (8 * (5 - byte))) & 0xFF
    out[:, 6:] = rng.integers(0, 256, size=(count, 10), dtype=np.uint8)
    out[:, 6] = (out[:, 6] & 0x0F) | (_VERSION_7 << 4)
    out[:, 8] = (out[:, 8] & 0x3F) | (_RFC_4122_VARIANT << 6)
    return out


__all__ = ["uuid7", "uuid7_array"]
