"""Class XII, unit Calculus (continued): applications of the integrals, differential
equations."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

from fractions import Fraction
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import num, pi_times, poly, sup, surd
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates
from lyceum.mathvidya.synthetic.problems_xii_calculus import nonzero, scaled

# ---- Applications of the Integrals --------------------------------------------------------


def _ellipse(rng: Random, level: int) -> Problem:
    a, b = rng.randint(2, (7, 9, 12)[level]), rng.randint(2, (7, 9, 12)[level])
    if a == b:
        return _circle_area(rng, level, a)
    return Problem(
        text=f"Find the area of the region bounded by the ellipse x²/{a * a} + y²/{b * b} = 1.",
        answer=f"{pi_times(a * b)} square units",
        distractors=(
            f"{pi_times(Fraction(a * b, 4))} square units",
            f"{4 * a * b} square units",
            f"{pi_times(a * a * b * b)} square units",
        ),
        steps=(
            f"By symmetry the area is 4 × ∫ from 0 to {a} of ({b}/{a})√({a * a} - x²) dx.",
            f"= 4 × ({b}/{a}) × (π × {a}²/4).",
            f"= {pi_times(a * b)} square units.",
        ),
        topic="Area bounded by an ellipse",
    )


def _circle_area(rng: Random, level: int, radius: int | None = None) -> Problem:
    r = radius or rng.randint(2, 12)
    return Problem(
        text=f"Using integration, find the area enclosed by the circle x² + y² = {r * r}.",
        answer=f"{pi_times(r * r)} square units",
        distractors=(
            f"{pi_times(Fraction(r * r, 4))} square units",
            f"{pi_times(2 * r)} square units",
            f"{4 * r * r} square units",
        ),
        steps=(
            f"Area = 4 × ∫ from 0 to {r} of √({r * r} - x²) dx.",
            f"= 4 × [x√({r * r} - x²)/2 + ({r * r}/2) sin⁻¹(x/{r})] from 0 to {r} = 4 × "
            f"{pi_times(Fraction(r * r, 4))}.",
            f"= {pi_times(r * r)} square units.",
        ),
        topic="Area bounded by a circle",
    )


def _parabola(rng: Random, level: int) -> Problem:
    a = rng.randint(1, (4, 6, 8)[level])
    k = rng.randint(1, (2, 2, 3)[level])
    t = a * k * k
    area = Fraction(8 * a * a * k**3, 3)
    return Problem(
        text=f"Find the area of the region bounded by the parabola y² = {4 * a}x and the line x = "
        f"{t}.",
        answer=f"{num(area)} square units",
        distractors=(
            f"{num(area / 2)} square units",
            f"{num(area * 3 / 2)} square units",
            f"{num(area + 1)} square units",
        ),
        steps=(
            f"By symmetry, area = 2 × ∫ from 0 to {t} of {surd(2, a)}√x dx.",
            f"= {num(Fraction(8, 3))} × √{a} × {t}^(3/2).",
            f"= {num(area)} square units.",
        ),
        topic="Area under a parabola",
    )


def _under_curve(rng: Random, level: int) -> Problem:
    k = rng.randint(1, (3, 5, 8)[level])
    p = rng.randint(0, 2)
    q = p + rng.randint(1, 3)
    area = Fraction(k * (q**3 - p**3), 3)
    curve = "x²" if k == 1 else f"{k}x²"
    return Problem(
        text=f"Find the area of the region bounded by y = {curve}, the x-axis and the lines x = "
        f"{p} and x = {q}.",
        answer=f"{num(area)} square units",
        distractors=(
            f"{num(Fraction(k * (q * q - p * p), 2))} square units",
            f"{num(k * (q**3 - p**3))} square units",
            f"{num(area + k)} square units",
        ),
        steps=(
            f"Area = ∫ from {p} to {q} of {curve} dx.",
            f"= [{num(Fraction(k, 3))}x³] from {p} to {q}.",
            f"= {num(area)} square units.",
        ),
        topic="Area under a curve",
    )


def _line_area(rng: Random, level: int) -> Problem:
    m = rng.randint(1, (4, 6, 9)[level])
    a = rng.randint(2, (6, 10, 15)[level])
    area = Fraction(m * a * a, 2)
    line = "x" if m == 1 else f"{m}x"
    return Problem(
        text=f"Using integration, find the area of the region bounded by the line y = {line},"
        f" the x-axis and the line x = {a}.",
        answer=f"{num(area)} square units",
        distractors=(
            f"{m * a * a} square units",
            f"{m * a} square units",
            f"{num(area / 2)} square units",
        ),
        steps=(
            f"Area = ∫ from 0 to {a} of {line} dx.",
            f"= [{num(Fraction(m, 2))}x²] from 0 to {a}.",
            f"= {num(area)} square units.",
        ),
        topic="Area under a line",
    )


# ---- Differential Equations ---------------------------------------------------------------

_DERIVATIVES = ("dy/dx", "d²y/dx²", "d³y/dx³")


def _order_degree(rng: Random, level: int) -> Problem:
    order, degree = rng.randint(1, (2, 3, 3)[level]), rng.randint(1, 3)
    top = _DERIVATIVES[order - 1]
    terms = [f"({top}){sup(degree)}" if degree > 1 else top]
    lower_power = degree
    if order > 1:
        lower_power = rng.randint(1, 5)
        terms.append(f"{rng.randint(2, 9)}({_DERIVATIVES[order - 2]}){sup(lower_power)}")
    undefined = level == 2 and rng.random() < 0.3
    if undefined:
        terms.append(f"sin({_DERIVATIVES[0]})")
    terms.append(rng.choice(("y", "xy", "y²", "x²")))
    equation = " + ".join(terms) + " = 0"
    shown_degree = "not defined" if undefined else str(degree)
    return Problem(
        text=f"Find the order and degree (if defined) of the differential equation {equation}.",
        answer=f"order {order}, degree {shown_degree}",
        distractors=(
            f"order {degree}, degree {order}"
            if degree != order
            else f"order {order + 1}, degree {degree}",
            f"order {order}, degree {lower_power if lower_power != degree else degree + 1}",
            f"order {order}, degree {degree if undefined else 'not defined'}",
            f"order {order + 1}, degree {shown_degree}",
        ),
        steps=(
            f"The highest derivative present is {top}, so the order is {order}.",
            "The degree is the power of the highest derivative when the equation is a polynomial "
            "in the derivatives"
            + (" — sin(dy/dx) makes it not a polynomial." if undefined else "."),
            f"Order {order}, degree {shown_degree}.",
        ),
        topic="Order and degree",
    )


def _separable(rng: Random, level: int) -> Problem:
    k, n = nonzero(rng, (4, 6, 9)[level]), rng.randint(1, (2, 3, 5)[level])
    c = rng.randint(-9, 9)
    coefficient = Fraction(k, n + 1)
    solution = poly([coefficient] + [0] * n + [c])
    return Problem(
        text=f"Solve dy/dx = {scaled(k, 'x' + (sup(n) if n > 1 else ''))} given that y = {c} "
        "when x = 0.",
        answer=f"y = {solution}",
        distractors=(
            f"y = {poly([k] + [0] * n + [c])}",
            f"y = {poly([k * n] + [0] * (n - 2) + [c]) if n > 1 else poly([k, c])}",
            f"y = {poly([coefficient] + [0] * n + [-c if c else 1])}",
        ),
        steps=(
            f"Separate the variables: dy = {scaled(k, 'x' + (sup(n) if n > 1 else ''))} dx.",
            f"Integrate: y = {poly([coefficient] + [0] * n)} + C.",
            f"y(0) = {c} gives C = {c}: y = {solution}.",
        ),
        topic="Variable separable equations",
    )


_FACTORS = (
    ("2", "e^(2x)"), ("3", "e^(3x)"), ("-1", "e^(-x)"), ("1/x", "x"), ("2/x", "x²"),
    ("3/x", "x³"), ("tan x", "sec x"), ("cot x", "sin x"), ("2x", "e^(x²)"), ("-tan x", "cos x"),
)  # fmt: skip
_RIGHT_SIDES = ("x", "x²", "sin x", "e^x", "cos x", "1", "log x", "x³")


def _integrating_factor(rng: Random, level: int) -> Problem:
    index = rng.randrange((4, 7, 10)[level])
    p, factor = _FACTORS[index]
    q = rng.choice(_RIGHT_SIDES)
    wrong = [f for i, (_, f) in enumerate(_FACTORS) if i != index]
    rng.shuffle(wrong)
    term = f"({p})y" if " " in p or "/" in p or p.startswith("-") else f"{p}y"
    return Problem(
        text=f"Find the integrating factor of the differential equation dy/dx + {term} = {q}.",
        answer=factor,
        distractors=tuple(wrong[:3]),
        steps=(
            f"The equation has the form dy/dx + Py = Q with P = {p}.",
            "The integrating factor is e^(∫P dx).",
            f"e^(∫({p}) dx) = {factor}.",
        ),
        topic="Linear differential equations",
        claim=f"The integrating factor of dy/dx + {term} = {q} is {{}}.",
        rule="The integrating factor of dy/dx + Py = Q is e^(∫P dx).",
        false_rule="The integrating factor of dy/dx + Py = Q is e^(∫Q dx).",
    )


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Applications of the Integrals": templates(
        "XII.integral_areas", _ellipse, _parabola, _under_curve, _line_area
    ),
    "Differential Equations": templates(
        "XII.differential_equations", _order_degree, _separable, _integrating_factor
    ),
}

__all__ = ["TEMPLATES"]
