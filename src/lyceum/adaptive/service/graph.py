"""The adaptive app's use cases. They read through `repository` and only flush; the edge
commits."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas
from lyceum.adaptive.repository import graph as repository


async def knowledge_graph(db: AsyncSession, grade: int | None) -> schemas.KnowledgeGraph:
    rows = await repository.knowledge_graph(db, grade)
    return schemas.KnowledgeGraph(
        grade=grade, topics=[schemas.TopicNode(**asdict(row)) for row in rows]
    )


__all__ = ["knowledge_graph"]
