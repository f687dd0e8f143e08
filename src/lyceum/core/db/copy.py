"""Bulk loading: PostgreSQL binary COPY built straight from NumPy columns.

Building a Python tuple (and a `datetime`, a `UUID`) per row costs seconds per million rows;
here every column is turned into big-endian bytes with array operations (`copy_fields`) and
the rows are assembled chunk by chunk without a per-row Python loop.

Row assembly: each chunk is laid out as an (rows, width) byte matrix in which every field has a
slot as wide as its widest value in the chunk; a boolean mask marks the bytes that are really
there (a NULL has only its length prefix, a short string only its own bytes), and compressing
the matrix by the mask yields the rows back to back. Slice assignments and one compress are
several times faster than scattering bytes to computed offsets. A chunk whose padding would
dwarf its data (one very long string among short ones) is split in halves until it does not.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Iterator, Sequence

import asyncpg
import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from lyceum.core.db.copy_fields import (
    PG_TYPES,
    CopyColumn,
    Encoder,
    Field,
    Mask,
    PgType,
    big_endian,
    prepare,
)

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
# Rows assembled at a time: a block's byte matrix (~0.5 MB at 128 bytes a row) stays in cache
# while each column is written into it, which halves assembly time against 100k-row blocks.
BLOCK_ROWS = 4096
# Padding beyond twice the real bytes plus this much makes a chunk split (see module docstring).
PADDING_SLACK_BYTES = 4 << 20


# ---- row assembly ----


def _assemble(fields: Sequence[Field]) -> list[bytes]:
    """Encode the rows the fields hold (all the same length) as COPY tuples, in pieces."""
    rows = fields[0].rows
    if rows > BLOCK_ROWS:
        return [
            piece
            for start in range(0, rows, BLOCK_ROWS)
            for piece in _assemble([f.slice(start, min(start + BLOCK_ROWS, rows)) for f in fields])
        ]
    if rows == 0:
        return []
    widths = [field.width for field in fields]
    row_width = 2 + sum(4 + width for width in widths)
    real_bytes = rows * (2 + 4 * len(fields)) + sum(field.payload_bytes for field in fields)
    if rows > 1 and rows * row_width > 2 * real_bytes + PADDING_SLACK_BYTES:
        half = rows // 2
        return _assemble([f.slice(0, half) for f in fields]) + _assemble(
            [f.slice(half, rows) for f in fields]
        )

    matrix = np.empty((rows, row_width), dtype=np.uint8)
    matrix[:, 0:2] = np.frombuffer(struct.pack(">h", len(fields)), dtype=np.uint8)
    # Fixed-width fields without NULLs fill their slots exactly; only the others need a mask.
    uneven = [not field.fixed or field.has_nulls for field in fields]
    mask = np.ones((rows, row_width), dtype=np.bool_) if any(uneven) else None
    offset = 2
    for field, width, is_uneven in zip(fields, widths, uneven, strict=True):
        if is_uneven:
            matrix[:, offset : offset + 4] = big_endian(field.lengths, ">i4")
        else:
            matrix[:, offset : offset + 4] = np.frombuffer(struct.pack(">i", width), np.uint8)
        offset += 4
        if width == 0:
            continue
        slot = slice(offset, offset + width)
        present: Mask | None = None
        if mask is not None and is_uneven:
            present = np.arange(width) < field.lengths[:, None]
            mask[:, slot] = present
        if field.matrix is not None:
            matrix[:, slot] = field.matrix[:, :width]
        else:
            assert field.flat is not None and present is not None
            matrix[:, slot][present] = field.flat
        offset += width
    body = matrix.reshape(-1) if mask is None else matrix[mask]
    return [body.tobytes()]


def _validate(columns: Sequence[CopyColumn]) -> int:
    if not columns:
        raise ValueError("COPY needs at least one column")
    names = [column.name for column in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate column names: {names}")
    for column in columns:
        if column.pgtype not in PG_TYPES:
            raise ValueError(
                f"column {column.name!r}: unsupported pgtype {column.pgtype!r} "
                f"(supported: {', '.join(sorted(PG_TYPES))})"
            )
    lengths = {column.name: len(column.values) for column in columns}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"columns have different lengths: {lengths}")
    return next(iter(lengths.values()))


def encode_binary_copy(
    columns: Sequence[CopyColumn], *, chunk_rows: int = 100_000
) -> Iterator[bytes]:
    """Header in the first chunk, trailer in the last; each chunk is whole rows.

    The columns are validated before this returns, so a bad column raises here rather than
    mid-stream; values that can only be checked while encoding (NUL in text) raise later.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    rows = _validate(columns)
    encoders = [prepare(column, rows) for column in columns]
    return _chunks(encoders, rows, chunk_rows)


def _chunks(encoders: Sequence[Encoder], rows: int, chunk_rows: int) -> Iterator[bytes]:
    if rows == 0:
        yield COPY_HEADER + COPY_TRAILER
        return
    for start in range(0, rows, chunk_rows):
        stop = min(start + chunk_rows, rows)
        parts = _assemble([encode(start, stop) for encode in encoders])
        if start == 0:
            parts.insert(0, COPY_HEADER)
        if stop == rows:
            parts.append(COPY_TRAILER)
        yield b"".join(parts)


async def _as_async(first: bytes, rest: Iterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    for chunk in rest:
        yield chunk


async def copy_columns(
    connection: asyncpg.Connection,
    schema: str,
    table: str,
    columns: Sequence[CopyColumn],
    *,
    chunk_rows: int = 100_000,
) -> int:
    """COPY the rows into schema.table (inside whatever transaction the connection is in);
    returns rows copied. Raises ValueError with a clear message for mismatched lengths or
    unsupported values.

    Every column is checked, and the first chunk encoded, before the COPY starts, so such an
    error leaves the transaction usable; one found in a later chunk aborts the COPY (and with
    it the transaction), as any failed statement does.
    """
    chunks = encode_binary_copy(columns, chunk_rows=chunk_rows)
    first = next(chunks)
    status = await connection.copy_to_table(
        table,
        schema_name=schema,
        columns=[column.name for column in columns],
        source=_as_async(first, chunks),
        format="binary",
    )
    # The status is "COPY <rows>".
    return int(status.rsplit(" ", 1)[-1])


async def raw_asyncpg_connection(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy AsyncConnection (same transaction)."""
    if connection.in_transaction():
        # SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement; without
        # one, work done on the raw connection would run outside the transaction.
        await connection.exec_driver_sql("SELECT 1")
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, asyncpg.Connection):
        raise TypeError(f"not an asyncpg connection: {type(driver).__name__}")
    return driver


__all__ = [
    "COPY_HEADER",
    "COPY_TRAILER",
    "PG_TYPES",
    "CopyColumn",
    "PgType",
    "copy_columns",
    "encode_binary_copy",
    "raw_asyncpg_connection",
]
