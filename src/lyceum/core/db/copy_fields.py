"""Per-type encoders for PostgreSQL's binary COPY format, from NumPy columns (pure: no
database import).

Every column is validated whole once (`prepare`), which returns an encoder for any run of its
rows: a `Field` holding each value's big-endian bytes and length (-1 for NULL), built with
array operations, never a Python object per row (except `text[]`, which only small tables
use). `lyceum.core.db.copy` lays the fields out as rows and streams them.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

PgType = Literal[
    "uuid",
    "text",
    "int2",
    "int4",
    "int8",
    "float8",
    "bool",
    "timestamptz",
    "text[]",
    "varchar[]",
    "jsonb",
]
PG_TYPES: frozenset[str] = frozenset(get_args(PgType))

TEXT_OID = 25
# Binary arrays name their element type, and the server insists it is the column's.
ARRAY_ELEMENT_OIDS = {"text[]": TEXT_OID, "varchar[]": 1043}
# 2000-01-01T00:00:00Z in microseconds since the Unix epoch.
PG_EPOCH_US = 946_684_800_000_000

Bytes = npt.NDArray[np.uint8]
Lengths = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CopyColumn:
    name: str
    pgtype: PgType
    values: Any
    nulls: npt.NDArray[np.bool_] | None = None  # True = NULL


@dataclass(frozen=True)
class Field:
    """One column's values for a run of rows, encoded.

    `lengths` is each value's byte length, -1 for NULL. The payloads are either `matrix`
    (row i's bytes are `matrix[i, :lengths[i]]`) or `flat` (non-NULL payloads back to back,
    row i's at `flat[offsets[i]:offsets[i + 1]]`). `fixed` fields have every non-NULL value
    exactly `matrix.shape[1]` bytes long.
    """

    lengths: Lengths
    matrix: Bytes | None = None
    flat: Bytes | None = None
    offsets: Lengths | None = None
    fixed: bool = False

    @property
    def rows(self) -> int:
        return int(self.lengths.shape[0])

    @property
    def has_nulls(self) -> bool:
        return bool((self.lengths < 0).any())

    @property
    def width(self) -> int:
        if self.fixed and self.matrix is not None:
            return int(self.matrix.shape[1])
        return max(int(self.lengths.max(initial=0)), 0)

    @property
    def payload_bytes(self) -> int:
        if self.flat is not None:
            return int(self.flat.shape[0])
        return int(np.clip(self.lengths, 0, None).sum())

    def slice(self, start: int, stop: int) -> Field:
        lengths = self.lengths[start:stop]
        if self.matrix is not None:
            return Field(lengths, matrix=self.matrix[start:stop], fixed=self.fixed)
        assert self.flat is not None and self.offsets is not None
        offsets = self.offsets[start : stop + 1]
        flat = self.flat[int(offsets[0]) : int(offsets[-1])]
        return Field(lengths, flat=flat, offsets=offsets - offsets[0])


def _flat(lengths: Lengths, flat: Bytes) -> Field:
    offsets = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.clip(lengths, 0, None), out=offsets[1:])
    return Field(lengths, flat=flat, offsets=offsets)


def _fixed(payload: Bytes, nulls: Mask | None) -> Field:
    lengths = np.full(payload.shape[0], payload.shape[1], dtype=np.int64)
    if nulls is not None:
        lengths[nulls] = -1
    return Field(lengths, matrix=payload, fixed=True)


def big_endian(values: npt.NDArray[Any], dtype: str) -> Bytes:
    converted = np.ascontiguousarray(values.astype(dtype))
    return converted.view(np.uint8).reshape(values.shape[0], converted.dtype.itemsize)


def _chunk_nulls(nulls: Mask | None, start: int, stop: int) -> Mask | None:
    return None if nulls is None else nulls[start:stop]


# ---- per-type preparation: validate the whole column once, encode any row range later ----

Encoder = Callable[[int, int], Field]


def prepare(column: CopyColumn, rows: int) -> Encoder:
    nulls = _nulls_of(column, rows)
    match column.pgtype:
        case "int2" | "int4" | "int8":
            return _prepare_integer(column, nulls)
        case "float8":
            return _prepare_float(column, nulls)
        case "bool":
            values = _numeric(column, "biu")
            return lambda a, b: _fixed(
                (values[a:b] != 0).astype(np.uint8).reshape(-1, 1), _chunk_nulls(nulls, a, b)
            )
        case "timestamptz":
            return _prepare_timestamp(column, nulls)
        case "uuid":
            return _prepare_uuid(column, rows, nulls)
        case "text":
            return _prepare_text(column, nulls)
        case "text[]" | "varchar[]":
            return _prepare_text_array(column, nulls)
        case "jsonb":
            return _prepare_jsonb(column, nulls)
    raise ValueError(f"column {column.name!r}: unsupported pgtype {column.pgtype!r}")


def _nulls_of(column: CopyColumn, rows: int) -> Mask | None:
    if column.nulls is None:
        return None
    nulls = np.asarray(column.nulls)
    if nulls.dtype != np.bool_ or nulls.shape != (rows,):
        raise ValueError(
            f"column {column.name!r}: nulls must be a bool array of shape ({rows},), "
            f"got {nulls.dtype} {nulls.shape}"
        )
    return nulls if nulls.any() else None


def _one_dimensional(column: CopyColumn, kinds: str, empty_dtype: str) -> npt.NDArray[Any]:
    values = np.asarray(column.values)
    if values.shape == (0,) and values.dtype.kind not in kinds:
        # An empty list arrives as float64; with no values there is nothing to misread.
        return np.empty(0, dtype=empty_dtype)
    if values.ndim != 1:
        raise ValueError(
            f"column {column.name!r} ({column.pgtype}): expected a 1-D array, "
            f"got shape {values.shape}"
        )
    return values


def _numeric(column: CopyColumn, kinds: str) -> npt.NDArray[Any]:
    values = _one_dimensional(column, kinds, "int64")
    if values.dtype.kind not in kinds:
        raise ValueError(
            f"column {column.name!r} ({column.pgtype}): expected a 1-D numeric array, "
            f"got dtype {values.dtype} with shape {values.shape}"
        )
    return values


def _prepare_integer(column: CopyColumn, nulls: Mask | None) -> Encoder:
    values = _numeric(column, "biu")
    # The server reads exactly the column's width: a SMALLINT takes two bytes, not four.
    dtype = {"int2": ">i2", "int4": ">i4"}.get(column.pgtype, ">i8")
    bounds = np.iinfo(np.dtype(dtype))
    present = values if nulls is None else values[~nulls]
    if present.size and (
        int(present.min()) < int(bounds.min) or int(present.max()) > int(bounds.max)
    ):
        raise ValueError(
            f"column {column.name!r}: values {int(present.min())}..{int(present.max())} "
            f"do not fit {column.pgtype}"
        )
    return lambda a, b: _fixed(big_endian(values[a:b], dtype), _chunk_nulls(nulls, a, b))


def _prepare_float(column: CopyColumn, nulls: Mask | None) -> Encoder:
    values = _numeric(column, "fiu")
    if column.nulls is None and values.dtype.kind == "f":
        # Without an explicit mask, NaN is how NumPy spells "missing".
        nan = np.isnan(values)
        nulls = nan if nan.any() else None
    return lambda a, b: _fixed(big_endian(values[a:b], ">f8"), _chunk_nulls(nulls, a, b))


def _prepare_timestamp(column: CopyColumn, nulls: Mask | None) -> Encoder:
    values = _one_dimensional(column, "M", "datetime64[us]")
    if values.dtype.kind != "M":
        raise ValueError(
            f"column {column.name!r} (timestamptz): expected a 1-D datetime64 array, "
            f"got dtype {values.dtype} with shape {values.shape}"
        )
    nat = np.isnat(values)
    if nat.any():
        nulls = nat if nulls is None else nulls | nat

    def encode(start: int, stop: int) -> Field:
        # Finer units than microseconds are floored, as NumPy's unit cast does.
        micros = values[start:stop].astype("datetime64[us]").view(np.int64) - PG_EPOCH_US
        return _fixed(big_endian(micros, ">i8"), _chunk_nulls(nulls, start, stop))

    return encode


def _prepare_uuid(column: CopyColumn, rows: int, nulls: Mask | None) -> Encoder:
    values = column.values
    if isinstance(values, np.ndarray) and values.dtype != np.object_:
        if values.dtype != np.uint8 or values.shape != (rows, 16):
            raise ValueError(
                f"column {column.name!r} (uuid): expected an ({rows}, 16) uint8 array, "
                f"got dtype {values.dtype} with shape {values.shape}"
            )
        matrix: Bytes = np.ascontiguousarray(values)
    else:
        if any(v is not None and not isinstance(v, uuid.UUID) for v in values):
            raise ValueError(f"column {column.name!r} (uuid): values must be uuid.UUID or None")
        raw = b"".join(b"\x00" * 16 if v is None else v.bytes for v in values)
        matrix = np.frombuffer(raw, dtype=np.uint8).reshape(rows, 16)
        missing = np.array([v is None for v in values], dtype=np.bool_)
        if missing.any():
            nulls = missing if nulls is None else nulls | missing
    return lambda a, b: _fixed(matrix[a:b], _chunk_nulls(nulls, a, b))


def _prepare_text(column: CopyColumn, nulls: Mask | None) -> Encoder:
    values = _one_dimensional(column, "UO", "U1")
    if values.dtype.kind not in "UO":
        raise ValueError(
            f"column {column.name!r} (text): expected a 1-D array of str (dtype <U or object), "
            f"got dtype {values.dtype} with shape {values.shape}"
        )
    if values.dtype.kind == "O":
        missing = np.equal(values, np.array([None], dtype=object))
        if missing.any():
            nulls = missing if nulls is None else nulls | missing

    return lambda a, b: _encode_text(column.name, values[a:b], _chunk_nulls(nulls, a, b))


def _encode_text(name: str, values: npt.NDArray[Any], nulls: Mask | None) -> Field:
    rows = values.shape[0]
    if values.dtype.kind == "U" and rows:
        # A <U array is UTF-32 padded with NULs: when every code point is ASCII, the code
        # points are the UTF-8 bytes, so one cast encodes the whole chunk.
        contiguous = np.ascontiguousarray(values)
        points = contiguous.view(np.uint32).reshape(rows, -1)
        if int(points.max(initial=0)) < 0x80:
            lengths = np.strings.str_len(contiguous).astype(np.int64)
            matrix = points.astype(np.uint8)
            # NumPy drops only trailing NULs, so any NUL left sits inside a value.
            if np.count_nonzero(matrix) != int(lengths.sum()):
                raise ValueError(f"column {name!r} (text): PostgreSQL text cannot contain NUL")
            if nulls is not None:
                lengths[nulls] = -1
            return Field(lengths, matrix=matrix)
    # General case (non-ASCII, object arrays): NUL cannot occur in PostgreSQL text, so it
    # separates the values of one str.join and one UTF-8 encode, both done in C.
    items = values.tolist()
    if nulls is not None:
        for index in np.flatnonzero(nulls).tolist():
            items[index] = ""
    try:
        data = "\x00".join(items).encode("utf-8")
    except TypeError:
        kinds = sorted({type(item).__name__ for item in items if not isinstance(item, str)})
        raise ValueError(f"column {name!r} (text): values must be str, got {kinds}") from None
    except UnicodeEncodeError as exc:
        raise ValueError(f"column {name!r} (text): not encodable as UTF-8: {exc}") from None
    buffer = np.frombuffer(data, dtype=np.uint8)
    separators = np.flatnonzero(buffer == 0)
    if separators.shape[0] != max(rows - 1, 0):
        raise ValueError(f"column {name!r} (text): PostgreSQL text cannot contain NUL")
    ends = np.append(separators, buffer.shape[0])
    starts = np.concatenate(([0], separators + 1))
    lengths = (ends - starts).astype(np.int64)[:rows]
    if nulls is not None:
        lengths[nulls] = -1
    return _flat(lengths, np.delete(buffer, separators))


def _prepare_jsonb(column: CopyColumn, nulls: Mask | None) -> Encoder:
    # Binary jsonb is a format version byte (1) and then the JSON text, which the server
    # parses and validates as it would a text literal.
    values = _one_dimensional(column, "UO", "U1")
    if values.dtype.kind == "U":
        prefixed: npt.NDArray[Any] = np.strings.add("\x01", values)
    elif values.dtype.kind == "O":
        items = values.tolist()
        if any(item is not None and not isinstance(item, str) for item in items):
            raise ValueError(f"column {column.name!r} (jsonb): values must be JSON text or None")
        prefixed = np.array(
            [item if item is None else "\x01" + item for item in items], dtype=object
        )
    else:
        raise ValueError(
            f"column {column.name!r} (jsonb): expected a 1-D array of JSON text, "
            f"got dtype {values.dtype} with shape {values.shape}"
        )
    return _prepare_text(CopyColumn(column.name, "text", prefixed, column.nulls), nulls)


def _prepare_text_array(column: CopyColumn, nulls: Mask | None) -> Encoder:
    rows = len(column.values)
    payloads: list[bytes] = []
    lengths = np.empty(rows, dtype=np.int64)
    for index, row in enumerate(column.values):
        if row is None or (nulls is not None and nulls[index]):
            lengths[index] = -1
            continue
        if isinstance(row, str | bytes):
            raise ValueError(
                f"column {column.name!r} (text[]): row {index} is a string, not a sequence of str"
            )
        encoded = _encode_text_array(column.name, index, row, ARRAY_ELEMENT_OIDS[column.pgtype])
        payloads.append(encoded)
        lengths[index] = len(encoded)
    field = _flat(lengths, np.frombuffer(b"".join(payloads), dtype=np.uint8))
    return field.slice


def _encode_text_array(name: str, index: int, row: Sequence[str | None], element_oid: int) -> bytes:
    elements = list(row)
    if not elements:
        return struct.pack(">iii", 0, 0, element_oid)
    has_null = any(element is None for element in elements)
    parts = [struct.pack(">iiiii", 1, int(has_null), element_oid, len(elements), 1)]
    for element in elements:
        if element is None:
            parts.append(struct.pack(">i", -1))
            continue
        if not isinstance(element, str):
            raise ValueError(
                f"column {name!r} (text[]): row {index} holds a {type(element).__name__}, not str"
            )
        data = element.encode("utf-8")
        if b"\x00" in data:
            raise ValueError(f"column {name!r} (text[]): PostgreSQL text cannot contain NUL")
        parts.append(struct.pack(">i", len(data)))
        parts.append(data)
    return b"".join(parts)
