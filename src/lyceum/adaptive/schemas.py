"""The adaptive app's API models (separate from the ORM models in `models.py`)."""

from __future__ import annotations

from pydantic import BaseModel


class TopicNode(BaseModel):
    """A topic of the knowledge graph with the topics to learn before it."""

    code: str
    name: str
    grade: int
    parent_code: str | None
    syllabus_weightage: float
    prerequisites: list[str]
    concepts: int


class KnowledgeGraph(BaseModel):
    grade: int | None
    topics: list[TopicNode]


__all__ = ["KnowledgeGraph", "TopicNode"]
