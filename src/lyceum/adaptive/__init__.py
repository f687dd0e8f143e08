"""Adaptive Learning Decision Engine: knowledge graph, mastery, study plans, offline sync."""

from lyceum.adaptive.connection import POOL
from lyceum.core.appspec import AppSpec

app_spec = AppSpec(
    name="adaptive",
    title="Adaptive Learning Decision Engine",
    description="Knowledge graph, mastery tracking, study plans and offline-first sync",
    pool=POOL,
    models_module="lyceum.adaptive.models",
)
