"""The CBSE mathematics syllabus the knowledge graph is built from: class X here, class XII in
`syllabus_xii`.

Facts, not randomness: unit and chapter names follow the CBSE 2024-25 curriculum documents for
classes X and XII, and the unit marks are that curriculum's distribution of the 80-mark theory
paper (X: number systems 6, algebra 20, coordinate geometry 6, geometry 15, trigonometry 12,
mensuration 10, statistics and probability 11; XII: relations and functions 8, algebra 10,
calculus 35, vectors and 3D 14, linear programming 5, probability 8). The split of a unit's
marks across its chapters is our estimate (CBSE publishes marks per unit only), chosen so that
chapter marks are whole numbers and sum to the unit's marks.

Each chapter lists its concepts in teaching order with a difficulty in [0, 1]; a concept's
prerequisites are its predecessor in the chapter and the capstone (last) concept of every
prerequisite chapter (see `graph`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Theory marks of the board paper: a mark is worth 100 / 80 = 1.25 % of the grade's exam,
# a binary fraction, so float weightages sum to exactly 100.
PAPER_MARKS = 80


@dataclass(frozen=True)
class Chapter:
    code: str
    name: str
    marks: int
    concepts: tuple[tuple[str, float], ...]
    # Codes of chapters (possibly of the lower grade) that must be understood first.
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    chapters: tuple[Chapter, ...]

    @property
    def marks(self) -> int:
        return sum(chapter.marks for chapter in self.chapters)


def concepts(*items: tuple[str, float]) -> tuple[tuple[str, float], ...]:
    return items


GRADE_X: tuple[Unit, ...] = (
    Unit(
        "M10.NS",
        "Number Systems",
        (
            Chapter(
                "M10.NS.REAL",
                "Real Numbers",
                6,
                concepts(
                    ("Euclid's division lemma", 0.25),
                    ("Fundamental theorem of arithmetic", 0.35),
                    ("HCF and LCM by prime factorisation", 0.30),
                    ("Irrationality of surds such as root 2 and root 3", 0.55),
                    ("Decimal expansions of rational numbers", 0.40),
                ),
            ),
        ),
    ),
    Unit(
        "M10.ALG",
        "Algebra",
        (
            Chapter(
                "M10.ALG.POLY",
                "Polynomials",
                4,
                concepts(
                    ("Zeroes of a polynomial from its graph", 0.30),
                    ("Relationship between zeroes and coefficients", 0.45),
                    ("Forming a quadratic polynomial from its zeroes", 0.45),
                    ("Division algorithm for polynomials", 0.55),
                ),
                ("M10.NS.REAL",),
            ),
            Chapter(
                "M10.ALG.LIN",
                "Pair of Linear Equations in Two Variables",
                6,
                concepts(
                    ("Graphical method and consistency of a pair", 0.35),
                    ("Substitution method", 0.30),
                    ("Elimination method", 0.35),
                    ("Word problems on pairs of linear equations", 0.60),
                ),
            ),
            Chapter(
                "M10.ALG.QE",
                "Quadratic Equations",
                5,
                concepts(
                    ("Standard form of a quadratic equation", 0.20),
                    ("Solving a quadratic by factorisation", 0.40),
                    ("Quadratic formula", 0.45),
                    ("Discriminant and nature of roots", 0.50),
                    ("Word problems on quadratic equations", 0.70),
                ),
                ("M10.ALG.POLY",),
            ),
            Chapter(
                "M10.ALG.AP",
                "Arithmetic Progressions",
                5,
                concepts(
                    ("Identifying an AP and its common difference", 0.20),
                    ("nth term of an AP", 0.35),
                    ("Sum of the first n terms of an AP", 0.50),
                    ("Word problems on arithmetic progressions", 0.65),
                ),
                ("M10.ALG.LIN",),
            ),
        ),
    ),
    Unit(
        "M10.CG",
        "Coordinate Geometry",
        (
            Chapter(
                "M10.CG.COORD",
                "Coordinate Geometry",
                6,
                concepts(
                    ("Distance formula", 0.30),
                    ("Section formula (internal division)", 0.50),
                    ("Mid-point formula", 0.25),
                    ("Collinearity of three points", 0.55),
                ),
                ("M10.ALG.LIN",),
            ),
        ),
    ),
    Unit(
        "M10.GEO",
        "Geometry",
        (
            Chapter(
                "M10.GEO.TRI",
                "Triangles",
                8,
                concepts(
                    ("Similar figures", 0.25),
                    ("Basic proportionality theorem", 0.45),
                    ("Criteria for similarity of triangles", 0.55),
                    ("Pythagoras theorem and its converse", 0.45),
                ),
            ),
            Chapter(
                "M10.GEO.CIRC",
                "Circles",
                7,
                concepts(
                    ("Tangent to a circle", 0.25),
                    ("Tangent is perpendicular to the radius", 0.45),
                    ("Lengths of tangents from an external point", 0.55),
                    ("Problems combining tangents and triangles", 0.70),
                ),
                ("M10.GEO.TRI",),
            ),
        ),
    ),
    Unit(
        "M10.TRIG",
        "Trigonometry",
        (
            Chapter(
                "M10.TRIG.INTRO",
                "Introduction to Trigonometry",
                8,
                concepts(
                    ("Trigonometric ratios of an acute angle", 0.30),
                    ("Trigonometric ratios of 0, 30, 45, 60 and 90 degrees", 0.35),
                    ("Trigonometric identities", 0.60),
                    ("Proving trigonometric identities", 0.75),
                ),
                ("M10.GEO.TRI",),
            ),
            Chapter(
                "M10.TRIG.APP",
                "Some Applications of Trigonometry",
                4,
                concepts(
                    ("Angle of elevation", 0.40),
                    ("Angle of depression", 0.45),
                    ("Heights and distances with two observations", 0.70),
                ),
                ("M10.TRIG.INTRO",),
            ),
        ),
    ),
    Unit(
        "M10.MENS",
        "Mensuration",
        (
            Chapter(
                "M10.MENS.AREA",
                "Areas Related to Circles",
                4,
                concepts(
                    ("Circumference and area of a circle", 0.20),
                    ("Length of an arc", 0.35),
                    ("Area of a sector", 0.40),
                    ("Area of a segment", 0.60),
                ),
                ("M10.GEO.CIRC",),
            ),
            Chapter(
                "M10.MENS.SAV",
                "Surface Areas and Volumes",
                6,
                concepts(
                    ("Surface area of a combination of solids", 0.50),
                    ("Volume of a combination of solids", 0.50),
                    ("Conversion of a solid from one shape to another", 0.65),
                ),
                ("M10.MENS.AREA",),
            ),
        ),
    ),
    Unit(
        "M10.SP",
        "Statistics and Probability",
        (
            Chapter(
                "M10.SP.STAT",
                "Statistics",
                6,
                concepts(
                    ("Mean of grouped data", 0.40),
                    ("Mode of grouped data", 0.45),
                    ("Median of grouped data", 0.55),
                    ("Cumulative frequency and ogives", 0.45),
                ),
            ),
            Chapter(
                "M10.SP.PROB",
                "Probability",
                5,
                concepts(
                    ("Classical definition of probability", 0.25),
                    ("Complementary events", 0.30),
                    ("Probability with coins, dice and cards", 0.50),
                ),
            ),
        ),
    ),
)
