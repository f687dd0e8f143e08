"""The knowledge graph (topics, prerequisites, concepts), for operator accounts and every
adaptive account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive import schemas, service
from lyceum.adaptive.connection import get_db
from lyceum.adaptive.enums import ACCOUNT_ROLES
from lyceum.core.auth import Principal, require_roles
from lyceum.core.models import OPERATOR_ROLES

AdaptiveSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
# The operator accounts and the adaptive app's own; another app's account (a TutorMax tutor)
# passes no other app's guard.
Reader = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES, *ACCOUNT_ROLES))]


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
