"""Users and parent-student links.

Families: one or two children (three in ten families have two), one or two parents (one in
ten has both on Mathvidya). The first parent is every child's primary contact (billing, SLA
notices); a parent is a father or mother, occasionally a guardian (4%, with a surname of their
own) or another relative (1%). Children are in class X or XII independently.

Staff (teachers, admins) joined two to three years before `AS_OF`, before the question bank
was written. A student's account dates from their first subscription; their parent's from a
little earlier. The first account of each role gets a predictable demo address
(`demo.<role>@example.com`); the demo parent is the demo student's primary contact.

Passwords are not set here (the loader hashes the one published demo password).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any

from lyceum.mathvidya.enums import STUDENT_CLASSES, RelationshipType, UserRole
from lyceum.mathvidya.synthetic.catalog import (
    AS_OF,
    EMAIL_DOMAIN,
    FEMALE_NAMES,
    MALE_NAMES,
    SCHOOLS,
    SURNAMES,
    MathvidyaScale,
    new_id,
    stream,
)

TWO_CHILDREN = 0.3
TWO_PARENTS = 0.1
GUARDIAN = 0.04
OTHER_RELATIVE = 0.01
# Students who already had a year of Mathvidya before the current one.
RETURNING = 0.25
YEAR = timedelta(days=365)


@dataclass
class Student:
    id: uuid.UUID
    student_class: str
    # When the current (active) subscription year began, and the earlier one if any.
    current_start: datetime
    previous_start: datetime | None
    primary_parent: uuid.UUID
    # Latent skill in (0.3, 0.95): drives MCQ accuracy and written marks.
    ability: float

    @property
    def joined_at(self) -> datetime:
        return self.previous_start or self.current_start


@dataclass
class People:
    users: list[dict[str, Any]] = field(default_factory=list)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    teachers: list[uuid.UUID] = field(default_factory=list)
    admins: list[uuid.UUID] = field(default_factory=list)


class _Directory:
    """Unique lower-case e-mails and phone numbers."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.emails: set[str] = set()
        self.phones: set[str] = set()

    def email(self, first: str, last: str, demo: str | None = None) -> str:
        if demo and demo not in self.emails:
            self.emails.add(demo)
            return demo
        base = re.sub(r"[^a-z]", "", first.lower()) + "." + re.sub(r"[^a-z]", "", last.lower())
        candidate, number = base, 1
        while f"{candidate}@{EMAIL_DOMAIN}" in self.emails:
            number += 1
            candidate = f"{base}{number}"
        address = f"{candidate}@{EMAIL_DOMAIN}"
        self.emails.add(address)
        return address

    def phone(self) -> str:
        while True:
            number = f"+91{self.rng.choice('6789')}{self.rng.randrange(10**9):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number


def _user(
    rng: Random,
    directory: _Directory,
    role: UserRole,
    first: str,
    last: str,
    created_at: datetime,
    student_class: str | None = None,
    demo: bool = False,
) -> dict[str, Any]:
    verified = created_at + timedelta(minutes=rng.uniform(2, 2 * 24 * 60))
    last_login = AS_OF - timedelta(hours=rng.uniform(0.5, 24 * 20))
    last_login = max(last_login, verified)
    return {
        "id": new_id(rng),
        "email": directory.email(
            first, last, f"demo.{role.value}@{EMAIL_DOMAIN}" if demo else None
        ),
        "role": role,
        "first_name": first,
        "last_name": last,
        "phone": directory.phone() if role is not UserRole.STUDENT or rng.random() < 0.6 else None,
        "student_class": student_class,
        "school_name": rng.choice(SCHOOLS) if role is UserRole.STUDENT else None,
        "is_active": True,
        "email_verified_at": verified,
        "last_login_at": last_login,
        "deleted_at": None,
        "created_at": created_at,
        "updated_at": last_login,
    }


