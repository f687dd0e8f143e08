"""History generation: the full `generate` (12 months, default scale, seed 42) against loading
the same rows alone, in the same run.

The baseline takes the arrays `generate_history` returns (built once, untimed) and times only
the load, by the path `generate` itself uses: one transaction of TRUNCATE,
`bulk.deferred_indexes` (drop secondary indexes and the foreign key, rebuild after) and
`bulk.copy_batch` (binary COPY). The two alternate, median of 3 each. The seed's target is
generation under 30 s.

Run: `lyceum bench nerdboard` (DATABASE_URL, else the embedded server); BENCH_GENERATE_RUNS
changes the number of runs.
"""

from __future__ import annotations

import asyncio
import os
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
from lyceum.core.db.copy import raw_asyncpg_connection
from lyceum.core.db.engine import close_db
from lyceum.core.db.session import session
from lyceum.core.settings import reset_settings_cache
from lyceum.nerdboard.connection import POOL
from lyceum.nerdboard.generate import generate
from lyceum.nerdboard.marketplace import MarketBatch, generate_history
from lyceum.nerdboard.repository import bulk

RUNS = int(os.environ.get("BENCH_GENERATE_RUNS", "3"))
SCALE, SEED, MONTHS = "default", 42, 12
OPTIONS = GenerateOptions(seed=SEED, scale=SCALE, months=MONTHS)
TARGET_SECONDS = 30.0
# generate()'s summary: "... in 19.2 s (model 3.9 s, COPY 6.8 s, indexes 5.0 s)"


async def timed_copy(batch: MarketBatch) -> dict[str, float]:
    tables = [name for name, _ in bulk.BATCH_TABLES]
    started = time.perf_counter()
    async with session(profile="nerdboard", pool=POOL) as db:
        await db.execute(text(f"TRUNCATE {', '.join(f'nerdboard.{t}' for t in bulk.DATA_TABLES)}"))
        raw = await raw_asyncpg_connection(await db.connection())
        async with bulk.deferred_indexes(raw, tables):
            copy_started = time.perf_counter()
            await bulk.copy_batch(raw, batch)
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


async def measure() -> tuple[int, dict[str, int], list[dict[str, float]], list[dict[str, float]]]:
    batch, _state = await asyncio.to_thread(generate_history, SCALE, SEED, MONTHS)
    per_table = {name: len(getattr(batch, name)["id"]) for name, _ in bulk.BATCH_TABLES}
    generated: list[dict[str, float]] = []
    loaded: list[dict[str, float]] = []
    try:
        for _ in range(RUNS):
            generated.append(
                await timed_generate(
                    generate, GenerateOptions(seed=SEED, scale=SCALE, months=MONTHS)
                )
            )
            loaded.append(await timed_copy(batch))
    finally:
        await close_db()
    return sum(per_table.values()), per_table, generated, loaded


def main() -> None:
    with scratch_database("generate") as url:
        info = machine(url)
        os.environ["DATABASE_URL"] = url_string(url)
        reset_settings_cache()
        rows, per_table, generated, loaded = asyncio.run(measure())

    total = median_of(generated, "wall")
    copy_alone = median_of(loaded, "wall")
    copy_phase = median_of(loaded, "copy")
    passed = total < TARGET_SECONDS

    def line(label: str, seconds: float) -> list[object]:
        return [label, f"{seconds:.2f}", f"{rows / seconds / 1000:,.0f}"]

    print_machine(info)
    print(f"{rows:,} rows ({', '.join(f'{t} {n:,}' for t, n in per_table.items())}); ", end="")
    print(f"{SCALE} scale, seed {SEED}, {MONTHS} months; median of {RUNS} (runs alternate)")
    table: list[list[object]] = [line("(a) generate(): model + load + checks", total)]
    table += phase_rows(
        generated,
        (
            ("model", "model (NumPy simulation)"),
            ("copy", "COPY incl. TRUNCATE, index drop"),
            ("indexes", "index + foreign key rebuild"),
            ("rest", "ANALYZE, 8 quality runs, commit"),
        ),
    )
    table.append(line("(b) COPY alone: same rows, same path", copy_alone))
    table += phase_rows(
        loaded,
        (
            ("prepare", "TRUNCATE + drop indexes"),
            ("copy", "binary COPY (no secondary indexes)"),
            ("indexes", "index + foreign key rebuild"),
            ("commit", "commit"),
        ),
    )
    title = "history generation (each phase: its own median)"
    print_table(title, ["", "seconds", "k rows/s"], table)
    print(f"ratio generate / COPY alone: {total / copy_alone:.2f}x")
    print(f"ratio generate / raw COPY phase: {total / copy_phase:.2f}x")
    print(f"runs (s): generate {[round(r['wall'], 2) for r in generated]},", end=" ")
    print(f"COPY alone {[round(r['wall'], 2) for r in loaded]}")
    verdict = "PASS" if passed else "FAIL"
    print(f"target generation < {TARGET_SECONDS:.0f} s: {verdict} ({total:.1f} s)")

    figures: dict[str, Any] = {
        "scale": SCALE,
        "seed": SEED,
        "months": MONTHS,
        "runs": RUNS,
        "rows": rows,
        "rows_per_table": per_table,
        "generate_seconds_median": round(total, 3),
        "generate_phases_median": phase_medians(generated, GENERATE_PHASE_KEYS),
        "copy_alone_seconds_median": round(copy_alone, 3),
        "copy_alone_phases_median": phase_medians(loaded, LOAD_PHASE_KEYS),
        "ratio_generate_over_copy_alone": round(total / copy_alone, 3),
        "ratio_generate_over_raw_copy": round(total / copy_phase, 3),
        "generate_rows_per_second": round(rows / total),
        "copy_alone_rows_per_second": round(rows / copy_alone),
        "raw_copy_rows_per_second": round(rows / copy_phase),
        "runs_seconds": {
            "generate": [round(r["wall"], 3) for r in generated],
            "copy_alone": [round(r["wall"], 3) for r in loaded],
        },
        "target": {"generate_seconds_below": TARGET_SECONDS, "passed": passed},
    }
    write_results("generate", info, figures)


if __name__ == "__main__":
    main()
