"""Scales, users (students, teachers, admins), classes, student profiles and latent traits.

Students are in class X or XII (55/45), grouped into sections of about 30 with one teacher
each (a teacher takes one or two sections). A profile carries the grade, the date of the CBSE
board mathematics paper that follows the simulated window (17 February for class X and
9 March for class XII, the dates of the 2026 date sheet) and the hours a student says they can
study each week (lognormal around six).

Latent traits stay out of the rows: general ability (logit offset of initial mastery), a
learning-rate multiplier, a forgetting time constant, over/under-confidence, reading speed,
the hour of the day they usually study and one or two devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

FIRST_NAMES = (
    "Aarav", "Aditi", "Ananya", "Arjun", "Diya", "Ishaan", "Kabir", "Kavya", "Meera", "Neha",
    "Nikhil", "Priya", "Rahul", "Riya", "Rohan", "Saanvi", "Sai", "Shreya", "Tanvi", "Varun",
    "Vihaan", "Yash", "Zoya", "Aisha", "Dev", "Farhan", "Gauri", "Harsh", "Ira", "Jai",
)  # fmt: skip
LAST_NAMES = (
    "Sharma", "Verma", "Iyer", "Nair", "Reddy", "Gupta", "Patel", "Singh", "Khan", "Das",
    "Menon", "Joshi", "Kulkarni", "Banerjee", "Chatterjee", "Rao", "Mehta", "Pillai", "Bose",
    "Mishra",
)  # fmt: skip

# Month and day of the board mathematics paper per grade (CBSE date sheet 2026).
EXAM_DAY: dict[int, tuple[int, int]] = {10: (2, 17), 12: (3, 9)}
SECTION_SIZE = 30
SECTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class AdaptiveScale:
    name: str
    students: int
    questions_per_concept: int
    admins: int


SCALES: dict[str, AdaptiveScale] = {
    "small": AdaptiveScale("small", 30, 5, 1),
    "default": AdaptiveScale("default", 300, 8, 2),
    "large": AdaptiveScale("large", 1_500, 10, 3),
}


def exam_date(grade: int, end: datetime) -> date:
    """The first board mathematics paper of this grade strictly after `end`."""
    month, day = EXAM_DAY[grade]
    candidate = date(end.year, month, day)
    return candidate if candidate > end.date() else date(end.year + 1, month, day)


@dataclass(frozen=True)
class Cohort:
    users: list[dict[str, Any]]
    student_profiles: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    # Aligned with the students, in `student_profiles` order.
    usernames: list[str]
    grade: npt.NDArray[np.int64]
    hours: npt.NDArray[np.float64]
    days_to_exam_at_end: npt.NDArray[np.float64]
    ability: npt.NDArray[np.float64]
    learning_rate: npt.NDArray[np.float64]
    forgetting_days: npt.NDArray[np.float64]
    confidence_bias: npt.NDArray[np.float64]
    speed: npt.NDArray[np.float64]
    study_hour_utc: npt.NDArray[np.float64]
    devices: list[list[str]]


def _names(rng: np.random.Generator, count: int, prefix: str) -> tuple[list[str], list[str]]:
    usernames: list[str] = []
    full_names: list[str] = []
    for number in range(1, count + 1):
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        full_names.append(f"{first} {last}")
        usernames.append(f"{prefix}{number:04d}.{first.lower()}")
    return usernames, full_names


def build_cohort(scale: AdaptiveScale, end: datetime, rng: np.random.Generator) -> Cohort:
    n = scale.students
    grade = np.where(rng.random(n) < 0.55, 10, 12).astype(np.int64)
    grade.sort(kind="stable")
    usernames, full_names = _names(rng, n, "student")
    users: list[dict[str, Any]] = [
        {"username": u, "role": "student", "full_name": f}
        for u, f in zip(usernames, full_names, strict=True)
    ]

    # Sections per grade, filled in order; a teacher takes two consecutive sections.
    class_code = [""] * n
    classes: list[dict[str, Any]] = []
    for g in (10, 12):
        members = np.flatnonzero(grade == g)
        sections = max(1, -(-len(members) // SECTION_SIZE)) if len(members) else 0
        for k in range(sections):
            roman = "X" if g == 10 else "XII"
            # A..Z, then A2..Z2 for schools with more than 26 sections of a grade.
            section = SECTION_LETTERS[k % 26] + (str(k // 26 + 1) if k >= 26 else "")
            code = f"{g}{section}"
            classes.append({"code": code, "name": f"Class {roman}-{section}",
                            "grade": g, "teacher_username": ""})  # fmt: skip
            for i in members[k::sections]:
                class_code[int(i)] = code
    teacher_count = max(1, -(-len(classes) // 2))
    teacher_names, teacher_full = _names(rng, teacher_count, "teacher")
    for k, row in enumerate(classes):
        row["teacher_username"] = teacher_names[k // 2]
    users += [{"username": u, "role": "teacher", "full_name": f}
              for u, f in zip(teacher_names, teacher_full, strict=True)]  # fmt: skip
    admin_names, admin_full = _names(rng, scale.admins, "admin")
    users += [{"username": u, "role": "admin", "full_name": f}
              for u, f in zip(admin_names, admin_full, strict=True)]  # fmt: skip

    hours = np.clip(np.round(rng.lognormal(np.log(6.0), 0.45, n) * 2) / 2, 1.0, 25.0)
    exams = [exam_date(int(g), end) for g in grade]
    profiles = [
        {
            "username": usernames[i],
            "grade": int(grade[i]),
            "exam_date": exams[i],
            "available_hours_per_week": float(hours[i]),
            "class_code": class_code[i],
        }
        for i in range(n)
    ]
    days_to_exam = np.array([(e - end.date()).days for e in exams], dtype=np.float64)

    device_kinds = ("android", "ios", "web", "windows")
    devices: list[list[str]] = []
    for _ in range(n):
        count = 1 if rng.random() < 0.6 else 2
        kinds = rng.choice(len(device_kinds), size=count, replace=False)
        devices.append([f"{device_kinds[int(k)]}-{int(rng.integers(16**10)):010x}" for k in kinds])

    return Cohort(
        users=users,
        student_profiles=profiles,
        classes=classes,
        usernames=usernames,
        grade=grade,
        hours=hours,
        days_to_exam_at_end=days_to_exam,
        ability=rng.normal(0.0, 1.0, n),
        learning_rate=rng.lognormal(0.0, 0.35, n),
        forgetting_days=rng.lognormal(np.log(30.0), 0.35, n),
        confidence_bias=rng.normal(0.0, 0.5, n),
        speed=rng.normal(0.0, 0.25, n),
        # 16:00-22:00 IST is 10:30-16:30 UTC.
        study_hour_utc=rng.uniform(10.5, 16.5, n),
        devices=devices,
    )
