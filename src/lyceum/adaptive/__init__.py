"""Adaptive Learning Decision Engine: knowledge graph, mastery, study plans, offline sync."""

from lyceum.core.appspec import AppSpec
from lyceum.core.db.engine import PoolConfig

# Seed 004: pool 10 + 20 overflow, pre-ping.
POOL = PoolConfig(pool_size=10, max_overflow=20, pool_timeout=30, pool_recycle=3600)

app_spec = AppSpec(
    name="adaptive",
    title="Adaptive Learning Decision Engine",
    description="Knowledge graph, mastery tracking, study plans and offline-first sync",
    pool=POOL,
)
