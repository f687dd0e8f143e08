"""The knowledge graph as rows and arrays: topics (unit → chapter), prerequisites, concepts.

Deterministic: built from `syllabus` alone. Topics form a two-level hierarchy per grade (a
unit has `parent_code` None, a chapter points at its unit). `syllabus_weightage` is the
percentage of the grade's board paper: the units of a grade sum to 100, and so do the chapters
(the leaf topics) of a grade; a unit's weightage is the sum of its chapters'.

Prerequisites are chapter-level edges (`topic_prerequisites`), some crossing from class XII to
class X (Matrices needs Pair of Linear Equations). Concept-level prerequisites, used by the
learning model, follow from them: a concept needs its predecessor in its chapter and the
capstone (last, most integrated) concept of each prerequisite chapter. Both graphs are checked
acyclic with Kahn's topological sort when the graph is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.adaptive.synthetic.syllabus import GRADE_X, PAPER_MARKS, Unit
from lyceum.adaptive.synthetic.syllabus_xii import GRADE_XII

SYLLABUS: dict[int, tuple[Unit, ...]] = {10: GRADE_X, 12: GRADE_XII}


def topological_order(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Kahn's algorithm over (node, prerequisite) edges: prerequisites come first.

    Raises ValueError on a self-loop, an unknown node or a cycle.
    """
    known = set(nodes)
    needs: dict[str, set[str]] = {node: set() for node in nodes}
    unlocks: dict[str, list[str]] = {node: [] for node in nodes}
    for node, prerequisite in edges:
        if node == prerequisite:
            raise ValueError(f"{node} lists itself as a prerequisite")
        if node not in known or prerequisite not in known:
            raise ValueError(f"edge {node} <- {prerequisite} names an unknown node")
        if prerequisite not in needs[node]:
            needs[node].add(prerequisite)
            unlocks[prerequisite].append(node)
    waiting = {node: len(pre) for node, pre in needs.items()}
    ready = [node for node in nodes if waiting[node] == 0]
    order: list[str] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for follower in unlocks[node]:
            waiting[follower] -= 1
            if waiting[follower] == 0:
                ready.append(follower)
    if len(order) != len(nodes):
        stuck = sorted(node for node, count in waiting.items() if count > 0)
        raise ValueError(f"prerequisite cycle among {stuck}")
    return order


@dataclass(frozen=True)
class KnowledgeGraph:
    topics: list[dict[str, Any]]
    topic_prerequisites: list[dict[str, str]]
    concepts: list[dict[str, Any]]
    # (concept code, prerequisite concept code): derived, for the learning model.
    concept_prerequisites: list[tuple[str, str]]
    # Per concept, aligned with `concepts`: index arrays the simulation works with.
    concept_grade: npt.NDArray[np.int64] = field(repr=False)
    concept_difficulty: npt.NDArray[np.float64] = field(repr=False)
    # Share of the grade's paper carried by the concept (its chapter's weightage / its size).
    concept_weight: npt.NDArray[np.float64] = field(repr=False)
    # Position in the school's teaching order within the grade, scaled to [0, 1).
    concept_syllabus_position: npt.NDArray[np.float64] = field(repr=False)
    # Index of each concept's chapter in `leaf_topics`.
    concept_topic: npt.NDArray[np.int64] = field(repr=False)
    leaf_topics: list[str] = field(repr=False)
    # prerequisite_matrix[c, p] = 1 / (number of prerequisites of c) when p is one of them.
    prerequisite_matrix: npt.NDArray[np.float64] = field(repr=False)

    @property
    def concept_codes(self) -> list[str]:
        return [concept["code"] for concept in self.concepts]


def build_graph() -> KnowledgeGraph:
    topics: list[dict[str, Any]] = []
    topic_edges: list[dict[str, str]] = []
    concepts: list[dict[str, Any]] = []
    chapter_concepts: dict[str, list[str]] = {}
    chapter_requires: dict[str, tuple[str, ...]] = {}
    concept_meta: list[tuple[int, float, float, int, float]] = []
    leaf_topics: list[str] = []
    sort_order = 0
    for grade, units in SYLLABUS.items():
        chapters_in_grade = [chapter for unit in units for chapter in unit.chapters]
        concepts_in_grade = sum(len(chapter.concepts) for chapter in chapters_in_grade)
        position = 0
        for unit in units:
            sort_order += 1
            topics.append(
                {
                    "code": unit.code,
                    "name": unit.name,
                    "parent_code": None,
                    "grade": grade,
                    "syllabus_weightage": unit.marks * 100 / PAPER_MARKS,
                    "sort_order": sort_order,
                }
            )
            for chapter in unit.chapters:
                sort_order += 1
                weightage = chapter.marks * 100 / PAPER_MARKS
                topics.append(
                    {
                        "code": chapter.code,
                        "name": chapter.name,
                        "parent_code": unit.code,
                        "grade": grade,
                        "syllabus_weightage": weightage,
                        "sort_order": sort_order,
                    }
                )
                topic_index = len(leaf_topics)
                leaf_topics.append(chapter.code)
                chapter_requires[chapter.code] = chapter.requires
                codes = []
                for number, (name, difficulty) in enumerate(chapter.concepts, start=1):
                    code = f"{chapter.code}.C{number:02d}"
                    codes.append(code)
                    concepts.append(
                        {
                            "code": code,
                            "name": name,
                            "topic_code": chapter.code,
                            "difficulty": difficulty,
                        }
                    )
                    concept_meta.append(
                        (
                            grade,
                            difficulty,
                            weightage / len(chapter.concepts),
                            topic_index,
                            position / concepts_in_grade,
                        )
                    )
                    position += 1
                chapter_concepts[chapter.code] = codes
                for required in chapter.requires:
                    topic_edges.append({"topic_code": chapter.code, "prerequisite_code": required})

    topological_order(
        [topic["code"] for topic in topics],
        [(edge["topic_code"], edge["prerequisite_code"]) for edge in topic_edges],
    )
    concept_edges: list[tuple[str, str]] = []
    for chapter_code, codes in chapter_concepts.items():
        capstones = [chapter_concepts[required][-1] for required in chapter_requires[chapter_code]]
        for number, code in enumerate(codes):
            if number > 0:
                concept_edges.append((code, codes[number - 1]))
            concept_edges.extend((code, capstone) for capstone in capstones)
    codes_all = [concept["code"] for concept in concepts]
    topological_order(codes_all, concept_edges)

    index = {code: i for i, code in enumerate(codes_all)}
    matrix = np.zeros((len(codes_all), len(codes_all)))
    for code, prerequisite in concept_edges:
        matrix[index[code], index[prerequisite]] = 1.0
    counts = matrix.sum(axis=1, keepdims=True)
    matrix = np.divide(matrix, counts, out=np.zeros_like(matrix), where=counts > 0)
    return KnowledgeGraph(
        topics=topics,
        topic_prerequisites=topic_edges,
        concepts=concepts,
        concept_prerequisites=concept_edges,
        concept_grade=np.array([meta[0] for meta in concept_meta], dtype=np.int64),
        concept_difficulty=np.array([meta[1] for meta in concept_meta]),
        concept_weight=np.array([meta[2] for meta in concept_meta]),
        concept_syllabus_position=np.array([meta[4] for meta in concept_meta]),
        concept_topic=np.array([meta[3] for meta in concept_meta], dtype=np.int64),
        leaf_topics=leaf_topics,
        prerequisite_matrix=matrix,
    )
