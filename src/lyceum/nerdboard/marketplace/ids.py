"""Ids as arrays: UUID bytes, their text form and keys, and the human-readable ids."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import numpy.typing as npt

UuidArray = npt.NDArray[np.uint8]  # (n, 16), big-endian bytes as PostgreSQL stores them
KeyArray = npt.NDArray[np.void]  # (n,), 16-byte records that sort like the UUIDs

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)
_DASHES = (8, 13, 18, 23)
_TUTOR_ID = re.compile(r"T-\d+")


def empty_uuids() -> UuidArray:
    return np.zeros((0, 16), dtype=np.uint8)


def uuid_keys(ids: UuidArray) -> KeyArray:
    """One comparable record per UUID (byte order = UUID order), for sort/unique/searchsorted."""
    return np.ascontiguousarray(ids, dtype=np.uint8).view("V16").reshape(-1)


def uuid_low64(ids: UuidArray) -> npt.NDArray[np.uint64]:
    """The last eight bytes as an integer: 62 random bits, a fast key where a (vanishingly
    rare) collision would only blur a statistic, never merge rows."""
    return np.ascontiguousarray(ids[:, 8:]).view(">u8").reshape(-1).astype(np.uint64)


def order_by_uuid(ids: UuidArray) -> npt.NDArray[np.intp]:
    return np.argsort(uuid_keys(ids), kind="stable")


def uuid_text(ids: UuidArray) -> npt.NDArray[np.str_]:
    """Canonical lower-case text ('8-4-4-4-12') of each UUID."""
    count = ids.shape[0]
    digits = np.empty((count, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[ids >> 4]
    digits[:, 1::2] = _HEX[ids & 0x0F]
    out = np.full((count, 36), ord("-"), dtype=np.uint8)
    keep = np.ones(36, dtype=bool)
    keep[list(_DASHES)] = False
    out[:, keep] = digits
    return out.view("S36").reshape(-1).astype("U36")


def uuid_from_text(values: npt.ArrayLike) -> UuidArray:
    """Inverse of `uuid_text` (accepts any case, with or without dashes)."""
    text = np.asarray(values, dtype=str)
    if text.size == 0:
        return empty_uuids()
    compact = np.char.replace(np.char.lower(text), "-", "").astype("S32")
    chars = compact.view(np.uint8).reshape(-1, 32)
    nibbles = np.where(chars >= ord("a"), chars - ord("a") + 10, chars - ord("0")).astype(np.uint8)
    return ((nibbles[:, 0::2] << 4) | nibbles[:, 1::2]).astype(np.uint8)


def _zero_padded(numbers: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint8]:
    out = np.empty((numbers.shape[0], width), dtype=np.uint8)
    rest = numbers.copy()
    for position in range(width - 1, -1, -1):
        out[:, position] = _DIGITS[rest % 10]
        rest //= 10
    return out


def session_ids(day: date, count: int) -> npt.NDArray[np.str_]:
    """'SES-YYYYMMDD-NNNNNN': the day and the session's position in that day, so ids are
    unique forever without a stored counter."""
    prefix = np.frombuffer(f"SES-{day:%Y%m%d}-".encode(), dtype=np.uint8)
    width = max(6, len(str(count)))
    body = _zero_padded(np.arange(count, dtype=np.int64), width)
    out = np.concatenate([np.broadcast_to(prefix, (count, prefix.size)), body], axis=1)
    return np.ascontiguousarray(out).view(f"S{out.shape[1]}").reshape(-1).astype(str)


def tutor_ids(numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """'T-000123'."""
    return np.array([f"T-{n:06d}" for n in numbers.tolist()], dtype=str)


def tutor_numbers(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Inverse of `tutor_ids`; -1 for ids not of that form (tutors added by hand)."""
    text = np.asarray(values, dtype=str)
    return np.array(
        [int(v[2:]) if _TUTOR_ID.fullmatch(v) else -1 for v in text.tolist()], dtype=np.int64
    )
