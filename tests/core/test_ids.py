"""One place for UUIDv7: the scalar (devices, services) and the array (bulk generators)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np

from lyceum.core.ids import uuid7, uuid7_array


def test_uuid7_ids_are_version_7_time_ordered_and_seeded() -> None:
    stamps = np.datetime64("2026-01-01T00:00:00", "ms") + np.arange(500) * np.timedelta64(7, "ms")
    ids = uuid7_array(stamps, np.random.default_rng(42))
    parsed = [uuid.UUID(bytes=row.tobytes()) for row in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert parsed == sorted(parsed)
    assert [u.int >> 80 for u in parsed] == stamps.astype(np.int64).tolist()  # the 48-bit time
    assert np.array_equal(ids, uuid7_array(stamps, np.random.default_rng(42)))
    assert not np.array_equal(ids, uuid7_array(stamps, np.random.default_rng(43)))
    assert len(set(parsed)) == 500


def test_uuid7_layout() -> None:
    value = uuid7()
    assert value.version == 7 and value.variant == uuid.RFC_4122
    now_ms = datetime.now(UTC).timestamp() * 1000
    assert abs((value.int >> 80) - now_ms) < 5_000


def test_scalar_and_array_agree_on_the_time_field() -> None:
    millis = 1_767_225_600_123
    scalar = uuid7(unix_ms=millis)
    array = uuid7_array(np.array([millis], dtype="datetime64[ms]"), np.random.default_rng(0))
    from_array = uuid.UUID(bytes=array[0].tobytes())
    assert scalar.int >> 80 == from_array.int >> 80 == millis
    assert scalar.version == from_array.version == 7
