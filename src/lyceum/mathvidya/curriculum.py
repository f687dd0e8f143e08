"""The CBSE mathematics syllabus Mathvidya follows: units with their board-paper marks, and
each unit's chapters (class X code 041 and class XII code 041, 2024-25 onwards).

Pure data: exam generation, the synthetic question bank and tests read it. Migration 0007
seeds the same unit names and marks into `system_config` (`curriculum.units_class_x|xii`);
a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    name: str
    # Marks the unit carries in the 80-mark board paper.
    marks: int
    chapters: tuple[str, ...]


SYLLABUS: dict[str, tuple[Unit, ...]] = {
    "X": (
        Unit("Number Systems", 6, ("Real Numbers",)),
        Unit(
            "Algebra",
            20,
            (
                "Polynomials",
                "Pair of Linear Equations in Two Variables",
                "Quadratic Equations",
                "Arithmetic Progressions",
            ),
        ),
        Unit("Coordinate Geometry", 6, ("Coordinate Geometry",)),
        Unit("Geometry", 15, ("Triangles", "Circles")),
        Unit(
            "Trigonometry",
            12,
            ("Introduction to Trigonometry", "Some Applications of Trigonometry"),
        ),
        Unit("Mensuration", 10, ("Areas Related to Circles", "Surface Areas and Volumes")),
        Unit("Statistics and Probability", 11, ("Statistics", "Probability")),
    ),
    "XII": (
        Unit(
            "Relations and Functions",
            8,
            ("Relations and Functions", "Inverse Trigonometric Functions"),
        ),
        Unit("Algebra", 10, ("Matrices", "Determinants")),
        Unit(
            "Calculus",
            35,
            (
                "Continuity and Differentiability",
                "Applications of Derivatives",
                "Integrals",
                "Applications of the Integrals",
                "Differential Equations",
            ),
        ),
        Unit(
            "Vectors and Three-Dimensional Geometry",
            14,
            ("Vectors", "Three-dimensional Geometry"),
        ),
        Unit("Linear Programming", 5, ("Linear Programming",)),
        Unit("Probability", 8, ("Probability",)),
    ),
}

BOARD_PAPER_MARKS = 80


def units(class_level: str) -> tuple[Unit, ...]:
    try:
        return SYLLABUS[class_level]
    except KeyError:
        raise ValueError(f"unknown class {class_level!r}; choose X or XII") from None


__all__ = ["BOARD_PAPER_MARKS", "SYLLABUS", "Unit", "units"]
