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
    result = lyceum("bench", "core", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "raw redis GET (baseline)" in result.stdout
    assert "overhead vs baseline" in result.stdout
    assert "single-flight" in result.stdout
    assert "copy_records_to_table" in result.stdout
