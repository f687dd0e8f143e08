"""Binary COPY from NumPy columns, checked against real PostgreSQL (and a reference decoder)."""

from __future__ import annotations

import math
import struct
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from lyceum.core.db import copy as copy_module
from lyceum.core.db.copy import (
    COPY_HEADER,
    COPY_TRAILER,
    CopyColumn,
    copy_columns,
    encode_binary_copy,
    raw_asyncpg_connection,
)
from lyceum.core.ids import uuid7_array

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ALL_TYPES_DDL = """
CREATE TEMP TABLE all_types (
    u uuid, t text, i4 int4, i8 int8, f8 float8, b bool, ts timestamptz, tags text[]
)
"""


@pytest.fixture
async def raw(db_connection: AsyncConnection) -> asyncpg.Connection:
    return await raw_asyncpg_connection(db_connection)


def micros(value: datetime) -> int:
    return (value - UNIX_EPOCH) // timedelta(microseconds=1)


def decode_rows(data: bytes) -> list[list[bytes | None]]:
    """Reference decoder for a run of COPY tuples (no header or trailer)."""
    rows, offset = [], 0
    while offset < len(data):
        (fields,) = struct.unpack_from(">h", data, offset)
        offset += 2
        row: list[bytes | None] = []
        for _ in range(fields):
            (length,) = struct.unpack_from(">i", data, offset)
            offset += 4
            if length < 0:
                row.append(None)
            else:
                row.append(data[offset : offset + length])
                offset += length
        rows.append(row)
    return rows


def decode_chunks(chunks: Sequence[bytes]) -> list[list[bytes | None]]:
    assert chunks[0].startswith(COPY_HEADER) and chunks[-1].endswith(COPY_TRAILER)
    rows = []
    for index, chunk in enumerate(chunks):
        start = len(COPY_HEADER) if index == 0 else 0
        stop = len(chunk) - len(COPY_TRAILER) if index == len(chunks) - 1 else len(chunk)
        rows.extend(decode_rows(chunk[start:stop]))  # each chunk decodes on its own
    return rows


async def test_round_trip_every_type_with_nulls(raw: asyncpg.Connection) -> None:
    await raw.execute(ALL_TYPES_DDL)
    ids = [uuid.uuid4() for _ in range(4)]
    stamps = np.array(
        ["2026-01-01T09:30:00.123456", "1999-12-31T23:59:59", "2000-01-01", "2030-06-15T12:00"],
        dtype="datetime64[us]",
    )
    nulls = np.array([False, True, False, False])
    columns = [
        CopyColumn(
            "u",
            "uuid",
            np.frombuffer(b"".join(i.bytes for i in ids), np.uint8).reshape(4, 16),
            nulls,
        ),
        CopyColumn("t", "text", np.array(["alpha", "beta", "", "Grüße 日本 🎓"]), nulls),
        CopyColumn("i4", "int4", np.array([2**31 - 1, 5, -(2**31), 0], dtype=np.int64), nulls),
        CopyColumn("i8", "int8", np.array([2**63 - 1, 7, -(2**63), -1]), nulls),
        CopyColumn("f8", "float8", np.array([1.5, 2.0, -0.0, math.inf]), nulls),
        CopyColumn("b", "bool", np.array([True, True, False, True]), nulls),
        CopyColumn("ts", "timestamptz", stamps, nulls),
        CopyColumn("tags", "text[]", [["math", "physics"], ["x"], [], ["ü", None, ""]], nulls),
    ]
    assert await copy_columns(raw, "pg_temp", "all_types", columns) == 4

    rows = await raw.fetch("SELECT * FROM all_types")
    assert [tuple(r) for r in rows] == [
        (ids[0], "alpha", 2**31 - 1, 2**63 - 1, 1.5, True,
         datetime(2026, 1, 1, 9, 30, 0, 123456, tzinfo=UTC), ["math", "physics"]),
        (None,) * 8,
        (ids[2], "", -(2**31), -(2**63), 0.0, False, PG_EPOCH, []),
        (ids[3], "Grüße 日本 🎓", 0, -1, math.inf, True,
         datetime(2030, 6, 15, 12, tzinfo=UTC), ["ü", None, ""]),
    ]  # fmt: skip
    assert math.copysign(1.0, rows[2]["f8"]) == -1.0  # -0.0 keeps its sign
    assert await raw.fetchval("SELECT cardinality(tags) FROM all_types WHERE i4 = 0") == 3


