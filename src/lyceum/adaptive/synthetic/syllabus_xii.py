"""Class XII of the CBSE mathematics syllabus (units, chapters, concepts); see `syllabus`."""

from __future__ import annotations

from lyceum.adaptive.synthetic.syllabus import Chapter, Unit, concepts

GRADE_XII: tuple[Unit, ...] = (
    Unit(
        "M12.RF",
        "Relations and Functions",
        (
            Chapter(
                "M12.RF.REL",
                "Relations and Functions",
                4,
                concepts(
                    ("Types of relations", 0.35),
                    ("Equivalence relations", 0.50),
                    ("One-one and onto functions", 0.50),
                ),
            ),
            Chapter(
                "M12.RF.ITF",
                "Inverse Trigonometric Functions",
                4,
                concepts(
                    ("Domain, range and principal values", 0.45),
                    ("Graphs of inverse trigonometric functions", 0.50),
                    ("Elementary properties of inverse trigonometric functions", 0.65),
                ),
                ("M12.RF.REL", "M10.TRIG.INTRO"),
            ),
        ),
    ),
    Unit(
        "M12.ALG",
        "Algebra",
        (
            Chapter(
                "M12.ALG.MAT",
                "Matrices",
                5,
                concepts(
                    ("Order and types of matrices", 0.20),
                    ("Addition and scalar multiplication of matrices", 0.25),
                    ("Multiplication of matrices", 0.45),
                    ("Transpose, symmetric and skew-symmetric matrices", 0.45),
                    ("Invertible matrices", 0.60),
                ),
                ("M10.ALG.LIN",),
            ),
            Chapter(
                "M12.ALG.DET",
                "Determinants",
                5,
                concepts(
                    ("Determinant of a square matrix", 0.35),
                    ("Area of a triangle using determinants", 0.40),
                    ("Minors and cofactors", 0.45),
                    ("Adjoint and inverse of a matrix", 0.60),
                    ("Solving a system of linear equations by the matrix method", 0.70),
                ),
                ("M12.ALG.MAT",),
            ),
        ),
    ),
    Unit(
        "M12.CAL",
        "Calculus",
        (
            Chapter(
                "M12.CAL.CD",
                "Continuity and Differentiability",
                8,
                concepts(
                    ("Continuity at a point", 0.40),
                    ("Differentiability and its relation to continuity", 0.50),
                    ("Chain rule", 0.45),
                    ("Derivatives of implicit functions", 0.55),
                    ("Derivatives of inverse trigonometric functions", 0.55),
                    ("Exponential and logarithmic differentiation", 0.60),
                    ("Derivatives of functions in parametric form", 0.60),
                    ("Second order derivatives", 0.55),
                ),
                ("M12.RF.ITF",),
            ),
            Chapter(
                "M12.CAL.AOD",
                "Applications of Derivatives",
                8,
                concepts(
                    ("Rate of change of quantities", 0.40),
                    ("Increasing and decreasing functions", 0.50),
                    ("Maxima and minima by the first derivative test", 0.60),
                    ("Second derivative test", 0.65),
                    ("Optimisation word problems", 0.80),
                ),
                ("M12.CAL.CD",),
            ),
            Chapter(
                "M12.CAL.INT",
                "Integrals",
                10,
                concepts(
                    ("Integration as the inverse of differentiation", 0.35),
                    ("Integration by substitution", 0.55),
                    ("Integration by partial fractions", 0.65),
                    ("Integration by parts", 0.65),
                    ("Integrals of some special forms", 0.70),
                    ("Definite integrals and the fundamental theorem of calculus", 0.55),
                    ("Properties of definite integrals", 0.75),
                ),
                ("M12.CAL.CD",),
            ),
            Chapter(
                "M12.CAL.AOI",
                "Application of Integrals",
                4,
                concepts(
                    ("Area under a simple curve", 0.50),
                    ("Area between a curve and a line", 0.65),
                ),
                ("M12.CAL.INT", "M10.CG.COORD"),
            ),
            Chapter(
                "M12.CAL.DE",
                "Differential Equations",
                5,
                concepts(
                    ("Order and degree of a differential equation", 0.30),
                    ("General and particular solutions", 0.40),
                    ("Variables separable method", 0.55),
                    ("Homogeneous differential equations", 0.70),
                    ("Linear differential equations", 0.70),
                ),
                ("M12.CAL.INT",),
            ),
        ),
    ),
    Unit(
        "M12.V3D",
        "Vectors and Three-Dimensional Geometry",
        (
            Chapter(
                "M12.V3D.VEC",
                "Vector Algebra",
                7,
                concepts(
                    ("Magnitude and direction cosines of a vector", 0.35),
                    ("Types of vectors", 0.25),
                    ("Addition of vectors and multiplication by a scalar", 0.35),
                    ("Position vector and section formula", 0.45),
                    ("Scalar (dot) product", 0.50),
                    ("Vector (cross) product", 0.60),
                ),
                ("M10.CG.COORD",),
            ),
            Chapter(
                "M12.V3D.3D",
                "Three Dimensional Geometry",
                7,
                concepts(
                    ("Direction cosines and direction ratios of a line", 0.45),
                    ("Equation of a line in space", 0.55),
                    ("Angle between two lines", 0.55),
                    ("Shortest distance between two skew lines", 0.75),
                ),
                ("M12.V3D.VEC",),
            ),
        ),
    ),
    Unit(
        "M12.LP",
        "Linear Programming",
        (
            Chapter(
                "M12.LP.LPP",
                "Linear Programming",
                5,
                concepts(
                    ("Formulating a linear programming problem", 0.45),
                    ("Feasible region of a system of inequalities", 0.45),
                    ("Corner point method", 0.50),
                    ("Unbounded feasible regions", 0.65),
                ),
                ("M10.ALG.LIN",),
            ),
        ),
    ),
    Unit(
        "M12.PROB",
        "Probability",
        (
            Chapter(
                "M12.PROB.PROB",
                "Probability",
                8,
                concepts(
                    ("Conditional probability", 0.45),
                    ("Multiplication theorem on probability", 0.45),
                    ("Independent events", 0.50),
                    ("Total probability and Bayes' theorem", 0.75),
                    ("Random variable and its probability distribution", 0.55),
                    ("Mean of a random variable", 0.60),
                ),
                ("M10.SP.PROB",),
            ),
        ),
    ),
)
