"""What the student pages show, shaped from the services' answers: the mastery map grouped by
unit with its drawing, and the plan split into today and the days ahead. Pure functions of
the services' models (no database here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lyceum.adaptive import schemas
from lyceum.adaptive import schemas_learning as learning
from lyceum.adaptive.pages.common import day_label, mastery_colour, percent, status_label
from lyceum.adaptive.pages.layout import Cell, MapDrawing, TopicSpec, draw

EARLIER = "an earlier grade's concept"
# How many days of the plan the page lists after today (the rest are counted).
DAYS_SHOWN = 21


@dataclass
class TopicView:
    code: str
    name: str
    unit_code: str
    marks: float
    expected: float
    mean: float | None
    needs: list[str]
    mastered: int = 0
    concepts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UnitView:
    code: str
    name: str
    marks: float = 0.0
    expected: float = 0.0
    topics: list[TopicView] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        means = [t.mean for t in self.topics if t.mean is not None]
        return sum(means) / len(means) if means else None


@dataclass(frozen=True)
class MasteryPage:
    units: list[UnitView]
    drawing: MapDrawing
    totals: dict[str, Any]


def _concept_row(concept: learning.ConceptMasteryView, names: dict[str, str]) -> dict[str, Any]:
    return {
        "code": concept.code,
        "name": concept.name,
        "p": concept.mastery,
        "confidence": concept.confidence,
        "status": concept.status.value,
        "attempts": concept.attempts,
        "correct": concept.correct,
        "marks": concept.marks,
        "expected": concept.marks * concept.mastery,
        # A prerequisite in an earlier grade is not on this grade's map: said, not named.
        "locked_by": list(dict.fromkeys(names.get(code, EARLIER) for code in concept.locked_by)),
    }


def _cell(concept: learning.ConceptMasteryView) -> Cell:
    title = f"{concept.name}: {percent(concept.mastery)} mastered, {status_label(concept.status)}"
    if concept.attempts:
        title += f" ({concept.correct} of {concept.attempts} right)"
    # A concept never practised shows the neutral grey of the legend: its P(mastered) is
    # only the prior, the same for everyone.
    unknown = concept.status == learning.MasteryStatus.NOT_STARTED
    colour = mastery_colour(None if unknown else concept.mastery)
    return Cell(concept.code, concept.name, colour, concept.status.value, title)


def mastery_page(mastery: learning.MasteryMap, graph: Sequence[schemas.TopicNode]) -> MasteryPage:
    """The map's units (parent topics) with their topics and concepts, the layered drawing,
    and the counts per status. Topics come in syllabus order (the graph's)."""
    nodes = {node.code: node for node in graph}
    by_topic: dict[str, list[learning.ConceptMasteryView]] = {}
    for concept in mastery.concepts:
        by_topic.setdefault(concept.topic_code, []).append(concept)
    summaries = {topic.code: topic for topic in mastery.topics}
    names = {concept.code: concept.name for concept in mastery.concepts}
    shown = [node for node in graph if node.grade == mastery.grade and node.code in by_topic]
    units: dict[str, UnitView] = {}
    specs: list[TopicSpec] = []
    for order, node in enumerate(shown):
        unit_code = node.parent_code or node.code
        parent = nodes.get(unit_code)
        unit = units.setdefault(
            unit_code, UnitView(unit_code, parent.name if parent else node.name)
        )
        concepts = by_topic[node.code]
        summary = summaries.get(node.code)
        topic = TopicView(
            code=node.code,
            name=node.name,
            unit_code=unit_code,
            marks=sum(c.marks for c in concepts),
            expected=sum(c.marks * c.mastery for c in concepts),
            mean=summary.mean_mastery if summary else None,
            needs=[nodes[code].name for code in node.prerequisites if code in nodes],
            mastered=sum(1 for c in concepts if c.status == learning.MasteryStatus.MASTERED),
            concepts=[_concept_row(c, names) for c in concepts],
        )
        unit.topics.append(topic)
        unit.marks += topic.marks
        unit.expected += topic.expected
        specs.append(
            TopicSpec(
                node.code,
                node.name,
                unit.name,
                order,
                tuple(node.prerequisites),
                [_cell(c) for c in concepts],
                mean_mastery=topic.mean,
            )
        )
    # Prerequisites from another grade: shown faded above the topics that need them.
    shown_codes = {spec.code for spec in specs}
    outside = sorted(
        {p for spec in specs for p in spec.prerequisites if p not in shown_codes and p in nodes}
    )
    for offset, code in enumerate(outside):
        node = nodes[code]
        specs.append(TopicSpec(code, node.name, "", -len(outside) + offset, (), outside=True))
    counts = {status.value: 0 for status in learning.MasteryStatus}
    for concept in mastery.concepts:
        if concept.marks > 0:
            counts[concept.status.value] += 1
    own = [c for c in mastery.concepts if c.marks > 0]
    totals = {
        **counts,
        "concepts": len(own),
        "expected_marks": mastery.expected_marks,
        "total_marks": sum(c.marks for c in own),
    }
    return MasteryPage(list(units.values()), draw(specs), totals)


def plan_context(plan: learning.PlanView | None, today: date) -> dict[str, Any]:
    """Today's items, the next days (`DAYS_SHOWN`) and the plan's totals for the templates."""
    if plan is None:
        return {"plan": None, "today_items": [], "days_ahead": [], "total_days": 0}
    todays = plan.today if plan.today is not None and plan.today.date == today else None
    today_items = [{**item.model_dump(), "day": today} for item in todays.items] if todays else []
    later = [day for day in plan.days if day.date > today]
    days_ahead = [
        {"label": day_label(day.date, today), "minutes": day.minutes, "items": day.items}
        for day in later[:DAYS_SHOWN]
    ]
    return {
        "plan": plan,
        "today_items": today_items,
        "today_minutes": todays.minutes if todays else 0,
        "days_ahead": days_ahead,
        "total_days": len(later),
        "progress": {
            "done_minutes": plan.progress.completed_minutes,
            "items_done": plan.progress.completed_items,
        },
        "days_left": (plan.exam_date - today).days if plan.exam_date else None,
    }


__all__ = ["DAYS_SHOWN", "MasteryPage", "mastery_page", "plan_context"]