def _staff(rng: Random, directory: _Directory, people: People, role: UserRole, count: int) -> None:
    for index in range(count):
        first = rng.choice(MALE_NAMES if rng.random() < 0.45 else FEMALE_NAMES)
        created = AS_OF - timedelta(days=rng.uniform(900, 1000))
        row = _user(rng, directory, role, first, rng.choice(SURNAMES), created, demo=index == 0)
        people.users.append(row)
        (people.teachers if role is UserRole.TEACHER else people.admins).append(row["id"])


def _subscription_starts(rng: Random) -> tuple[datetime, datetime | None]:
    """(current year's start, previous year's start or None): the current year began 15 to
    330 days before `AS_OF`, so it is still running then and for two months after."""
    current = AS_OF - timedelta(days=rng.uniform(15, 330), minutes=rng.uniform(0, 600))
    return current, current - YEAR if rng.random() < RETURNING else None


def build_people(scale: MathvidyaScale, seed: int) -> People:
    rng = stream(seed, "people")
    directory = _Directory(rng)
    people = People()
    _staff(rng, directory, people, UserRole.ADMIN, scale.admins)
    _staff(rng, directory, people, UserRole.TEACHER, scale.teachers)
    while len(people.students) < scale.students:
        demo = not people.students
        surname = rng.choice(SURNAMES)
        children = (
            2 if rng.random() < TWO_CHILDREN and scale.students - len(people.students) > 1 else 1
        )
        starts = [_subscription_starts(rng) for _ in range(children)]
        earliest = min(previous or current for current, previous in starts)
        parent_created = earliest - timedelta(hours=rng.uniform(1, 72))
        roll = rng.random()
        if roll < GUARDIAN or roll < GUARDIAN + OTHER_RELATIVE:
            relations = [RelationshipType.GUARDIAN if roll < GUARDIAN else RelationshipType.OTHER]
            parent_surnames = [rng.choice(SURNAMES)]
        else:
            mother_first = rng.random() < 0.55
            relations = [RelationshipType.MOTHER if mother_first else RelationshipType.FATHER]
            if rng.random() < TWO_PARENTS:
                relations.append(
                    RelationshipType.FATHER if mother_first else RelationshipType.MOTHER
                )
            parent_surnames = [surname] * len(relations)
        parents = []
        for index, (relation, parent_surname) in enumerate(
            zip(relations, parent_surnames, strict=True)
        ):
            female = relation is RelationshipType.MOTHER or (
                relation is not RelationshipType.FATHER and rng.random() < 0.5
            )
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            created = parent_created + timedelta(days=rng.uniform(0, 5) * index)
            parent = _user(
                rng,
                directory,
                UserRole.PARENT,
                first,
                parent_surname,
                created,
                demo=demo and index == 0,
            )
            people.users.append(parent)
            parents.append((parent["id"], relation, created))
        for current, previous in starts:
            first = rng.choice(MALE_NAMES if rng.random() < 0.5 else FEMALE_NAMES)
            joined = (previous or current) - timedelta(minutes=rng.uniform(5, 50))
            student_class = rng.choice(STUDENT_CLASSES) if not demo else "X"
            student = _user(
                rng, directory, UserRole.STUDENT, first, surname, joined, student_class, demo=demo
            )
            people.users.append(student)
            people.students.append(
                Student(
                    id=student["id"],
                    student_class=student_class,
                    current_start=current,
                    previous_start=previous,
                    primary_parent=parents[0][0],
                    ability=0.3 + 0.65 * rng.betavariate(2.2, 1.6),
                )
            )
            for index, (parent_id, relation, created) in enumerate(parents):
                linked = max(created, joined)
                people.mappings.append(
                    {
                        "id": new_id(rng),
                        "parent_user_id": parent_id,
                        "parent_role": UserRole.PARENT,
                        "student_user_id": student["id"],
                        "student_role": UserRole.STUDENT,
                        "relationship_type": relation,
                        "is_primary_contact": index == 0,
                        "created_at": linked,
                        "updated_at": linked,
                    }
                )
            demo = False
    return people


__all__ = ["People", "Student", "build_people"]