async def test_int2_fills_a_smallint_column_and_refuses_what_does_not_fit(
    raw: asyncpg.Connection,
) -> None:
    await raw.execute("CREATE TEMP TABLE small (k int4, s smallint)")
    values = np.array([2**15 - 1, -(2**15), 3, 0], dtype=np.int64)
    columns = [
        CopyColumn("k", "int4", np.arange(4)),
        CopyColumn("s", "int2", values, np.array([False, False, False, True])),
    ]
    assert await copy_columns(raw, "pg_temp", "small", columns) == 4
    rows = [r["s"] for r in await raw.fetch("SELECT s FROM small ORDER BY k")]
    assert rows == [2**15 - 1, -(2**15), 3, None]
    with pytest.raises(ValueError, match="do not fit int2"):
        await copy_columns(raw, "pg_temp", "small", [CopyColumn("s", "int2", np.array([2**15]))])


async def test_nan_and_nat_become_null_unless_a_mask_is_given(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE gaps (k int4, f float8, g float8, ts timestamptz)")
    floats = np.array([np.nan, 1.25, np.nan])
    columns = [
        CopyColumn("k", "int4", np.arange(3)),
        CopyColumn("f", "float8", floats),
        # With an explicit mask, NaN is a value and only the mask says NULL.
        CopyColumn("g", "float8", floats, np.array([False, False, True])),
        CopyColumn("ts", "timestamptz", np.array(["NaT", "2026-03-01", "NaT"], "datetime64[s]")),
    ]
    await copy_columns(raw, "pg_temp", "gaps", columns)
    rows = [tuple(r) for r in await raw.fetch("SELECT f, g, ts FROM gaps ORDER BY k")]
    assert rows[0][0] is None and math.isnan(rows[0][1]) and rows[0][2] is None
    assert rows[1] == (1.25, 1.25, datetime(2026, 3, 1, tzinfo=UTC))
    assert rows[2] == (None, None, None)


async def test_text_unicode_empty_and_object_arrays(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE words (k int4, w text, v varchar(20))")
    words = ["", "plain", "naïve café", "Ελληνικά", "😀 emoji", "tab\tand\nnewline", ""]
    columns = [
        CopyColumn("k", "int4", np.arange(len(words))),
        CopyColumn("w", "text", np.array(words)),  # <U with non-ASCII: the general path
        CopyColumn("v", "text", np.array([*words[:-1], None], dtype=object)),  # None is NULL
    ]
    await copy_columns(raw, "pg_temp", "words", columns)
    rows = await raw.fetch("SELECT w, v FROM words ORDER BY k")
    assert [r["w"] for r in rows] == words
    assert [r["v"] for r in rows] == [*words[:-1], None]


async def test_many_chunks_and_zero_rows(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE series (k int8, name text, at timestamptz)")
    count = 53
    start = np.datetime64("2026-01-01T00:00:00", "us")
    columns = [
        CopyColumn("k", "int8", np.arange(count)),
        CopyColumn("name", "text", np.array([f"SES-20260101-{k:06d}" for k in range(count)])),
        CopyColumn("at", "timestamptz", start + np.arange(count) * np.timedelta64(90, "s")),
    ]
    chunks = list(encode_binary_copy(columns, chunk_rows=10))
    assert len(chunks) == 6
    assert [row[0] for row in decode_chunks(chunks)] == [struct.pack(">q", k) for k in range(count)]

    assert await copy_columns(raw, "pg_temp", "series", columns, chunk_rows=10) == count
    rows = await raw.fetch("SELECT k, name, at FROM series ORDER BY k")
    assert [r["name"] for r in rows] == [f"SES-20260101-{k:06d}" for k in range(count)]
    assert rows[-1]["at"] == datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=90 * 52)

    empty = [CopyColumn("k", "int8", np.array([], np.int64)), CopyColumn("name", "text", [])]
    assert list(encode_binary_copy(empty)) == [COPY_HEADER + COPY_TRAILER]
    assert await copy_columns(raw, "pg_temp", "series", empty) == 0
    assert await raw.fetchval("SELECT count(*) FROM series") == count


async def test_a_huge_value_splits_the_chunk_and_still_round_trips(
    raw: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await raw.execute("CREATE TEMP TABLE lumpy (k int4, body text)")
    bodies = ["x" * (k % 5) for k in range(400)]
    bodies[123] = "y" * 100_000
    assemblies = 0
    assemble = copy_module._assemble

    def counting(fields: Any) -> list[bytes]:
        nonlocal assemblies
        assemblies += 1
        return assemble(fields)

    monkeypatch.setattr(copy_module, "_assemble", counting)
    columns = [
        CopyColumn("k", "int4", np.arange(400)),
        CopyColumn("body", "text", np.array(bodies)),
    ]
    assert await copy_columns(raw, "pg_temp", "lumpy", columns) == 400
    assert assemblies > 1  # padding 400 rows to 100 kB each would have cost 40 MB
    stored = await raw.fetch("SELECT body FROM lumpy ORDER BY k")
    assert [r["body"] for r in stored] == bodies


finite_floats = st.floats(allow_nan=False, width=64)
pg_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
# asyncpg returns datetime objects, so stay within years 1..9999.
timestamps = st.integers(
    micros(datetime(1, 1, 2, tzinfo=UTC)), micros(datetime(9999, 12, 30, tzinfo=UTC))
)


int8s = st.integers(-(2**63), 2**63 - 1)
int4s = st.integers(-(2**31), 2**31 - 1)


# One transaction serves every example: the table is truncated at the start of each.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(int8s, int4s, finite_floats, pg_text, timestamps), max_size=30),
    as_objects=st.booleans(),
    chunk_rows=st.integers(1, 8),
)  # fmt: skip
async def test_random_columns_round_trip_exactly(
    raw: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[int, int, float, str, int]],
    as_objects: bool,
    chunk_rows: int,
) -> None:
    monkeypatch.setattr(copy_module, "BLOCK_ROWS", 3)  # chunks and blocks cut rows differently
    await raw.execute(
        "CREATE TEMP TABLE IF NOT EXISTS prop"
        " (n int4, i8 int8, i4 int4, f float8, t text, ts timestamptz);"
        "TRUNCATE prop"
    )
    big, small, floats, texts, stamps = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([],) * 5
    )
    columns = [
        CopyColumn("n", "int4", np.arange(len(rows))),
        CopyColumn("i8", "int8", np.array(big, dtype=np.int64)),
        CopyColumn("i4", "int4", np.array(small, dtype=np.int32)),
        CopyColumn("f", "float8", np.array(floats, dtype=np.float64)),
        CopyColumn("t", "text", np.array(texts, dtype=object if as_objects else str)),
        CopyColumn("ts", "timestamptz", np.array(stamps, dtype=np.int64).astype("datetime64[us]")),
    ]  # fmt: skip
    assert await copy_columns(raw, "pg_temp", "prop", columns, chunk_rows=chunk_rows) == len(rows)
    stored = await raw.fetch("SELECT i8, i4, f, t, ts FROM prop ORDER BY n")
    assert [(r["i8"], r["i4"], r["f"], r["t"], micros(r["ts"])) for r in stored] == rows
    assert [struct.pack(">d", r["f"]) for r in stored] == [struct.pack(">d", f) for f in floats]


