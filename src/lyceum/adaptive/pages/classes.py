"""A teacher's class view: a heatmap of students by topics (each topic's mean P(mastered)), and
the students whose plan's expected marks fall short of their target. Through
`service.classes`, which answers a teacher only for their own classes (another's: the 404
page) and an admin for every class."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from lyceum.adaptive import schemas_learning as learning
from lyceum.adaptive.pages.common import FORMATTERS, AdaptiveSession, Staff, staff_viewer
from lyceum.adaptive.service import classes
from lyceum.core.pages import render

# Shortest topic labels for the heatmap's columns: a chapter's first words.
SHORT_LABEL = 22
WEAKEST_SHOWN = 2
WEAKEST_MARGIN = 0.01


def _short(name: str) -> str:
    return name if len(name) <= SHORT_LABEL else name[: SHORT_LABEL - 1].rstrip() + "…"


def heatmap_context(
    mastery: learning.ClassMastery, shortfalls: learning.ClassShortfalls
) -> dict[str, Any]:
    topics = [{"code": t.code, "name": t.name, "short": _short(t.name)} for t in mastery.topics]
    short_ids = {s.student_id for s in shortfalls.students}
    rows = [
        {
            "student_id": row.student_id,
            "name": row.full_name or row.username,
            "cells": list(row.mastery),
            "expected_marks": row.expected_marks,
            "short": row.student_id in short_ids,
        }
        for row in mastery.students
    ]
    by_student = {row.student_id: row for row in mastery.students}
    means = [
        sum(row.mastery[i] for row in mastery.students) / len(mastery.students)
        for i in range(len(mastery.topics))
    ] if mastery.students else []  # fmt: skip
    weakest = None
    # A weakest topic only when the topics differ (not when nobody has practised yet).
    if means and max(means) - min(means) > WEAKEST_MARGIN:
        index = min(range(len(means)), key=means.__getitem__)
        weakest = {"name": mastery.topics[index].name, "mean": means[index]}
    short_rows = []
    for s in shortfalls.students:
        row = by_student.get(s.student_id)
        ranked = sorted(range(len(mastery.topics)), key=row.mastery.__getitem__) if row else []
        short_rows.append(
            {
                "student_id": s.student_id,
                "name": s.full_name or s.username,
                "expected_marks": s.expected_marks,
                "target_marks": s.target_marks,
                "gap": s.gap,
                "exam_date": s.exam_date,
                "hours_per_week": None,
                "weakest": [mastery.topics[i].name for i in ranked[:WEAKEST_SHOWN]],
            }
        )
    if shortfalls.without_plan:
        no_shortfall = (
            f"No student with a plan is short of their target; {shortfalls.without_plan} with a"
            " target have no plan yet (it is made when they set an exam date and hours)."
        )
    else:
        no_shortfall = "Nobody with a target and a plan is expected to fall short of it."
    return {
        "topics": topics,
        "students": rows,
        "shortfalls": short_rows,
        "no_shortfall_reason": no_shortfall,
        "class_mean": sum(means) / len(means) if means else None,
        "weakest": weakest,
    }


async def class_page(
    request: Request, person: Staff, db: AdaptiveSession, class_id: uuid.UUID
) -> HTMLResponse:
    viewer = staff_viewer(person)
    mastery = await classes.class_mastery(db, viewer, class_id)
    shortfalls = await classes.class_shortfalls(db, viewer, class_id)
    context = {
        **FORMATTERS,
        **heatmap_context(mastery, shortfalls),
        "title": mastery.name,
        "page_name": "adaptive-class",
        "group": {"id": mastery.class_id, "name": mastery.name, "grade": mastery.grade},
    }
    return render(request, "adaptive/class.html", context)


__all__ = ["class_page", "heatmap_context"]
