"""`lyceum bench core` runs the cache and COPY benchmarks and prints figures beside baselines."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import URL

from tests.cli.test_cli import lyceum


@pytest.mark.benchmark
def test_core_benchmark_prints_figures_against_a_baseline(
    redis_url: str, database_url: URL
) -> None:
    # database_url: DATABASE_URL then names the test database, where the COPY benchmark
    # makes (and drops) its scratch table.
    # Small sizes: this proves the benchmarks run and print their baselines; the figures
    # themselves come from `lyceum bench core` at full size.
    result = lyceum(
        "bench", "core", env={"BENCH_COPY_ROWS": "100000", "BENCH_CACHE_READS": "500"}, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "raw redis GET (baseline)" in result.stdout
    assert "overhead vs baseline" in result.stdout
    assert "single-flight" in result.stdout
    assert "copy_records_to_table" in result.stdout
