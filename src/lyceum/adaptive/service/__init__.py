"""The adaptive app's use cases, by area: the knowledge graph (`graph`), the sync's push
(`sync_push`), pull (`sync_pull`) and what teachers and admins see of it (`sync_status`);
learning (issue 18): mastery as attempts arrive (`tracing`), a student's mastery map, answers
and next question (`mastery`), plans and profile (`plans`, `replanning`), who may read a
student (`learner`), teachers' class views (`classes`). They read and write through
`repository` and only flush; the edge commits."""

from lyceum.adaptive.service.graph import knowledge_graph

__all__ = ["knowledge_graph"]
