"""Concept-level prerequisites and marks from the knowledge graph's rows.

The database holds prerequisites between topics (`topic_prerequisites`) and concepts belong to
topics; the planner needs them between concepts. The derivation is the synthetic world's
(`synthetic/graph.py`), so the product plans over the graph its students learn on:

- a concept needs its predecessor in its topic (concepts ordered by `sort_order`, then code:
  the codes number them "<topic>.C01", "<topic>.C02", …);
- and the capstone (last concept) of each prerequisite topic. A prerequisite topic with no
  concepts of its own (a unit) stands for its chapters: the capstone of each descendant topic
  that has concepts.

A concept's marks are its topic's `syllabus_weightage` (percent of the grade's paper) shared
equally among the topic's concepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TopicRow:
    code: str
    parent_code: str | None = None
    syllabus_weightage: float = 0.0
    sort_order: int = 0
    grade: int = 0
    name: str = ""


@dataclass(frozen=True, slots=True)
class ConceptRow:
    code: str
    topic_code: str
    sort_order: int = 0
    name: str = ""


def _ordered_by_topic(concepts: Sequence[ConceptRow]) -> dict[str, list[str]]:
    by_topic: dict[str, list[ConceptRow]] = {}
    for concept in concepts:
        by_topic.setdefault(concept.topic_code, []).append(concept)
    return {
        topic: [c.code for c in sorted(rows, key=lambda c: (c.sort_order, c.code))]
        for topic, rows in by_topic.items()
    }


def _capstones(
    topic: str, ordered: dict[str, list[str]], children: dict[str, list[str]]
) -> list[str]:
    """The last concept of `topic`, or of each descendant with concepts if it has none."""
    if ordered.get(topic):
        return [ordered[topic][-1]]
    found: list[str] = []
    for child in children.get(topic, []):
        found.extend(_capstones(child, ordered, children))
    return found


def concept_prerequisites(
    topics: Sequence[TopicRow],
    topic_prerequisites: Sequence[tuple[str, str]],
    concepts: Sequence[ConceptRow],
) -> dict[str, tuple[str, ...]]:
    """Per concept code, the concept codes it depends on (predecessor first, then capstones in
    the order of `topic_prerequisites`). `topic_prerequisites` holds (topic code, prerequisite
    topic code) pairs; edges naming unknown topics are ignored."""
    ordered = _ordered_by_topic(concepts)
    children: dict[str, list[str]] = {}
    for topic in sorted(topics, key=lambda t: (t.sort_order, t.code)):
        if topic.parent_code is not None:
            children.setdefault(topic.parent_code, []).append(topic.code)
    requires: dict[str, list[str]] = {}
    for topic_code, prerequisite_code in topic_prerequisites:
        requires.setdefault(topic_code, []).append(prerequisite_code)

    result: dict[str, tuple[str, ...]] = {}
    for topic_code, codes in ordered.items():
        capstones: list[str] = []
        for required in requires.get(topic_code, []):
            capstones.extend(_capstones(required, ordered, children))
        for number, code in enumerate(codes):
            needs = [codes[number - 1]] if number > 0 else []
            needs.extend(c for c in capstones if c != code and c not in needs)
            result[code] = tuple(needs)
    return result


def concept_marks(topics: Sequence[TopicRow], concepts: Sequence[ConceptRow]) -> dict[str, float]:
    """Per concept code, its share of the paper (out of 100): its topic's weightage divided by
    the number of concepts in that topic (0 for a topic not in `topics`)."""
    weightage = {topic.code: topic.syllabus_weightage for topic in topics}
    ordered = _ordered_by_topic(concepts)
    return {
        code: weightage.get(topic, 0.0) / len(codes)
        for topic, codes in ordered.items()
        for code in codes
    }


def topological_concepts(
    codes: Iterable[str], prerequisites: dict[str, tuple[str, ...]]
) -> list[str]:
    """`codes` with every prerequisite (within `codes`) before its dependants; ties keep the
    given order. A cycle's members are appended in the given order (the graph is checked
    acyclic when built; this keeps the planner total on a malformed one)."""
    given = list(dict.fromkeys(codes))
    inside = set(given)
    placed: set[str] = set()
    order: list[str] = []
    visiting: set[str] = set()

    def visit(code: str) -> None:
        if code in placed or code in visiting:
            return
        visiting.add(code)
        for prerequisite in prerequisites.get(code, ()):
            if prerequisite in inside:
                visit(prerequisite)
        visiting.discard(code)
        placed.add(code)
        order.append(code)

    for code in given:
        visit(code)
    return order


__all__ = [
    "ConceptRow",
    "TopicRow",
    "concept_marks",
    "concept_prerequisites",
    "topological_concepts",
]
