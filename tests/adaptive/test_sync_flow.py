"""The sync end to end on the app in process: a device answers offline, pushes, pulls back
its attempts and the mastery the server recomputed; a second device of the same student
gets them; a duplicate push is a duplicate; a bad operation is a dead letter that does not
hold up the rest."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.models import ConceptMastery, QuestionAttempt
from tests.adaptive.sync_world import build_world, device


async def test_two_devices_converge_through_the_server(
    app: FastAPI, client: object, db_session: AsyncSession, tmp_path: Path
) -> None:
    world = await build_world(db_session)
    student = world.students[0]
    async with (
        device(app, tmp_path, student, "phone") as phone,
        device(app, tmp_path, student, "laptop") as laptop,
    ):
        await phone.client.sync()
        for question in world.questions[:4]:
            await phone.answer(question, world.answers[question.id][0])
        summary = await phone.client.sync()
        assert summary.push.applied == 4
        server = await db_session.scalar(
            select(func.count()).select_from(QuestionAttempt)
            .where(QuestionAttempt.student_id == student.id)
        )  # fmt: skip
        assert server == 4
        mastery = await db_session.scalar(
            select(func.count()).select_from(ConceptMastery)
            .where(ConceptMastery.student_id == student.id)
        )  # fmt: skip
        assert mastery == 2
        await laptop.client.sync()
        async with laptop.store._sessions() as local:
            got = await local.scalar(select(func.count()).select_from(QuestionAttempt))
            assert got == 4
            assert await local.scalar(select(func.count()).select_from(ConceptMastery)) == 2
