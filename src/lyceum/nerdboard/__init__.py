"""Nerdboard: operations intelligence and capacity planning for a tutoring marketplace."""

from lyceum.core.appspec import AppSpec
from lyceum.core.db.engine import PoolConfig

# Seed 000: pool 20 + 30 overflow, recycled hourly, pre-ping.
POOL = PoolConfig(pool_size=20, max_overflow=30, pool_timeout=30, pool_recycle=3600)

app_spec = AppSpec(
    name="nerdboard",
    title="Nerdboard",
    description="Marketplace capacity planning, live simulation and dashboards",
    pool=POOL,
    models_module="lyceum.nerdboard.models",
)