async def test_uuid_arrays_and_uuid_objects_store_the_same_ids(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE keys (a uuid, b uuid)")
    stamps = np.datetime64("2026-02-01", "ms") + np.arange(3) * np.timedelta64(1, "s")
    ids = uuid7_array(stamps, np.random.default_rng(1))
    objects = [uuid.UUID(bytes=row.tobytes()) for row in ids]
    columns = [
        CopyColumn("a", "uuid", ids),
        CopyColumn("b", "uuid", [objects[0], None, objects[2]]),
    ]
    await copy_columns(raw, "pg_temp", "keys", columns)
    stored = await raw.fetch(
        "SELECT a, b, get_byte(uuid_send(a), 6) >> 4 AS v FROM keys ORDER BY a"
    )
    assert [(r["a"], r["b"], r["v"]) for r in stored] == [
        (objects[0], objects[0], 7),
        (objects[1], None, 7),
        (objects[2], objects[2], 7),
    ]


async def test_bad_columns_raise_before_the_copy_starts(
    db_connection: AsyncConnection, raw: asyncpg.Connection
) -> None:
    await raw.execute("CREATE TEMP TABLE strict_t (a int4, b text)")
    cases: list[tuple[list[CopyColumn], str]] = [
        (
            [CopyColumn("a", "int4", np.arange(3)), CopyColumn("b", "text", np.array(["x"]))],
            "different lengths",
        ),
        ([CopyColumn("a", "numeric", np.arange(3))], "unsupported pgtype 'numeric'"),  # type: ignore[arg-type]
        ([CopyColumn("a", "int4", np.array([2**31]))], "do not fit int4"),
        ([CopyColumn("a", "int4", np.array([1.5]))], "expected a 1-D numeric array"),
        ([CopyColumn("a", "int4", np.arange(2), np.array([True]))], "nulls must be a bool array"),
        ([CopyColumn("b", "text", np.array([1, 2]))], "array of str"),
        ([CopyColumn("b", "text", np.array(["a\x00b"]))], "cannot contain NUL"),
        ([CopyColumn("b", "text", np.array(["ok", 3], dtype=object))], "values must be str"),
        ([CopyColumn("b", "text[]", ["ab"])], "not a sequence of str"),
        ([CopyColumn("a", "int4", np.arange(2))] * 2, "duplicate"),
    ]  # fmt: skip
    for columns, message in cases:
        with pytest.raises(ValueError, match=message):
            await copy_columns(raw, "pg_temp", "strict_t", columns)
    # Nothing reached the server, so the transaction is still healthy.
    assert (await db_connection.execute(text("SELECT count(*) FROM strict_t"))).scalar() == 0


async def test_a_bad_value_in_a_later_chunk_aborts_the_copy(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE later (b text)")
    values = np.array(["fine"] * 9 + ["ba\x00d"])
    with pytest.raises(ValueError, match="cannot contain NUL"):
        await copy_columns(raw, "pg_temp", "later", [CopyColumn("b", "text", values)], chunk_rows=4)
    with pytest.raises(asyncpg.InFailedSQLTransactionError):
        await raw.fetchval("SELECT count(*) FROM later")


async def test_raw_connection_shares_the_sqlalchemy_transaction(
    db_connection: AsyncConnection,
) -> None:
    raw = await raw_asyncpg_connection(db_connection)
    assert raw.is_in_transaction()
    outer = (await db_connection.execute(text("SELECT txid_current()"))).scalar()
    assert await raw.fetchval("SELECT txid_current()") == outer
    await raw.execute("CREATE TEMP TABLE shared (k int4)")
    await copy_columns(raw, "pg_temp", "shared", [CopyColumn("k", "int4", np.arange(5))])
    seen = await db_connection.execute(text("SELECT sum(k) FROM shared"))
    assert seen.scalar() == 10


def reference_text_array(row: Sequence[str | None]) -> bytes:
    if not row:
        return struct.pack(">iii", 0, 0, 25)
    out = struct.pack(">iiiii", 1, int(None in row), 25, len(row), 1)
    for item in row:
        data = b"" if item is None else item.encode()
        out += struct.pack(">i", -1) if item is None else struct.pack(">i", len(data)) + data
    return out


@pytest.mark.parametrize("chunk_rows", [100_000, 5_000, 777])
def test_blocks_and_chunks_keep_every_value_in_its_row(chunk_rows: int) -> None:
    count = 10_000
    rng = np.random.default_rng(7)
    words = ["", "ä", "日本語テキスト", "plain", "emoji 🎓🎓", None]
    unicode_values = [words[k] for k in rng.integers(0, len(words), count)]
    ascii_values = np.array([f"T-{k}" * int(k % 4) for k in range(count)])
    ascii_nulls = rng.random(count) < 0.1
    floats = rng.normal(size=count)
    floats[rng.random(count) < 0.1] = np.nan
    tags = [None if k % 7 == 0 else [f"s{k % 3}", None][: k % 3] for k in range(count)]
    columns = [
        CopyColumn("k", "int8", np.arange(count)),
        CopyColumn("u", "text", np.array(unicode_values, dtype=object)),
        CopyColumn("a", "text", ascii_values, ascii_nulls),
        CopyColumn("f", "float8", floats),
        CopyColumn("tags", "text[]", tags),
    ]
    decoded = decode_chunks(list(encode_binary_copy(columns, chunk_rows=chunk_rows)))
    assert len(decoded) == count
    for k, (row, tag) in enumerate(zip(decoded, tags, strict=True)):
        assert row == [
            struct.pack(">q", k),
            None if unicode_values[k] is None else unicode_values[k].encode(),
            None if ascii_nulls[k] else str(ascii_values[k]).encode(),
            None if np.isnan(floats[k]) else struct.pack(">d", floats[k]),
            None if tag is None else reference_text_array(tag),
        ]


def test_each_chunk_holds_whole_rows_for_low_cardinality_text() -> None:
    subjects = np.array(["Mathematics", "Physics", "Chemistry"])[np.arange(25) % 3]
    columns: Iterable[CopyColumn] = [
        CopyColumn("subject", "text", subjects),
        CopyColumn("score", "float8", np.linspace(0, 1, 25)),
    ]
    chunks = list(encode_binary_copy(list(columns), chunk_rows=4))
    assert len(chunks) == 7
    decoded = decode_chunks(chunks)
    assert [row[0] for row in decoded] == [s.encode() for s in subjects.tolist()]
    assert [struct.unpack(">d", row[1] or b"")[0] for row in decoded] == np.linspace(
        0, 1, 25
    ).tolist()


async def test_jsonb_from_str_and_object_arrays_round_trips(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE docs (n int4, doc jsonb)")
    documents = ['{"device": "web", "minutes": 12.5}', "[]", '{"name": "Zoë"}']
    await copy_columns(
        raw,
        "pg_temp",
        "docs",
        [
            CopyColumn("n", "int4", np.arange(3)),
            CopyColumn("doc", "jsonb", np.array(documents)),
        ],
    )
    await copy_columns(
        raw,
        "pg_temp",
        "docs",
        [
            CopyColumn("n", "int4", np.array([3, 4])),
            CopyColumn("doc", "jsonb", np.array(['{"a": [1, null]}', None], dtype=object)),
        ],
    )
    rows = await raw.fetch(
        "SELECT n, doc->>'device' AS device, doc::text AS doc FROM docs ORDER BY n"
    )
    assert rows[0]["device"] == "web"
    assert [r["doc"] for r in rows] == [
        '{"device": "web", "minutes": 12.5}',
        "[]",
        '{"name": "Zoë"}',
        '{"a": [1, null]}',
        None,
    ]


async def test_jsonb_rejects_non_text_and_the_server_rejects_bad_json(
    raw: asyncpg.Connection,
) -> None:
    await raw.execute("CREATE TEMP TABLE docs (doc jsonb)")
    with pytest.raises(ValueError, match="JSON text"):
        await copy_columns(
            raw, "pg_temp", "docs", [CopyColumn("doc", "jsonb", np.array([{"a": 1}], dtype=object))]
        )
    with pytest.raises(asyncpg.InvalidTextRepresentationError):
        await copy_columns(
            raw, "pg_temp", "docs", [CopyColumn("doc", "jsonb", np.array(["{oops"]))]
        )


async def test_varchar_arrays_send_their_own_element_type(raw: asyncpg.Connection) -> None:
    await raw.execute("CREATE TEMP TABLE tagged (tags varchar(20)[], notes text[])")
    rows = [["Algebra", "SAT Prep"], [], ["Zoë", None]]
    await copy_columns(
        raw,
        "pg_temp",
        "tagged",
        [CopyColumn("tags", "varchar[]", rows), CopyColumn("notes", "text[]", rows)],
    )
    stored = await raw.fetch("SELECT tags, notes FROM tagged")
    assert [r["tags"] for r in stored] == rows
    assert [r["notes"] for r in stored] == rows
    # Sending text[] elements to a varchar[] column is refused by the server.
    with pytest.raises(asyncpg.DatatypeMismatchError):
        await copy_columns(raw, "pg_temp", "tagged", [CopyColumn("tags", "text[]", rows)])


def test_orm_smallint_columns_copy_as_int2() -> None:
    from sqlalchemy import BigInteger, Integer, SmallInteger

    from lyceum.core.db.bulk import pgtype_of

    assert pgtype_of(SmallInteger()) == "int2"
    assert pgtype_of(Integer()) == "int4"
    assert pgtype_of(BigInteger()) == "int4"  # as before: no loader sends a BIGINT column yet


def test_orm_generic_uuid_and_type_decorators_copy_as_what_they_store() -> None:
    from sqlalchemy import DateTime, Uuid
    from sqlalchemy.types import TypeDecorator

    from lyceum.core.db.bulk import pgtype_of

    class Stamp(TypeDecorator[object]):
        impl = DateTime(timezone=True)
        cache_ok = True

    assert pgtype_of(Uuid()) == "uuid"
    # A TypeDecorator goes over the wire as its underlying type.
    assert pgtype_of(Stamp()) == "timestamptz"
