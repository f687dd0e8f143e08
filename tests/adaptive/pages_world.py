"""A small learning world for the pages' tests (a helper, not tests): two teachers with a
class each, students with profiles (exam date, weekly hours, target), one unit of two
chapters where the second builds on the first, concepts, and MCQ and numeric questions with
explanations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lyceum.adaptive.enums import QuestionKind, UserRole, account_role
from lyceum.adaptive.models import (
    Class,
    Concept,
    Question,
    StudentProfile,
    Topic,
    TopicPrerequisite,
    User,
)
from tests.adaptive.rows import ARGON2ID, suffix
from tests.fixtures.tokens import token_for


@dataclass
class PagesWorld:
    teacher: User
    other_teacher: User
    group: Class
    other_group: Class
    students: list[User]  # in `group`
    outsider: User  # a student of `other_group`
    chapters: list[Topic]
    concepts: list[Concept]
    questions: list[Question]


def headers(user: User) -> dict[str, str]:
    return token_for(account_role(user.role), subject=str(user.id))


async def _user(db: AsyncSession, role: UserRole, name: str) -> User:
    user = User(
        username=f"{role.value}-{suffix()}", full_name=name, role=role, password_hash=ARGON2ID
    )
    db.add(user)
    await db.flush()
    return user


async def _student(
    db: AsyncSession, name: str, group: Class, target: float | None, grade: int
) -> User:
    user = await _user(db, UserRole.STUDENT, name)
    db.add(
        StudentProfile(
            user_id=user.id, grade=grade, class_id=group.id, available_hours_per_week=6.0,
            exam_date=(datetime.now(UTC) + timedelta(days=60)).date(), target_marks=target,
        )
    )  # fmt: skip
    await db.flush()
    return user


async def build_pages_world(db: AsyncSession, grade: int = 10) -> PagesWorld:
    teacher = await _user(db, UserRole.TEACHER, "Meera Teacher")
    other_teacher = await _user(db, UserRole.TEACHER, "Other Teacher")
    group = Class(name=f"X-A {suffix()}", grade=grade, teacher_id=teacher.id)
    other_group = Class(name=f"X-B {suffix()}", grade=grade, teacher_id=other_teacher.id)
    db.add_all([group, other_group])
    await db.flush()
    students = [
        await _student(db, "Asha Student", group, 95.0, grade),
        await _student(db, "Ravi Student", group, None, grade),
    ]
    outsider = await _student(db, "Outside Student", other_group, 50.0, grade)

    unit = Topic(code=f"U-{suffix()}", name="Algebra", grade=grade, syllabus_weightage=35.0)
    db.add(unit)
    await db.flush()
    chapters = [
        Topic(code=f"A-{suffix()}", name="Polynomials", grade=grade, parent_id=unit.id,
              syllabus_weightage=20.0, sort_order=1),
        Topic(code=f"B-{suffix()}", name="Quadratic Equations", grade=grade, parent_id=unit.id,
              syllabus_weightage=15.0, sort_order=2),
    ]  # fmt: skip
    db.add_all(chapters)
    await db.flush()
    db.add(TopicPrerequisite(topic_id=chapters[1].id, prerequisite_id=chapters[0].id))
    names = [("Zeros of a polynomial", 0), ("Division algorithm", 0), ("Factorisation", 1),
             ("Discriminant", 1)]  # fmt: skip
    concepts = [
        Concept(topic_id=chapters[chapter].id, code=f"C-{suffix()}", name=name)
        for name, chapter in names
    ]
    db.add_all(concepts)
    await db.flush()
    questions: list[Question] = []
    for index, concept in enumerate(concepts):
        for k in range(4):
            mcq = k % 2 == 0
            questions.append(
                Question(
                    concept_id=concept.id, code=f"Q-{suffix()}",
                    text=f"{concept.name}: what is {index} + {k}?",
                    kind=QuestionKind.MCQ if mcq else QuestionKind.NUMERIC,
                    options=[str(index + k), str(index + k + 1), str(index + k + 2)] if mcq
                    else None,
                    correct_answer=str(index + k), difficulty=-0.5 + 0.2 * k,
                    explanation=f"Add {index} and {k}.",
                )
            )  # fmt: skip
    db.add_all(questions)
    await db.commit()
    return PagesWorld(
        teacher, other_teacher, group, other_group, students, outsider, chapters, concepts,
        questions,
    )  # fmt: skip


def answer_for(world: PagesWorld, question_id: uuid.UUID, right: bool) -> str:
    question = next(q for q in world.questions if q.id == question_id)
    return question.correct_answer if right else question.correct_answer + "9"


__all__ = ["PagesWorld", "answer_for", "build_pages_world", "headers"]
