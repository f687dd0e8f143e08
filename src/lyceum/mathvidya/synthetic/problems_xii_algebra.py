"""Class XII, units Relations and Functions and Algebra: relations and functions, inverse
trigonometric functions, matrices, determinants."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

import math
from fractions import Fraction
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import (
    combine,
    dec,
    det2,
    det3,
    matrix,
    pi_times,
    point,
    sup,
)
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates

# ---- Relations and Functions --------------------------------------------------------------


def _functions(rng: Random, level: int) -> Problem:
    m = rng.randint(2, (3, 4, 5)[level])
    n = m + rng.randint(0, (2, 3, 4)[level])
    one_one = level > 0 and rng.random() < 0.5
    value = math.perm(n, m) if one_one else n**m
    kind = "one-one functions" if one_one else "functions"
    return Problem(
        text=f"A set A has {m} elements and a set B has {n} elements. How many {kind} from A to B "
        "are there?",
        answer=str(value),
        distractors=(
            str(m**n),
            str(n**m if one_one else math.perm(n, m)),
            str(m * n),
            str(2 ** (m * n)),
        ),
        steps=(
            f"Each of the {m} elements of A needs an image in B.",
            f"{'Images must differ: ' if one_one else 'Each has '}{n}"
            f"{', ' + str(n - 1) + ', ... choices' if one_one else ' choices'} ({m} factors).",
            f"Number of {kind} = {value}.",
        ),
        topic="Types of functions",
    )


def _relations(rng: Random, level: int) -> Problem:
    n = rng.randint(2, (3, 4, 5)[level])
    kinds = (
        ("relations", n * n),
        ("reflexive relations", n * n - n),
        ("symmetric relations", n * (n + 1) // 2),
    )
    kind, exponent = rng.choice(kinds[: (1, 2, 3)[level]])
    return Problem(
        text=f"How many {kind} can be defined on a set with {n} elements?",
        answer=f"2{sup(exponent)}",
        distractors=(
            f"2{sup(n * n if exponent != n * n else 2 * n)}",
            f"{n}{sup(n)}",
            f"2{sup(n)}",
            f"2{sup(exponent - 1)}",
        ),
        steps=(
            f"A × A has {n * n} ordered pairs.",
            f"For {kind}, {exponent} of the pairs may each be put in or left out.",
            f"Number = 2{sup(exponent)}.",
        ),
        topic="Relations",
    )


def _linear(a: int, b: int) -> str:
    return combine([(a, "x"), (b, "")])


def _composition(rng: Random, level: int) -> Problem:
    high = (4, 7, 10)[level]
    a, c = (
        rng.choice([v for v in range(-high, high + 1) if v not in (0, 1)]),
        rng.choice([v for v in range(-high, high + 1) if v not in (0, 1)]),
    )
    b, d = rng.randint(-high, high) or 1, rng.randint(-high, high) or -2
    return Problem(
        text=f"If f(x) = {_linear(a, b)} and g(x) = {_linear(c, d)}, find (f∘g)(x).",
        answer=_linear(a * c, a * d + b),
        distractors=(
            _linear(a * c, c * b + d),
            _linear(a * c, b + d),
            _linear(a + c, b + d),
            _linear(a * c, a * d - b),
        ),
        steps=(
            "(f∘g)(x) = f(g(x)).",
            f"= {a}({_linear(c, d)}) + ({b}).",
            f"= {_linear(a * c, a * d + b)}.",
        ),
        topic="Composition of functions",
    )


def _inverse(rng: Random, level: int) -> Problem:
    a = rng.choice([v for v in range(-(5, 8, 12)[level], (5, 8, 12)[level] + 1) if v not in (0, 1)])
    b = rng.randint(-15, 15) or 4

    def shown(top: str, bottom: int) -> str:
        return f"({top})/{bottom}" if bottom > 0 else f"({top})/({bottom})"

    return Problem(
        text=f"Find the inverse of the function f: R → R, f(x) = {_linear(a, b)}.",
        answer=f"f⁻¹(x) = {shown(_linear(1, -b), a)}",
        distractors=(
            f"f⁻¹(x) = {shown(_linear(1, b), a)}",
            f"f⁻¹(x) = {_linear(a, -b)}",
            f"f⁻¹(x) = {shown(_linear(1, -a), b)}",
        ),
        steps=(
            f"Let y = {_linear(a, b)}.",
            f"Solve for x: x = {shown(_linear(1, -b).replace('x', 'y'), a)}.",
            f"So f⁻¹(x) = {shown(_linear(1, -b), a)}.",
        ),
        topic="Invertible functions",
    )


# ---- Inverse Trigonometric Functions ------------------------------------------------------

# Principal values as multiples of π, and the principal branch of each function.
_PRINCIPAL: dict[str, tuple[str, dict[str, Fraction]]] = {
    "sin⁻¹": (
        "[-π/2, π/2]",
        {
            "1/2": Fraction(1, 6),
            "-1/2": Fraction(-1, 6),
            "√3/2": Fraction(1, 3),
            "-√3/2": Fraction(-1, 3),
            "1/√2": Fraction(1, 4),
            "-1/√2": Fraction(-1, 4),
            "1": Fraction(1, 2),
            "-1": Fraction(-1, 2),
        },
    ),
    "cos⁻¹": (
        "[0, π]",
        {
            "1/2": Fraction(1, 3),
            "-1/2": Fraction(2, 3),
            "√3/2": Fraction(1, 6),
            "-√3/2": Fraction(5, 6),
            "1/√2": Fraction(1, 4),
            "-1/√2": Fraction(3, 4),
            "0": Fraction(1, 2),
            "-1": Fraction(1),
        },
    ),
    "tan⁻¹": (
        "(-π/2, π/2)",
        {
            "1": Fraction(1, 4),
            "-1": Fraction(-1, 4),
            "√3": Fraction(1, 3),
            "-√3": Fraction(-1, 3),
            "1/√3": Fraction(1, 6),
            "-1/√3": Fraction(-1, 6),
        },
    ),
    "cot⁻¹": (
        "(0, π)",
        {
            "1": Fraction(1, 4),
            "-1": Fraction(3, 4),
            "√3": Fraction(1, 6),
            "-√3": Fraction(5, 6),
            "1/√3": Fraction(1, 3),
            "-1/√3": Fraction(2, 3),
        },
    ),
    "sec⁻¹": (
        "[0, π] - {π/2}",
        {
            "2": Fraction(1, 3),
            "-2": Fraction(2, 3),
            "√2": Fraction(1, 4),
            "-√2": Fraction(3, 4),
            "2/√3": Fraction(1, 6),
            "-2/√3": Fraction(5, 6),
            "-1": Fraction(1),
        },
    ),
    "cosec⁻¹": (
        "[-π/2, π/2] - {0}",
        {
            "2": Fraction(1, 6),
            "-2": Fraction(-1, 6),
            "√2": Fraction(1, 4),
            "-√2": Fraction(-1, 4),
            "2/√3": Fraction(1, 3),
            "-2/√3": Fraction(-1, 3),
            "-1": Fraction(-1, 2),
        },
    ),
}
_INVERSE_ORDER = ("sin⁻¹", "cos⁻¹", "tan⁻¹", "cot⁻¹", "sec⁻¹", "cosec⁻¹")
_WRONG_BRANCH = {
    "sin⁻¹": "[0, π]",
    "cos⁻¹": "[-π/2, π/2]",
    "tan⁻¹": "(0, π)",
    "cot⁻¹": "(-π/2, π/2)",
    "sec⁻¹": "[-π/2, π/2] - {0}",
    "cosec⁻¹": "[0, π] - {π/2}",
}


def _principal(rng: Random, level: int) -> Problem:
    function = rng.choice(_INVERSE_ORDER[: (3, 4, 6)[level]])
    branch, values = _PRINCIPAL[function]
    argument = rng.choice(sorted(values))
    angle = values[argument]
    return Problem(
        text=f"Find the principal value of {function}({argument}).",
        answer=pi_times(angle),
        distractors=tuple(
            pi_times(v) for v in (-angle, 1 - angle, Fraction(1, 2) - angle, angle + Fraction(1, 6))
        ),
        steps=(
            f"The principal value branch of {function} is {branch}.",
            f"The angle in {branch} with the required ratio {argument} is {pi_times(angle)}.",
            f"{function}({argument}) = {pi_times(angle)}.",
        ),
        topic="Principal values",
        claim=f"The principal value of {function}({argument}) is {{}}.",
        rule=f"The principal value branch of {function} is {branch}.",
        false_rule=f"The principal value branch of {function} is {_WRONG_BRANCH[function]}.",
    )


def _sum_values(rng: Random, level: int) -> Problem:
    f1, f2 = rng.sample(_INVERSE_ORDER[: (3, 6, 6)[level]], 2)
    a1, a2 = rng.choice(sorted(_PRINCIPAL[f1][1])), rng.choice(sorted(_PRINCIPAL[f2][1]))
    v1, v2 = _PRINCIPAL[f1][1][a1], _PRINCIPAL[f2][1][a2]
    total = v1 + v2
    return Problem(
        text=f"Find the value of {f1}({a1}) + {f2}({a2}).",
        answer=pi_times(total),
        distractors=(
            pi_times(v1 - v2),
            pi_times(-v1 + v2),
            pi_times(total + Fraction(1, 2)),
            pi_times(-total),
        ),
        steps=(
            f"{f1}({a1}) = {pi_times(v1)} (principal branch {_PRINCIPAL[f1][0]}).",
            f"{f2}({a2}) = {pi_times(v2)} (principal branch {_PRINCIPAL[f2][0]}).",
            f"Sum = {pi_times(total)}.",
        ),
        topic="Principal values",
    )


# ---- Matrices -----------------------------------------------------------------------------


def _random_matrix(rng: Random, high: int, size: int = 2) -> list[list[int]]:
    return [[rng.randint(-high, high) for _ in range(size)] for _ in range(size)]


def _combination(rng: Random, level: int) -> Problem:
    a, b = _random_matrix(rng, (5, 8, 12)[level]), _random_matrix(rng, (5, 8, 12)[level])
    p, q = rng.randint(1, 4), rng.choice((-3, -2, -1, 1, 2, 3))

    def mix(x: int, y: int) -> list[list[int]]:
        return [[x * a[i][j] + y * b[i][j] for j in range(2)] for i in range(2)]

    result = mix(p, q)
    off = [row[:] for row in result]
    off[1][0] += 1
    expression = combine([(p, "A"), (q, "B")])
    return Problem(
        text=f"If A = {matrix(a)} and B = {matrix(b)}, find {expression}.",
        answer=matrix(result),
        distractors=(matrix(mix(p, -q)), matrix(mix(q, p)), matrix(off), matrix(mix(1, q))),
        steps=(
            f"{p}A = {matrix(mix(p, 0))} and {q}B = {matrix(mix(0, q))}.",
            "Add corresponding entries.",
            f"{expression} = {matrix(result)}.",
        ),
        topic="Operations on matrices",
    )


def _multiply(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    return [[sum(a[i][k] * b[k][j] for k in range(2)) for j in range(2)] for i in range(2)]


def _product(rng: Random, level: int) -> Problem:
    a, b = _random_matrix(rng, (3, 5, 7)[level]), _random_matrix(rng, (3, 5, 7)[level])
    ab = _multiply(a, b)
    entrywise = [[a[i][j] * b[i][j] for j in range(2)] for i in range(2)]
    return Problem(
        text=f"If A = {matrix(a)} and B = {matrix(b)}, find AB.",
        answer=matrix(ab),
        distractors=(
            matrix(_multiply(b, a)),
            matrix(entrywise),
            matrix([[ab[0][0], ab[1][0]], [ab[0][1], ab[1][1]]]),
        ),
        steps=(
            "(AB)ᵢⱼ = row i of A · column j of B.",
            f"First row: {ab[0][0]}, {ab[0][1]}; second row: {ab[1][0]}, {ab[1][1]}.",
            f"AB = {matrix(ab)}.",
        ),
        topic="Multiplication of matrices",
        claim=f"For A = {matrix(a)} and B = {matrix(b)}, AB = {{}}.",
        rule="The (i, j) entry of AB is the sum of products of row i of A with column j of B.",
        false_rule="The (i, j) entry of AB is the product of the (i, j) entries of A and B.",
    )


def _orders(rng: Random, level: int) -> Problem:
    k = rng.choice(((6, 8, 10, 13, 15), (12, 16, 18, 20, 24, 28), (30, 36, 48, 60, 72))[level])
    divisors = [d for d in range(1, k + 1) if k % d == 0]
    count = len(divisors)
    return Problem(
        text=f"How many different orders can a matrix with {k} elements have?",
        answer=str(count),
        distractors=(str(count - 1), str(count + 1), str(count // 2), str(k // 2)),
        steps=(
            f"An m × n matrix has mn elements, so mn = {k}.",
            "The pairs (m, n) are " + ", ".join(f"{d} × {k // d}" for d in divisors) + ".",
            f"There are {count} possible orders.",
        ),
        topic="Order of a matrix",
    )


# ---- Determinants -------------------------------------------------------------------------


def _det2(rng: Random, level: int) -> Problem:
    m = _random_matrix(rng, (6, 12, 25)[level])
    value = det2(m)
    return Problem(
        text=f"Evaluate the determinant |{matrix(m)}|.",
        answer=str(value),
        distractors=(
            str(m[0][0] * m[1][1] + m[0][1] * m[1][0]),
            str(-value if value else 1),
            str(m[0][0] * m[1][0] - m[0][1] * m[1][1]),
        ),
        steps=(
            "For a 2 × 2 matrix, |A| = a₁₁a₂₂ - a₁₂a₂₁.",
            f"= ({m[0][0]})({m[1][1]}) - ({m[0][1]})({m[1][0]}).",
            f"= {value}.",
        ),
        topic="Determinant of a 2 × 2 matrix",
    )


def _det3(rng: Random, level: int) -> Problem:
    m = _random_matrix(rng, (3, 4, 6)[level], size=3)
    value = det3(m)
    minors = [
        m[1][1] * m[2][2] - m[1][2] * m[2][1],
        m[1][0] * m[2][2] - m[1][2] * m[2][0],
        m[1][0] * m[2][1] - m[1][1] * m[2][0],
    ]
    all_plus = m[0][0] * minors[0] + m[0][1] * minors[1] + m[0][2] * minors[2]
    return Problem(
        text=f"Evaluate the determinant |{matrix(m)}|.",
        answer=str(value),
        distractors=(str(all_plus), str(-value), str(value + 2 * m[0][2] * minors[2] or value + 1)),
        steps=(
            "Expand along the first row: a₁₁M₁₁ - a₁₂M₁₂ + a₁₃M₁₃.",
            f"Minors: M₁₁ = {minors[0]}, M₁₂ = {minors[1]}, M₁₃ = {minors[2]}.",
            f"|A| = ({m[0][0]})({minors[0]}) - ({m[0][1]})({minors[1]}) + "
            f"({m[0][2]})({minors[2]}) = {value}.",
        ),
        topic="Determinant of a 3 × 3 matrix",
    )


def _triangle_area(rng: Random, level: int) -> Problem:
    while True:
        pts = [
            (rng.randint(-(5, 8, 12)[level], (5, 8, 12)[level]), rng.randint(-8, 8))
            for _ in range(3)
        ]
        (x1, y1), (x2, y2), (x3, y3) = pts
        d = x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2)
        if d:
            break
    area = Fraction(abs(d), 2)
    return Problem(
        text="Using determinants, find the area of the triangle with vertices "
        + ", ".join(point(*p) for p in pts)
        + ".",
        answer=f"{dec(area)} square units",
        distractors=(
            f"{abs(d)} square units",
            f"{dec(area / 2)} square units",
            f"{dec(area + 1)} square units",
        ),
        steps=(
            "Area = ½ |x₁(y₂ - y₃) + x₂(y₃ - y₁) + x₃(y₁ - y₂)|.",
            f"= ½ |{x1}({y2 - y3}) + {x2}({y3 - y1}) + {x3}({y1 - y2})| = ½ × {abs(d)}.",
            f"= {dec(area)} square units.",
        ),
        topic="Area of a triangle using determinants",
    )


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Relations and Functions": templates(
        "XII.relations_functions", _functions, _relations, _composition, _inverse
    ),
    "Inverse Trigonometric Functions": templates(
        "XII.inverse_trigonometry", _principal, _sum_values
    ),
    "Matrices": templates("XII.matrices", _combination, _product, _orders),
    "Determinants": templates("XII.determinants", _det2, _det3, _triangle_area),
}

__all__ = ["TEMPLATES"]
