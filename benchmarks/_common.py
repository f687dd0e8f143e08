"""Shared pieces of the Nerdboard benchmarks: a scratch database per script, Redis, a real
`lyceum serve` process, percentiles, the machine description, and the JSON result files.

Not run by `lyceum bench` (the leading underscore); each `nerdboard_*.py` imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import redis.asyncio as aioredis
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.engine import URL

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.live import free_port, start_server, stop_server
from tests.fixtures.services import private_redis

from lyceum.core import embedded
from lyceum.core.appspec import GenerateOptions
from lyceum.core.db.url import drop_database, ensure_database_exists
from lyceum.core.settings import DEVELOPMENT_DEMO_TOKEN, libpq_url, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# BENCH_RESULTS_DIR lets a smoke test run a benchmark without overwriting the real figures.
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR") or REPO_ROOT / "benchmarks" / "results")
API = "/api/nerdboard"
AUTH = {"Authorization": f"Bearer {DEVELOPMENT_DEMO_TOKEN}"}
# The dashboard's entries live under the cache namespace `lyceum`, app prefix `nerdboard`.
DASHBOARD_KEYS = "lyceum:nerdboard:*"
console = Console(width=150)


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the smallest sample with pct % at or below it)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    return ordered[min(len(ordered), max(1, math.ceil(len(ordered) * pct / 100))) - 1]


def summary_ms(samples: Sequence[float]) -> dict[str, float | None]:
    """n, p50, p95 and max of samples already in milliseconds, rounded for the JSON file."""
    if not samples:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
    }


def pct_increase(value: float, baseline: float) -> float:
    return (value / baseline - 1.0) * 100.0 if baseline > 0 else float("nan")


def hit_miss(x_cache: Mapping[str, int]) -> str:
    """'hits/misses' from a count of X-Cache header values."""
    return f"{x_cache.get('hit', 0)}/{x_cache.get('miss', 0)}"


# ---- database ------------------------------------------------------------------------


def base_database_url() -> URL:
    """DATABASE_URL (or POSTGRES_*) when set, else the embedded server, held by this process."""
    settings = load_settings()
    configured = settings.configured_url
    if configured is not None:
        return configured
    return embedded.acquire(settings.pgdata).url()


def url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def lyceum_command(args: Sequence[str], env: Mapping[str, str], timeout: float = 600) -> str:
    """Run the `lyceum` CLI of this interpreter; returns its stdout, raises with its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "lyceum.cli.main", *args],
        cwd=REPO_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lyceum {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@contextlib.contextmanager
def scratch_database(name: str, *, app: str = "nerdboard") -> Iterator[URL]:
    """`lyceum_bench_<app>_<name>`, created fresh, migrated, dropped afterwards."""
    url = base_database_url().set(database=f"lyceum_bench_{app}_{name}")
    drop_database(url)
    ensure_database_exists(url)
    try:
        lyceum_command(["db", "upgrade"], {**os.environ, "DATABASE_URL": url_string(url)})
        yield url
    finally:
        drop_database(url)


def load_history(url: URL, scale: str, seed: int = 42, months: int = 12) -> str:
    """`lyceum generate nerdboard` into `url`; returns the CLI's summary line."""
    env = {**os.environ, "DATABASE_URL": url_string(url), "COLUMNS": "400"}
    args = ["generate", "nerdboard", "--scale", scale, "--seed", str(seed)]
    out = lyceum_command([*args, "--months", str(months)], env)
    summaries = [line.strip() for line in out.splitlines() if " sessions, " in line]
    return summaries[-1] if summaries else out.strip()[-300:]


def server_version(url: URL) -> str:
    with psycopg.connect(libpq_url(url), connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """REDIS_URL when set, else a private redis-server for the duration."""
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    with private_redis() as url:
        yield url


async def clear_dashboard_cache(client: aioredis.Redis) -> int:
    """Delete every Nerdboard cache entry (SCAN + UNLINK, never KEYS)."""
    keys = [key async for key in client.scan_iter(match=DASHBOARD_KEYS, count=1000)]
    deleted = 0
    for start in range(0, len(keys), 500):
        deleted += int(await client.unlink(*keys[start : start + 500]))
    return deleted


@contextlib.asynccontextmanager
async def simulation_running(http: httpx.AsyncClient, speed: int) -> AsyncIterator[None]:
    """Start the simulation at `speed`; pause it afterwards, whatever happens."""
    (await http.put(f"{API}/simulation/speed", json={"speed_multiplier": speed})).raise_for_status()
    (await http.post(f"{API}/simulation/start")).raise_for_status()
    try:
        yield
    finally:
        await http.post(f"{API}/simulation/pause")


# ---- server --------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    base: str
    process: psutil.Process

    def cpu_seconds(self) -> float:
        """CPU time the server process has used (user + system), to tell its cost from the
        client's: both share this machine's cores."""
        total = 0.0
        for process in (self.process, *self.process.children(recursive=True)):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


@contextlib.contextmanager
def running_server(
    url: URL, redis: str, *, worker: bool, tick_seconds: float = 1.0, workers: int = 1
) -> Iterator[LiveServer]:
    """A `lyceum serve` process on a free port.

    LOG_LEVEL=WARNING silences uvicorn's per-request access log, whose formatting would be
    measured as part of every request otherwise.
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url_string(url),
        "REDIS_URL": redis,
        "ENV": "development",
        "LOG_LEVEL": "WARNING",
        "NERDBOARD_SIMULATION_WORKER": "true" if worker else "false",
        "NERDBOARD_TICK_SECONDS": str(tick_seconds),
    }
    log = tempfile.NamedTemporaryFile(prefix="nerdboard-bench-server-", suffix=".log")  # noqa: SIM115
    try:
        process = start_server(env, port, workers=workers, output=log)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}:\n{Path(log.name).read_text()}") from None
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", psutil.Process(process.pid))
    finally:
        stop_server(process)
        errors = [line for line in Path(log.name).read_text().splitlines() if "Traceback" in line]
        if errors:
            console.print(f"[yellow]server log has {len(errors)} traceback(s): {log.name}")
        log.close()


@dataclass(frozen=True)
class LiveWorker:
    process: psutil.Process

    def cpu_seconds(self) -> float:
        try:
            times = self.process.cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return times.user + times.system


@contextlib.contextmanager
def running_worker(url: URL, redis: str, *, tick_seconds: float = 1.0) -> Iterator[LiveWorker]:
    """A `lyceum worker` process: the jobs and the simulation ticker, as deployed beside
    `lyceum serve` (whose own ticker the benchmark leaves off). It ticks once the clock runs."""
    env = {
        **os.environ,
        "DATABASE_URL": url_string(url),
        "REDIS_URL": redis,
        "ENV": "development",
        "LOG_LEVEL": "WARNING",
        "NERDBOARD_TICK_SECONDS": str(tick_seconds),
    }
    log = tempfile.NamedTemporaryFile(prefix="nerdboard-bench-worker-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "lyceum.cli.main", "worker"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield LiveWorker(psutil.Process(process.pid))
    finally:
        stop_server(process)  # SIGTERM, then a kill after 30 s
        text = Path(log.name).read_text()
        if "Traceback" in text:
            console.print(f"[yellow]worker log has tracebacks:\n{text[-3000:]}")
        log.close()


@dataclass(frozen=True, slots=True)
class Timed:
    """One GET: its latency from sending the request to the last byte, and what came back."""

    path: str
    ms: float
    status: int
    x_cache: str | None
    # perf_counter() at the last byte, to measure a page from its first request to its last.
    done: float


async def timed_get(http: RawHttpPool, path: str) -> Timed:
    started = time.perf_counter()
    status, headers, _body = await http.get(path)
    done = time.perf_counter()
    return Timed(path, (done - started) * 1000, status, headers.get("x-cache"), done)


# ---- reporting -----------------------------------------------------------------------


def machine(url: URL) -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "postgresql": server_version(url),
        "database": "external" if load_settings().configured_url else "embedded",
        "load_average_1m_5m_at_start": [round(load1, 2), round(load5, 2)],
    }


def print_machine(info: Mapping[str, Any]) -> None:
    console.print(
        f"machine: {info['machine']}, {info['cpu_count']} cores, Python {info['python']},"
        f" PostgreSQL {info['postgresql']} ({info['database']}),"
        f" load average {info['load_average_1m_5m_at_start']}"
    )


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


def write_results(
    name: str, info: Mapping[str, Any], figures: Mapping[str, Any], *, app: str = "nerdboard"
) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{app}_{name}.json"
    document = {
        "benchmark": f"{app}_{name}",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": dict(info),
        "figures": dict(figures),
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console.print(
        f"results: {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}"
    )
    return path


class RawHttpPool:
    """A minimal HTTP/1.1 keep-alive GET client: a pool of raw asyncio connections.

    The load generator shares the machine's 2 cores with the server; httpx costs 4-6 ms of CPU
    per request, which made the client, not the server, the bottleneck at 50 clients. This
    costs about a tenth of that, so the figures describe the server.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str], size: int) -> None:
        self.host, self.port, self.size = host, port, size
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._template = f"GET {{path}} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n"
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        for _ in range(self.size):
            self._idle.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def close(self) -> None:
        while not self._idle.empty():
            _reader, writer = self._idle.get_nowait()
            writer.close()

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        reader, writer = await self._idle.get()
        try:
            try:
                return await self._exchange(reader, writer, path)
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed an idle keep-alive connection: reconnect once.
                writer.close()
                reader, writer = await asyncio.open_connection(self.host, self.port)
                return await self._exchange(reader, writer, path)
        finally:
            self._idle.put_nowait((reader, writer))

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
    ) -> tuple[int, dict[str, str], bytes]:
        writer.write(self._template.format(path=path).encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body


def median_of(runs: Sequence[Mapping[str, float]], key: str) -> float:
    """The median of one figure over the runs that measured it."""
    return statistics.median(run[key] for run in runs if key in run)


def phase_medians(runs: Sequence[Mapping[str, float]], keys: Sequence[str]) -> dict[str, float]:
    """Each phase's own median (rounded for the results file), for the phases measured."""
    return {k: round(median_of(runs, k), 3) for k in keys if any(k in run for run in runs)}


def phase_rows(
    runs: Sequence[Mapping[str, float]], labels: Sequence[tuple[str, str]]
) -> list[list[object]]:
    """Indented table rows, one per measured phase: (key, label) -> [label, seconds, ""]."""
    return [
        [f"    {label}", f"{median_of(runs, key):.2f}", ""]
        for key, label in labels
        if any(key in run for run in runs)
    ]


# The phases `timed_generate` reports, in order.
GENERATE_PHASE_KEYS = ("model", "copy", "indexes", "rest")
LOAD_PHASE_KEYS = ("prepare", "copy", "indexes", "commit")


# An app generator's summary ends "in 31.2 s (model 6.9 s, COPY 9.8 s, indexes 12.0 s)".
GENERATE_PHASES = re.compile(
    r"in ([\d.]+) s \(model ([\d.]+) s, COPY ([\d.]+) s, indexes ([\d.]+) s\)"
)


async def timed_generate(
    generate: Callable[[GenerateOptions, Progress], Awaitable[str]], options: GenerateOptions
) -> dict[str, float]:
    """Run an app's `generate` once: wall time and the phases its summary reports; `rest` is
    what follows the index rebuild (ANALYZE, the app's own steps, the commit)."""
    started = time.perf_counter()
    with Progress(disable=True) as progress:
        summary = await generate(options, progress)
    wall = time.perf_counter() - started
    match = GENERATE_PHASES.search(summary)
    if match is None:
        return {"wall": wall}
    _reported, model, copy, indexes = (float(g) for g in match.groups())
    rest = wall - model - copy - indexes
    return {"wall": wall, "model": model, "copy": copy, "indexes": indexes, "rest": rest}
