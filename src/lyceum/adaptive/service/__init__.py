"""The adaptive app's use cases, by area: the knowledge graph (`graph`), the sync's push
(`sync_push`), pull (`sync_pull`) and what teachers and admins see of it (`sync_status`).
They read and write through `repository` and only flush; the edge commits."""

from lyceum.adaptive.service.graph import knowledge_graph

__all__ = ["knowledge_graph"]
