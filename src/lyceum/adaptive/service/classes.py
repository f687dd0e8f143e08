"""What teachers see of their classes: the classes, a heatmap of students x topics (mean
P(mastered) now over each topic's concepts), and the students whose current plan promises
fewer marks than their target, largest gap first.

A teacher sees only their own classes (another class is a 404, as if it did not exist); an
adaptive or platform admin sees every class (`sync_status.Viewer(teacher_id=None)`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.mastery import bkt
from lyceum.adaptive.planning.graph import ConceptRow, concept_marks
from lyceum.adaptive.repository import classes as repository
from lyceum.adaptive.repository import learning
from lyceum.adaptive.repository import mastery as mastery_repository
from lyceum.adaptive.repository import plans as plan_repository
from lyceum.adaptive.repository.classes import ClassRow
from lyceum.adaptive.schemas_learning import (
    ClassMastery,
    ClassShortfalls,
    ClassSummary,
    HeatmapRow,
    HeatmapTopic,
    Shortfall,
)
from lyceum.adaptive.service.sync_status import Viewer
from lyceum.core.errors import NotFound


def _summary(row: ClassRow) -> ClassSummary:
    return ClassSummary(
        class_id=row.id, name=row.name, grade=row.grade, teacher_id=row.teacher_id,
        students=row.students,
    )  # fmt: skip


async def teacher_classes(db: AsyncSession, teacher_id: uuid.UUID | None) -> list[ClassSummary]:
    """A teacher's classes; every class for None (an admin)."""
    return [_summary(row) for row in await repository.classes(db, teacher_id)]


async def _class(db: AsyncSession, viewer: Viewer, class_id: uuid.UUID) -> ClassRow:
    found = await repository.visible_class(db, viewer.teacher_id, class_id)
    if found is None:
        raise NotFound("no class with this id among your classes")
    return found


async def class_mastery(
    db: AsyncSession, viewer: Viewer, class_id: uuid.UUID, now: datetime | None = None
) -> ClassMastery:
    group = await _class(db, viewer, class_id)
    now = now or datetime.now(UTC)
    graph = await learning.learning_graph(db)
    concepts = [c for c in graph.concepts if c.grade == group.grade]
    marks = concept_marks(graph.topics, [ConceptRow(c.code, c.topic_code, 0, c.name)
                                         for c in concepts])  # fmt: skip
    params = await mastery_repository.params_for(db, (c.id for c in concepts))
    topics = [t for t in graph.topics if t.grade == group.grade
              and any(c.topic_code == t.code for c in concepts)]  # fmt: skip
    students = await repository.members(db, class_id)
    states = await repository.states_of(db, (s.student_id for s in students))
    priors = await mastery_repository.prior_offsets(db, (s.student_id for s in students))
    rows = []
    for student in students:
        p_now: dict[str, float] = {}
        prior = priors[student.student_id]
        for concept in concepts:
            state = states.get((student.student_id, concept.id))
            concept_params = params[concept.id]
            start = state or bkt.initial_state(concept_params, prior_offset=prior)
            p_now[concept.code] = bkt.mastery_at(concept_params, start, now)
        by_topic = [
            [p_now[c.code] for c in concepts if c.topic_code == topic.code] for topic in topics
        ]
        rows.append(
            HeatmapRow(
                student_id=student.student_id,
                username=student.username,
                full_name=student.full_name,
                mastery=[sum(values) / len(values) for values in by_topic],
                expected_marks=sum(marks[code] * p for code, p in p_now.items()),
            )
        )
    return ClassMastery(
        class_id=group.id,
        name=group.name,
        grade=group.grade,
        as_of=now,
        topics=[
            HeatmapTopic(code=t.code, name=t.name, syllabus_weightage=t.syllabus_weightage)
            for t in topics
        ],
        students=rows,
    )


async def class_shortfalls(
    db: AsyncSession, viewer: Viewer, class_id: uuid.UUID
) -> ClassShortfalls:
    """Students with a target whose active plan expects fewer marks, largest gap first."""
    group = await _class(db, viewer, class_id)
    students = [s for s in await repository.members(db, class_id) if s.target_marks is not None]
    figures = await plan_repository.active_figures(db, (s.student_id for s in students))
    short: list[Shortfall] = []
    without_plan = 0
    for student in students:
        plan = figures.get(student.student_id)
        if plan is None or plan.expected_marks is None:
            without_plan += 1
            continue
        assert student.target_marks is not None
        if plan.expected_marks < student.target_marks:
            short.append(
                Shortfall(
                    student_id=student.student_id,
                    username=student.username,
                    full_name=student.full_name,
                    target_marks=student.target_marks,
                    expected_marks=plan.expected_marks,
                    gap=student.target_marks - plan.expected_marks,
                    plan_generated_at=plan.generated_at,
                    exam_date=plan.exam_date,
                )
            )
    short.sort(key=lambda s: (-s.gap, s.username))
    return ClassShortfalls(
        class_id=group.id, name=group.name, students=short, without_plan=without_plan
    )


__all__ = ["class_mastery", "class_shortfalls", "teacher_classes"]
