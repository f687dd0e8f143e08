"""The device's side of the offline sync (I/O: the local SQLite database and HTTP):
`store.py` keeps the queue, the cursor and the pulled rows; `client.py` talks to the server
with retries. `lyceum adaptive sync` and the tests drive them."""

from lyceum.adaptive.device.client import (
    PullSummary,
    PushSummary,
    SyncClient,
    SyncRefused,
    SyncSummary,
    SyncUnavailable,
)
from lyceum.adaptive.device.store import (
    Batch,
    DeviceState,
    DeviceStore,
    QueueCounts,
    QueuedChange,
)

__all__ = [
    "Batch",
    "DeviceState",
    "DeviceStore",
    "PullSummary",
    "PushSummary",
    "QueueCounts",
    "QueuedChange",
    "SyncClient",
    "SyncRefused",
    "SyncSummary",
    "SyncUnavailable",
]
