"""The adaptive app's API today: the knowledge graph."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.models import Concept, TopicPrerequisite
from tests.adaptive.rows import add_topic, suffix
from tests.fixtures.tokens import token_for

BASE = "/api/adaptive"


async def test_the_knowledge_graph_lists_prerequisites_and_concepts(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    viewer = token_for("viewer")
    basics = await add_topic(db_session)
    advanced = await add_topic(db_session, parent=basics)
    db_session.add(TopicPrerequisite(topic_id=advanced.id, prerequisite_id=basics.id))
    for _ in range(2):
        db_session.add(Concept(topic_id=advanced.id, code=f"C-{suffix()}", name="A concept"))
    await db_session.commit()

    response = await client.get(f"{BASE}/topics", headers=viewer, params={"grade": 10})
    assert response.status_code == 200
    topics = {topic["code"]: topic for topic in response.json()["topics"]}
    assert topics[advanced.code]["prerequisites"] == [basics.code]
    assert topics[advanced.code]["parent_code"] == basics.code
    assert topics[advanced.code]["concepts"] == 2
    assert topics[basics.code]["prerequisites"] == [] and topics[basics.code]["concepts"] == 0
    other_grade = (await client.get(f"{BASE}/topics?grade=12", headers=viewer)).json()
    assert advanced.code not in {topic["code"] for topic in other_grade["topics"]}
    assert (await client.get(f"{BASE}/topics?grade=13", headers=viewer)).status_code == 422
