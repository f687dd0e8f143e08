"""All of the adaptive app's SQL, by area: the knowledge graph (`graph`, on either database),
the server's side of the sync (`sync`: the ledger and applying operations; `changes`: the
change log devices pull; `devices`: what teachers read); learning (issue 18): knowledge-tracing
states (`mastery`), a student's graph, profile, questions and answers (`learning`), plans
(`plans`), classes (`classes`)."""

from lyceum.adaptive.repository.graph import (
    TopicRow,
    add_prerequisite,
    creates_cycle,
    knowledge_graph,
)

__all__ = ["TopicRow", "add_prerequisite", "creates_cycle", "knowledge_graph"]
