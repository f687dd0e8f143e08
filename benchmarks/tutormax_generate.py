"""TutorMax history generation: the full `generate` (12 months, default scale, seed 42)
against loading the same rows alone, and against the bare COPY of its sessions, in one run.

(a) `generate()` as `lyceum generate tutormax` runs it: model, TRUNCATE, COPY with indexes,
    keys and foreign keys deferred, their rebuild, ANALYZE, the generation record, commit.
(b) The load alone: the arrays of the same history (built once, untimed) through the same
    path as (a) minus the model.
(c) The floor for the biggest table: the same session rows COPYed into a bare copy of the
    table (no index, key, constraint or foreign key), in its own transaction, rolled back.

The runs alternate (a), (b), (c); each figure is the median of BENCH_GENERATE_RUNS (3).
Target: the default year well under a minute on a 2-core machine (printed against 60 s).

Run: `lyceum bench tutormax`, or `python benchmarks/tutormax_generate.py`, with DATABASE_URL
naming any database on the server to use (else the embedded server): a scratch database
`lyceum_bench_tutormax_generate` is created, migrated and dropped; nothing else is touched.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from _common import (
    GENERATE_PHASE_KEYS,
    LOAD_PHASE_KEYS,
    machine,
    median_of,
    phase_medians,
    phase_rows,
    print_machine,
    print_table,
    scratch_database,
    timed_generate,
    url_string,
    write_results,
)
from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.bulk import copy_plan, copy_table, deferred_indexes, deferred_keys
from lyceum.core.db.copy import copy_columns, raw_asyncpg_connection
from lyceum.core.db.engine import close_db
from lyceum.core.db.session import session
from lyceum.core.settings import reset_settings_cache
from lyceum.tutormax import POOL
from lyceum.tutormax.generate import (
    LOADED,
    generate,
    keyed_tables,
)
from lyceum.tutormax.models import SCHEMA, Session
from lyceum.tutormax.repository import TRUNCATE_ALL
from lyceum.tutormax.synthetic import HISTORY_END, simulate_history

RUNS = int(os.environ.get("BENCH_GENERATE_RUNS", "3"))
SCALE, SEED, MONTHS = "default", 42, 12
OPTIONS = GenerateOptions(seed=SEED, scale=SCALE, months=MONTHS)
TARGET_SECONDS = 60.0
# generate()'s summary: "... in 31.2 s (model 6.9 s, COPY 9.8 s, indexes 12.0 s)"
PHASES = re.compile(r"in ([\d.]+) s \(model ([\d.]+) s, COPY ([\d.]+) s, indexes ([\d.]+) s\)")
Tables = dict[str, dict[str, Any]]


async def timed_load(tables: Tables) -> dict[str, float]:
    names = [name for name, _ in LOADED]
    started = time.perf_counter()
    async with session(profile="tutormax", pool=POOL) as db:
        await db.execute(text(TRUNCATE_ALL))
        raw = await raw_asyncpg_connection(await db.connection())
        async with deferred_indexes(raw, SCHEMA, names), deferred_keys(raw, SCHEMA, names):
            copy_started = time.perf_counter()
            for name, table in LOADED:
                await copy_table(raw, table, tables[name])
            copied = time.perf_counter()
        rebuilt = time.perf_counter()
    done = time.perf_counter()
    return {
        "wall": done - started,
        "prepare": copy_started - started,
        "copy": copied - copy_started,
        "indexes": rebuilt - copied,
        "commit": done - rebuilt,
    }


async def timed_bare_sessions(tables: Tables) -> dict[str, float]:
    """The session rows into `CREATE TABLE ... (LIKE tutormax.sessions)`: the columns and
    NOT NULL only; rolled back."""
    async with session(profile="tutormax", pool=POOL) as db:
        await db.execute(text("CREATE TABLE tutormax.bench_bare_sessions (LIKE tutormax.sessions)"))
        raw = await raw_asyncpg_connection(await db.connection())
        plan = copy_plan(Session.__table__, tables["sessions"])
        started = time.perf_counter()
        rows = await copy_columns(raw, SCHEMA, "bench_bare_sessions", plan)
        elapsed = time.perf_counter() - started
        await db.rollback()
    return {"wall": elapsed, "rows": float(rows)}


Runs = list[dict[str, float]]


async def measure() -> tuple[dict[str, int], Runs, Runs, Runs]:
    history = await asyncio.to_thread(simulate_history, SCALE, SEED, MONTHS, HISTORY_END)
    tables = keyed_tables(history, SEED)
    counts = {name: history.row_counts()[name] for name, _ in LOADED}
    generated: Runs = []
    loaded: Runs = []
    bare: Runs = []
    try:
        for _ in range(RUNS):
            generated.append(
                await timed_generate(
                    generate, GenerateOptions(seed=SEED, scale=SCALE, months=MONTHS)
                )
            )
            loaded.append(await timed_load(tables))
            bare.append(await timed_bare_sessions(tables))
    finally:
        await close_db()
    return counts, generated, loaded, bare


def main() -> None:
    with scratch_database("generate", app="tutormax") as url:
        info = machine(url)
        os.environ["DATABASE_URL"] = url_string(url)
        reset_settings_cache()
        counts, generated, loaded, bare = asyncio.run(measure())

    rows = sum(counts.values())
    total = median_of(generated, "wall")
    load_alone = median_of(loaded, "wall")
    copy_phase = median_of(loaded, "copy")
    bare_sessions = median_of(bare, "wall")
    passed = total < TARGET_SECONDS

    def line(label: str, seconds: float, count: int = rows) -> list[object]:
        return [label, f"{seconds:.2f}", f"{count / seconds / 1000:,.0f}"]

    print_machine(info)
    print(f"{rows:,} rows ({', '.join(f'{t} {n:,}' for t, n in counts.items())}); ", end="")
    print(f"{SCALE} scale, seed {SEED}, {MONTHS} months; median of {RUNS} (runs alternate)")
    table: list[list[object]] = [line("(a) generate(): model + load + ANALYZE", total)]
    table += phase_rows(
        generated,
        (
            ("model", "model (NumPy simulation, rows)"),
            ("copy", "COPY incl. TRUNCATE, drops"),
            ("indexes", "keys, indexes, foreign keys rebuilt"),
            ("rest", "ANALYZE, record, commit"),
        ),
    )
    table.append(line("(b) load alone: same rows, same path", load_alone))
    table += phase_rows(
        loaded,
        (
            ("prepare", "TRUNCATE + drops"),
            ("copy", "binary COPY (nothing to maintain)"),
            ("indexes", "keys, indexes, foreign keys rebuilt"),
            ("commit", "commit"),
        ),
    )
    table.append(line("(c) sessions alone into a bare table", bare_sessions, counts["sessions"]))
    print_table(
        "TutorMax history generation (each phase: its own median)",
        ["", "seconds", "k rows/s"],
        table,
    )
    print(f"ratio generate / load alone: {total / load_alone:.2f}x")
    print(f"ratio generate / raw COPY phase of (b): {total / copy_phase:.2f}x")
    print(f"runs (s): generate {[round(r['wall'], 2) for r in generated]},", end=" ")
    print(f"load alone {[round(r['wall'], 2) for r in loaded]}")
    verdict = "PASS" if passed else "FAIL"
    print(f"target generation < {TARGET_SECONDS:.0f} s: {verdict} ({total:.1f} s)")

    figures: dict[str, Any] = {
        "scale": SCALE,
        "seed": SEED,
        "months": MONTHS,
        "runs": RUNS,
        "rows": rows,
        "rows_per_table": counts,
        "generate_seconds_median": round(total, 3),
        "generate_phases_median": phase_medians(generated, GENERATE_PHASE_KEYS),
        "load_alone_seconds_median": round(load_alone, 3),
        "load_alone_phases_median": phase_medians(loaded, LOAD_PHASE_KEYS),
        "bare_sessions_copy_seconds_median": round(bare_sessions, 3),
        "bare_sessions_rows_per_second": round(counts["sessions"] / bare_sessions),
        "ratio_generate_over_load_alone": round(total / load_alone, 3),
        "ratio_generate_over_raw_copy": round(total / copy_phase, 3),
        "generate_rows_per_second": round(rows / total),
        "runs_seconds": {
            "generate": [round(r["wall"], 3) for r in generated],
            "load_alone": [round(r["wall"], 3) for r in loaded],
            "bare_sessions": [round(r["wall"], 3) for r in bare],
        },
        "target": {"generate_seconds_below": TARGET_SECONDS, "passed": passed},
    }
    write_results("generate", info, figures, app="tutormax")


if __name__ == "__main__":
    main()
