"""All of the adaptive app's SQL, on either database (PostgreSQL and the local SQLite).

Knowledge-graph writes must hold on both databases.

A prerequisite cycle is refused by a trigger on PostgreSQL (migration 0008). SQLite cannot
run a recursive query inside a trigger, so `add_prerequisite` checks reachability in the
same transaction before inserting, on either database; on PostgreSQL the trigger still has
the last word under concurrent writers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from lyceum.adaptive.models import Concept, Topic, TopicPrerequisite
from lyceum.core.errors import InvalidInput

# Topics reachable from :start by following prerequisite edges (schema-qualified for
# PostgreSQL; the SQLite engine's schema_translate_map does not touch text(), so the local
# database is queried with the unqualified name).
_REACHABLE = """
WITH RECURSIVE reachable(id) AS (
    SELECT CAST(:start AS {uuid})
    UNION
    SELECT p.prerequisite_id FROM {table} p JOIN reachable r ON p.topic_id = r.id
)
SELECT 1 FROM reachable WHERE id = :target LIMIT 1
"""


async def creates_cycle(db: AsyncSession, topic_id: uuid.UUID, prerequisite_id: uuid.UUID) -> bool:
    """Whether the edge topic → prerequisite would close a cycle (or is a self-loop)."""
    if topic_id == prerequisite_id:
        return True
    postgres = db.get_bind().dialect.name == "postgresql"
    sql = _REACHABLE.format(
        uuid="uuid" if postgres else "CHAR(32)",
        table="adaptive.topic_prerequisites" if postgres else "topic_prerequisites",
    )
    start, target = (prerequisite_id, topic_id) if postgres else (prerequisite_id.hex, topic_id.hex)
    found = await db.execute(text(sql), {"start": start, "target": target})
    return found.first() is not None


async def add_prerequisite(
    db: AsyncSession, topic_id: uuid.UUID, prerequisite_id: uuid.UUID
) -> TopicPrerequisite:
    """Record that `prerequisite_id` comes before `topic_id`; refuses a cycle (flushes)."""
    if await creates_cycle(db, topic_id, prerequisite_id):
        raise InvalidInput(
            "this prerequisite would make a cycle: the topic is already a prerequisite"
            " of it, directly or through other topics"
        )
    edge = TopicPrerequisite(topic_id=topic_id, prerequisite_id=prerequisite_id)
    db.add(edge)
    await db.flush()
    return edge


@dataclass(frozen=True)
class TopicRow:
    code: str
    name: str
    grade: int
    parent_code: str | None
    syllabus_weightage: float
    prerequisites: list[str]
    concepts: int


async def knowledge_graph(db: AsyncSession, grade: int | None) -> list[TopicRow]:
    """Topics in syllabus order with their prerequisites' codes and concept counts (three
    queries, whatever the graph's size)."""
    parent = aliased(Topic)
    query = (
        select(Topic.id, Topic.code, Topic.name, Topic.grade, parent.code, Topic.syllabus_weightage)
        .outerjoin(parent, parent.id == Topic.parent_id)
        .order_by(Topic.grade, Topic.sort_order, Topic.code)
    )
    if grade is not None:
        query = query.where(Topic.grade == grade)
    topics = (await db.execute(query)).all()
    prerequisite = aliased(Topic)
    edges = (
        await db.execute(
            select(TopicPrerequisite.topic_id, prerequisite.code)
            .join(prerequisite, prerequisite.id == TopicPrerequisite.prerequisite_id)
            .order_by(prerequisite.code)
        )
    ).all()
    counts = dict(
        (await db.execute(select(Concept.topic_id, func.count()).group_by(Concept.topic_id))).all()
    )
    needs: dict[uuid.UUID, list[str]] = {}
    for topic_id, code in edges:
        needs.setdefault(topic_id, []).append(code)
    return [
        TopicRow(
            code,
            name,
            topic_grade,
            parent_code,
            weightage,
            needs.get(topic_id, []),
            int(counts.get(topic_id, 0)),
        )
        for topic_id, code, name, topic_grade, parent_code, weightage in topics
    ]


__all__ = ["TopicRow", "add_prerequisite", "creates_cycle", "knowledge_graph"]
