"""TutorMax: tutor performance evaluation, churn prediction and interventions."""

from lyceum.core.appspec import AppSpec
from lyceum.core.db.engine import PoolConfig

# Seeds 001/002: pool 5 + 10 overflow, 30 s timeout, recycled hourly, pre-ping.
POOL = PoolConfig(pool_size=5, max_overflow=10, pool_timeout=30, pool_recycle=3600)

app_spec = AppSpec(
    name="tutormax",
    title="TutorMax",
    description="Tutor performance evaluation, churn prediction and interventions",
    pool=POOL,
    models_module="lyceum.tutormax.models",
)
