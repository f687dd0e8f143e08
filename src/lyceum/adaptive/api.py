"""The adaptive app's HTTP API, mounted at /api/adaptive. Thin: parse, authorise, call the
service.

Today: the knowledge graph (topics, prerequisites, concepts), for any signed-in operator
account. Sync, mastery, next questions and study plans arrive with issues 17 and 18.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas, service
from lyceum.adaptive.connection import get_db
from lyceum.core.auth import Principal, require_roles
from lyceum.core.models import OPERATOR_ROLES

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
# The operator accounts; an app account (a TutorMax tutor) passes no other app's guard.
Reader = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES))]


class GraphParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: int | None = Field(default=None, ge=1, le=12, description="One grade's topics.")


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/topics", response_model=schemas.KnowledgeGraph)
    async def topics(
        _: Reader, db: AdaptiveSession, params: Annotated[GraphParams, Query()]
    ) -> schemas.KnowledgeGraph:
        """The knowledge graph: topics in syllabus order, each with its prerequisites' codes,
        its exam weightage and how many concepts it holds."""
        return await service.knowledge_graph(db, params.grade)

    return api
