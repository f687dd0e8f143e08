"""Class XII, units Vectors and Three-Dimensional Geometry, Linear Programming and
Probability."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

from fractions import Fraction
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import (
    QUADRUPLES,
    combine,
    num,
    point,
    surd,
    vector,
)
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates

# ---- Vectors ------------------------------------------------------------------------------


def _vec(rng: Random, high: int) -> tuple[int, int, int]:
    return (
        rng.randint(-high, high) or 1,
        rng.randint(-high, high) or -1,
        rng.randint(-high, high) or 2,
    )


def _dot(rng: Random, level: int) -> Problem:
    a, b = _vec(rng, (4, 7, 10)[level]), _vec(rng, (4, 7, 10)[level])
    value = sum(x * y for x, y in zip(a, b, strict=True))
    return Problem(
        text=f"Find the scalar product of a = {vector(*a)} and b = {vector(*b)}.",
        answer=str(value),
        distractors=(
            str(a[0] * b[0] + a[1] * b[1] - a[2] * b[2]),
            str(a[0] * b[0] + a[1] * b[1]),
            str(-value if value else 3),
            str(value + 1),
        ),
        steps=(
            "a · b = a₁b₁ + a₂b₂ + a₃b₃.",
            f"= ({a[0]})({b[0]}) + ({a[1]})({b[1]}) + ({a[2]})({b[2]}).",
            f"= {value}.",
        ),
        topic="Scalar product",
    )


def _signed_quadruple(rng: Random, level: int) -> tuple[tuple[int, int, int], int]:
    *parts, length = rng.choice(QUADRUPLES[: (2, 4, 6)[level]])
    rng.shuffle(parts)
    x, y, z = (p * rng.choice((-1, 1)) for p in parts)
    return (x, y, z), length


def _unit_vector(rng: Random, level: int) -> Problem:
    (x, y, z), length = _signed_quadruple(rng, level)
    shown = vector(x, y, z)
    return Problem(
        text=f"Find the unit vector in the direction of a = {shown}.",
        answer=f"(1/{length})({shown})",
        distractors=(
            f"(1/{length * length})({shown})",
            f"(1/{length})({vector(x, -y, z)})",
            f"(1/{abs(x) + abs(y) + abs(z)})({shown})",
        ),
        steps=(
            f"|a| = √({x * x} + {y * y} + {z * z}) = {length}.",
            "The unit vector is a/|a|.",
            f"â = (1/{length})({shown}).",
        ),
        topic="Unit vector",
    )


def _perpendicular(rng: Random, level: int) -> Problem:
    a1, a3 = rng.randint(-6, 6) or 2, rng.randint(-6, 6) or -3
    b1, b3 = _vec(rng, (3, 5, 7)[level])[::2]
    b2 = rng.choice((-3, -2, -1, 1, 2, 3, 4)[: (4, 6, 7)[level]])
    lam = Fraction(-(a1 * b1 + a3 * b3), b2)
    a_text = combine([(a1, "î"), (1, "λĵ"), (a3, "k̂")])
    b_text = vector(b1, b2, b3)
    return Problem(
        text=f"Find λ so that the vectors a = {a_text} and b = {b_text} are perpendicular.",
        answer=num(lam),
        distractors=(num(-lam if lam else 1), num(lam + 1), num(lam - 2), num(2 * lam or 3)),
        steps=(
            "Perpendicular vectors have a · b = 0.",
            f"({a1})({b1}) + λ({b2}) + ({a3})({b3}) = 0.",
            f"λ = {num(lam)}.",
        ),
        topic="Scalar product",
        claim=f"a = {a_text} and b = {b_text} are perpendicular when λ = {{}}.",
        rule="Two non-zero vectors are perpendicular exactly when their scalar product is zero.",
        false_rule="Two non-zero vectors are perpendicular exactly when their vector product is "
        "zero.",
    )


def _parallelogram(rng: Random, level: int) -> Problem:
    a, b = _vec(rng, (3, 4, 6)[level]), _vec(rng, (3, 4, 6)[level])
    cross = (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    if cross == (0, 0, 0):
        b = (b[0] + 1, b[1], b[2])
        cross = (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    squared = sum(c * c for c in cross)
    return Problem(
        text=f"Find the area of the parallelogram whose adjacent sides are a = {vector(*a)} and b "
        f"= {vector(*b)}.",
        answer=f"{surd(1, squared)} square units",
        distractors=(
            f"{surd(Fraction(1, 2), squared)} square units",
            f"{squared} square units",
            f"{abs(sum(x * y for x, y in zip(a, b, strict=True)))} square units",
        ),
        steps=(
            "Area = |a × b|.",
            f"a × b = {vector(*cross)}.",
            f"|a × b| = √{squared} = {surd(1, squared)} square units.",
        ),
        topic="Vector product",
    )


# ---- Three-dimensional Geometry -----------------------------------------------------------


def _direction_cosines(rng: Random, level: int) -> Problem:
    (dx, dy, dz), length = _signed_quadruple(rng, level)
    p = (rng.randint(-5, 5), rng.randint(-5, 5), rng.randint(-5, 5))
    q = (p[0] + dx, p[1] + dy, p[2] + dz)
    cosines = [Fraction(v, length) for v in (dx, dy, dz)]
    return Problem(
        text=f"Find the direction cosines of the line passing through {point(*p)} and {point(*q)}.",
        answer=point(*cosines),
        distractors=(
            point(dx, dy, dz),
            point(*(-c for c in cosines[:1]), *cosines[1:]),
            point(*(Fraction(v, length * length) for v in (dx, dy, dz))),
        ),
        steps=(
            f"Direction ratios: {dx}, {dy}, {dz}.",
            f"√({dx}² + {dy}² + {dz}²) = {length}.",
            f"Direction cosines: {point(*cosines)}.",
        ),
        topic="Direction cosines",
    )


def _perpendicular_lines(rng: Random, level: int) -> Problem:
    a1 = rng.choice((1, 2, 3, -1, -2))
    b1, c1, b2, c2 = (rng.randint(-(4, 6, 9)[level], (4, 6, 9)[level]) for _ in range(4))
    k = Fraction(-(b1 * b2 + c1 * c2), a1)
    return Problem(
        text=f"Find k if the lines with direction ratios {a1}, {b1}, {c1} and k, {b2}, {c2} are "
        "perpendicular.",
        answer=num(k),
        distractors=(
            num(-k if k else 1),
            num(k + 1),
            num(Fraction(b1 * b2 + c1 * c2 + 1, a1) if k else 2),
        ),
        steps=(
            "Lines are perpendicular when a₁a₂ + b₁b₂ + c₁c₂ = 0.",
            f"{a1}k + ({b1})({b2}) + ({c1})({c2}) = 0.",
            f"k = {num(k)}.",
        ),
        topic="Angle between two lines",
    )


def _distance_3d(rng: Random, level: int) -> Problem:
    (dx, dy, dz), length = _signed_quadruple(rng, level)
    p = (rng.randint(-6, 6), rng.randint(-6, 6), rng.randint(-6, 6))
    q = (p[0] + dx, p[1] + dy, p[2] + dz)
    return Problem(
        text=f"Find the distance between the points P{point(*p)} and Q{point(*q)}.",
        answer=f"{length} units",
        distractors=(
            f"{length * length} units",
            f"{abs(dx) + abs(dy) + abs(dz)} units",
            f"{length + 1} units",
        ),
        steps=(
            "PQ = √[(x₂ - x₁)² + (y₂ - y₁)² + (z₂ - z₁)²].",
            f"= √({dx * dx} + {dy * dy} + {dz * dz}).",
            f"= {length} units.",
        ),
        topic="Distance between two points",
    )


# ---- Linear Programming -------------------------------------------------------------------


def _region(rng: Random, level: int) -> tuple[int, int, int, list[tuple[int, int]]]:
    s = rng.randint(6, (12, 20, 40)[level])
    u, v = rng.randint(s // 2, s - 1), rng.randint(s // 2, s - 1)
    if u + v <= s:
        u = v = s - 1
    return s, u, v, [(0, 0), (u, 0), (u, s - u), (s - v, v), (0, v)]


def _lp(rng: Random, level: int) -> Problem:
    s, u, v, corners = _region(rng, level)
    while True:
        p, q = rng.randint(1, (5, 9, 15)[level]), rng.randint(1, (5, 9, 15)[level])
        values = {c: p * c[0] + q * c[1] for c in corners}
        best = max(values.values())
        if sum(1 for z in values.values() if z == best) == 1:
            break
    at = max(values, key=lambda c: values[c])
    others = sorted((c for c in corners if c != at and c != (0, 0)), key=lambda c: -values[c])
    objective = f"Z = {combine([(p, 'x'), (q, 'y')])}"
    listed = ", ".join(point(*c) for c in corners)
    if level == 0:
        given = f"The corner points of the bounded feasible region of an LPP are {listed}."
        text = f"{given} Find the maximum value of {objective}."
        first = "Evaluate Z at every corner point."
    else:
        text = f"Maximise {objective} subject to x + y ≤ {s}, x ≤ {u}, y ≤ {v}, x ≥ 0, y ≥ 0."
        first = f"The feasible region has corner points {listed}."
    return Problem(
        text=text,
        answer=f"{best} at {point(*at)}",
        distractors=(
            *(f"{values[c]} at {point(*c)}" for c in others),
            f"{best + p} at {point(at[0] + 1, at[1])}",
        ),
        steps=(
            first,
            "Z: " + ", ".join(f"{values[c]} at {point(*c)}" for c in corners) + ".",
            f"The maximum of Z is {best}, at {point(*at)}.",
        ),
        topic="Corner point method",
        claim=f"The maximum of {objective} over the region is {{}}.",
        rule="The optimal value of Z over a bounded feasible region occurs at a corner point of "
        "the region.",
        false_rule="The optimal value of Z over a bounded feasible region occurs at the centre of "
        "the region.",
    )


# ---- Probability --------------------------------------------------------------------------


def _conditional(rng: Random, level: int) -> Problem:
    n = rng.choice((10, 12, 13, 15, 20, 25)[: (3, 5, 6)[level]])
    a, b = rng.randint(2, n - 1), rng.randint(2, n - 1)
    both = rng.randint(1, min(a, b) - 1 if min(a, b) > 1 else 1)
    answer = Fraction(both, b)
    return Problem(
        text=f"If P(A) = {num(Fraction(a, n))}, P(B) = {num(Fraction(b, n))} and P(A ∩ B) = "
        f"{num(Fraction(both, n))}, find P(A|B).",
        answer=num(answer),
        distractors=(
            num(Fraction(both, a)),
            num(Fraction(both, n)),
            num(Fraction(a, b) if a != b else Fraction(1, 2)),
            num(Fraction(both * n, a * b)),
        ),
        steps=(
            "P(A|B) = P(A ∩ B)/P(B).",
            f"= ({num(Fraction(both, n))})/({num(Fraction(b, n))}).",
            f"= {num(answer)}.",
        ),
        topic="Conditional probability",
        claim=f"If P(B) = {num(Fraction(b, n))} and P(A ∩ B) = {num(Fraction(both, n))}, then "
        "P(A|B) = {}.",
        rule="P(A|B) = P(A ∩ B)/P(B) whenever P(B) ≠ 0.",
        false_rule="P(A|B) = P(A ∩ B) × P(B) whenever P(B) ≠ 0.",
    )


def _independent(rng: Random, level: int) -> Problem:
    d = (4, 5, 10)[level]
    p, q = Fraction(rng.randint(1, d - 1), d), Fraction(rng.randint(1, d - 1), d + (level > 0))
    union = p + q - p * q
    return Problem(
        text=f"A and B are independent events with P(A) = {num(p)} and P(B) = {num(q)}. Find P(A "
        "∪ B).",
        answer=num(union),
        distractors=(
            num(p + q) if p + q <= 1 else num(1 - p * q - Fraction(1, d)),
            num(p * q),
            num(1 - p * q),
            num(union - p * q),
        ),
        steps=(
            f"Independence: P(A ∩ B) = P(A)P(B) = {num(p * q)}.",
            "P(A ∪ B) = P(A) + P(B) - P(A ∩ B).",
            f"= {num(p)} + {num(q)} - {num(p * q)} = {num(union)}.",
        ),
        topic="Independent events",
    )


def _bayes(rng: Random, level: int) -> Problem:
    r1, b1 = rng.randint(1, (5, 8, 12)[level]), rng.randint(1, (5, 8, 12)[level])
    r2, b2 = rng.randint(1, (5, 8, 12)[level]), rng.randint(1, (5, 8, 12)[level])
    like1, like2 = Fraction(r1, r1 + b1), Fraction(r2, r2 + b2)
    posterior = like1 / (like1 + like2)
    return Problem(
        text=f"Bag I contains {r1} red and {b1} black balls; bag II contains {r2} red and {b2} "
        "black"
        " balls. A bag is chosen at random and a ball drawn from it is red. Find the probability"
        " that it was drawn from bag I.",
        answer=num(posterior),
        distractors=(
            num(1 - posterior) if posterior != Fraction(1, 2) else "1/3",
            num(like1),
            num((like1 + like2) / 2),
            num(Fraction(r1, r1 + r2)),
        ),
        steps=(
            "P(E₁) = P(E₂) = 1/2, where Eᵢ is choosing bag i.",
            f"P(red|E₁) = {num(like1)}, P(red|E₂) = {num(like2)}.",
            "By Bayes' theorem, P(E₁|red) = P(E₁)P(red|E₁)/[P(E₁)P(red|E₁) + P(E₂)P(red|E₂)].",
            f"= {num(posterior)}.",
        ),
        topic="Bayes' theorem",
    )


def _expectation(rng: Random, level: int) -> Problem:
    values = sorted(rng.sample(range(-2 if level == 2 else 0, (4, 6, 8)[level]), 3 + level))
    weights = [rng.randint(1, (4, 6, 9)[level]) for _ in values]
    total = sum(weights)
    mean = Fraction(sum(x * w for x, w in zip(values, weights, strict=True)), total)
    table = ", ".join(
        f"P(X = {x}) = {num(Fraction(w, total))}" for x, w in zip(values, weights, strict=True)
    )
    return Problem(
        text=f"A random variable X has the distribution {table}. Find the mean of X.",
        answer=num(mean),
        distractors=(
            num(Fraction(sum(values), len(values))),
            num(Fraction(sum(x * x * w for x, w in zip(values, weights, strict=True)), total)),
            num(mean + Fraction(1, total)),
        ),
        steps=(
            "E(X) = Σ x P(X = x).",
            " + ".join(
                f"({x})({num(Fraction(w, total))})" for x, w in zip(values, weights, strict=True)
            )
            + ".",
            f"E(X) = {num(mean)}.",
        ),
        topic="Mean of a random variable",
    )


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Vectors": templates("XII.vectors", _dot, _unit_vector, _perpendicular, _parallelogram),
    "Three-dimensional Geometry": templates(
        "XII.three_d", _direction_cosines, _perpendicular_lines, _distance_3d
    ),
    "Linear Programming": templates("XII.linear_programming", _lp),
    "Probability": templates("XII.probability", _conditional, _independent, _bayes, _expectation),
}

__all__ = ["TEMPLATES"]
