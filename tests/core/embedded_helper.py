"""A process that holds the embedded server, for tests/core/test_embedded.py.

    python embedded_helper.py PGDATA MODE

Acquires PGDATA, prints one JSON line (its pid, the postmaster pid, the live
holders, how many times it ran initdb), then, by MODE:
  exit   leaves at once (atexit releases the server);
  sleep  sleeps until signalled (SIGINT, SIGTERM, SIGKILL) or MAX_SECONDS pass;
  stdin  waits for a line (or end of file) on stdin, then leaves.
If LYCEUM_TEST_BARRIER names a file, waits for it to exist before acquiring,
so that several helpers can be released at the same instant.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from lyceum.core import embedded
from lyceum.core.embedded import lifecycle
from lyceum.core.embedded.holders import Paths

MAX_SECONDS = 120  # never outlive a test that forgot us


def main(pgdata: Path, mode: str) -> int:
    # Behave like a fresh interactive program whatever our parent ignored:
    # Ctrl-C raises KeyboardInterrupt, SIGTERM is default so `acquire` takes it over.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    initdb_calls = 0
    real_initdb = lifecycle._initdb

    def counting_initdb(paths: Paths) -> None:
        nonlocal initdb_calls
        initdb_calls += 1
        real_initdb(paths)

    lifecycle._initdb = counting_initdb

    barrier = os.environ.get("LYCEUM_TEST_BARRIER")
    deadline = time.monotonic() + MAX_SECONDS
    while barrier and not Path(barrier).exists():
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.005)

    server = embedded.acquire(pgdata)
    report = {
        "pid": os.getpid(),
        "postmaster": server.pid,
        "holders": embedded.status(pgdata)["holders"],
        "initdb_calls": initdb_calls,
        "sigterm_handled": signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL,
    }
    try:
        print(json.dumps(report), flush=True)
        if mode == "sleep":
            deadline = time.monotonic() + MAX_SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.1)
        elif mode == "stdin":
            sys.stdin.readline()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("exit", "sleep", "stdin"):
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
