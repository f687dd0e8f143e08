"""`lyceum bench core` runs the cache benchmark and prints figures beside its baseline."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import lyceum


@pytest.mark.benchmark
def test_core_benchmark_prints_figures_against_a_baseline(redis_url: str) -> None:
    result = lyceum("bench", "core", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "raw redis GET (baseline)" in result.stdout
    assert "overhead vs baseline" in result.stdout
    assert "single-flight" in result.stdout
