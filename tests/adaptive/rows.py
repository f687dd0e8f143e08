"""Valid adaptive rows through the ORM, the same on both databases (a helper, not tests)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import QuestionKind, UserRole
from lyceum.adaptive.models import Concept, Question, StudentProfile, Topic, User

ARGON2ID = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"


def suffix() -> str:
    return uuid.uuid4().hex[:8]


async def add_student(db: AsyncSession, grade: int = 10) -> User:
    user = User(username=f"student-{suffix()}", role=UserRole.STUDENT, password_hash=ARGON2ID)
    db.add(user)
    await db.flush()
    db.add(StudentProfile(user_id=user.id, grade=grade, available_hours_per_week=6.5))
    await db.flush()
    return user


async def add_topic(db: AsyncSession, parent: Topic | None = None) -> Topic:
    topic = Topic(
        code=f"T-{suffix()}",
        name="Quadratic Equations",
        parent_id=parent.id if parent else None,
        grade=10,
        syllabus_weightage=12.5,
    )
    db.add(topic)
    await db.flush()
    return topic


async def add_question(db: AsyncSession) -> Question:
    concept = Concept(topic_id=(await add_topic(db)).id, code=f"C-{suffix()}",
                      name="Discriminant and nature of roots", difficulty=0.6)  # fmt: skip
    db.add(concept)
    await db.flush()
    question = Question(
        concept_id=concept.id,
        code=f"Q-{suffix()}",
        text="How many real roots has x^2 - 4x + 4 = 0?",
        kind=QuestionKind.MCQ,
        options=["0", "1", "2", "infinitely many"],
        correct_answer="1",
        difficulty=-0.3,
        discrimination=1.2,
    )
    db.add(question)
    await db.flush()
    return question
