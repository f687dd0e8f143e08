"""One student as the planner and the mastery map see them: their profile, and each concept
of their grade (plus the prerequisites it has in another grade) with its marks, prerequisites,
fitted parameters and knowledge-tracing state — and who may read it.

Access, for every learning route and page: a student reads only themselves (403 with a
sentence for anyone else); a teacher only the students of their own classes (404: the others'
existence is not theirs to learn); an adaptive or platform admin everyone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.mastery.bkt import MasteryState
from lyceum.adaptive.planning.graph import ConceptRow, concept_marks, concept_prerequisites
from lyceum.adaptive.planning.types import ConceptInput
from lyceum.adaptive.repository import learning as repository
from lyceum.adaptive.repository import mastery as mastery_repository
from lyceum.adaptive.repository.learning import GraphConcept, LearningGraph, ProfileRow
from lyceum.core.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is asking: `kind` student, teacher or admin, and their adaptive account (None for
    a platform admin, who has none)."""

    kind: str
    account_id: uuid.UUID | None

    @classmethod
    def student(cls, account_id: uuid.UUID) -> Reader:
        return cls("student", account_id)

    @classmethod
    def teacher(cls, account_id: uuid.UUID) -> Reader:
        return cls("teacher", account_id)

    @classmethod
    def admin(cls, account_id: uuid.UUID | None = None) -> Reader:
        return cls("admin", account_id)


# The device id of what is recorded online (the web pages, the API) rather than synced.
WEB_DEVICE = "web"
NO_SUCH_STUDENT = "no student with this id"


async def check_access(db: AsyncSession, reader: Reader, student_id: uuid.UUID) -> ProfileRow:
    """The student's profile, if `reader` may see it; Forbidden or NotFound with a sentence."""
    if reader.kind == "student" and reader.account_id != student_id:
        raise Forbidden(
            "a student sees and changes only their own learning data",
            details={"reason": "not_yours"},
        )
    if reader.kind == "teacher":
        assert reader.account_id is not None
        if not await repository.teaches(db, reader.account_id, student_id):
            raise NotFound(f"{NO_SUCH_STUDENT} in your classes")
    found = await repository.profile(db, student_id)
    if found is None:
        raise NotFound(f"{NO_SUCH_STUDENT} (or the student has no profile yet)")
    return found


@dataclass(frozen=True, slots=True)
class Learner:
    profile: ProfileRow
    graph: LearningGraph
    # The student's grade's concepts, after the prerequisites they have in another grade (which
    # carry no marks in this paper), in syllabus order.
    concepts: tuple[ConceptInput, ...]
    by_code: dict[str, GraphConcept]
    # concept id -> (stored state, confidence, updated_at), for concepts with a row.
    stored: dict[uuid.UUID, tuple[MasteryState, float, datetime]]

    @property
    def student_id(self) -> uuid.UUID:
        return self.profile.student_id

    def own_grade(self, code: str) -> bool:
        return self.by_code[code].grade == self.profile.grade


async def load_learner(db: AsyncSession, student: ProfileRow) -> Learner:
    graph = await repository.learning_graph(db)
    rows = [ConceptRow(c.code, c.topic_code, 0, c.name) for c in graph.concepts]
    prerequisites = concept_prerequisites(graph.topics, graph.edges, rows)
    marks = concept_marks(graph.topics, rows)
    by_code = {c.code: c for c in graph.concepts}
    own = [c for c in graph.concepts if c.grade == student.grade]
    own_codes = {c.code for c in own}
    position = {c.code: i for i, c in enumerate(graph.concepts)}
    extra = sorted(
        {p for c in own for p in prerequisites.get(c.code, ()) if p not in own_codes},
        key=position.__getitem__,
    )
    chosen = [by_code[code] for code in extra] + own
    params = await mastery_repository.params_for(db, (c.id for c in chosen))
    stored = await mastery_repository.student_states(db, student.student_id)
    # Concepts not yet attempted start from the student's fitted prior (0 before any fit).
    prior = await mastery_repository.prior_offset(db, student.student_id)
    concepts = tuple(
        ConceptInput(
            code=c.code,
            name=c.name,
            topic_code=c.topic_code,
            marks=marks.get(c.code, 0.0) if c.code in own_codes else 0.0,
            prerequisites=prerequisites.get(c.code, ()),
            params=params[c.id],
            state=stored[c.id][0]
            if c.id in stored
            else bkt.initial_state(params[c.id], prior_offset=prior),
        )
        for c in chosen
    )
    return Learner(student, graph, concepts, by_code, stored)


__all__ = ["NO_SUCH_STUDENT", "WEB_DEVICE", "Learner", "Reader", "check_access", "load_learner"]
