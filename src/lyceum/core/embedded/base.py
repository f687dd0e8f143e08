"""Names the embedded server's modules share: where it listens, who it runs as, its error."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

SERVER_USER = "lyceum-pg"
SUPERUSER = "postgres"
PORT = 5432  # names the socket file only: the server opens no TCP port
START_TIMEOUT_S = 60
# Linux limits a Unix socket path (sun_path) to 107 bytes.
MAX_SOCKET_PATH = 100


class EmbeddedError(RuntimeError):
    """The embedded server could not be started or stopped; the message says why."""
