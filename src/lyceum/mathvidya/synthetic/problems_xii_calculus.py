"""Class XII, unit Calculus: continuity and differentiability, applications of derivatives,
integrals (applications of the integrals and differential equations: `problems_xii_areas`)."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

from fractions import Fraction
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import combine, num, pi_times, poly, sup
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates


def nonzero(rng: Random, high: int) -> int:
    return rng.choice([v for v in range(-high, high + 1) if v])


def _inner(a: int, b: int) -> str:
    return combine([(a, "x"), (b, "")])


def scaled(coefficient: Fraction | int, body: str) -> str:
    """coefficient · body, with 1 and -1 written as nothing and a minus sign."""
    coefficient = Fraction(coefficient)
    if coefficient == 1:
        return body
    if coefficient == -1:
        return f"-{body}"
    shown = num(coefficient)
    return f"({shown}){body}" if coefficient.denominator != 1 else f"{shown}{body}"


# ---- Continuity and Differentiability -----------------------------------------------------


def _power_chain(rng: Random, level: int) -> Problem:
    a, b = rng.randint(2, (3, 5, 9)[level]), nonzero(rng, (5, 9, 12)[level])
    n = rng.randint(3, (4, 6, 9)[level])
    inner = _inner(a, b)
    return Problem(
        text=f"Differentiate y = ({inner}){sup(n)} with respect to x.",
        answer=f"{n * a}({inner}){sup(n - 1)}",
        distractors=(
            f"{n}({inner}){sup(n - 1)}",
            f"{n * a}({inner}){sup(n)}",
            f"{a}({inner}){sup(n - 1)}",
        ),
        steps=(
            f"Chain rule: let u = {inner}, so y = u{sup(n)} and du/dx = {a}.",
            f"dy/dx = {n}u{sup(n - 1)} × {a}.",
            f"dy/dx = {n * a}({inner}){sup(n - 1)}.",
        ),
        topic="Chain rule",
        claim=f"If y = ({inner}){sup(n)}, then dy/dx = {{}}.",
        rule="If y = f(u) and u = g(x), then dy/dx = (dy/du)(du/dx).",
        false_rule="If y = f(u) and u = g(x), then dy/dx = dy/du.",
    )


def _trig_chain(rng: Random, level: int) -> Problem:
    k = rng.randint(1, (1, 4, 7)[level])
    a, b = rng.randint(2, (4, 7, 11)[level]), rng.randint(-9, 9)
    inner = _inner(a, b)
    if rng.random() < 0.5:
        function, derivative, sign = "sin", "cos", 1
    else:
        function, derivative, sign = "cos", "sin", -1
    y = scaled(k, f"{function}({inner})")
    answer = scaled(sign * k * a, f"{derivative}({inner})")
    return Problem(
        text=f"Find dy/dx if y = {y}.",
        answer=answer,
        distractors=(
            scaled(-sign * k * a, f"{derivative}({inner})"),
            scaled(sign * k, f"{derivative}({inner})"),
            scaled(k * a, f"{function}({inner})"),
        ),
        steps=(
            f"d/dx {function} u = {'' if sign > 0 else '-'}{derivative} u × du/dx with u = "
            f"{inner}.",
            f"du/dx = {a}.",
            f"dy/dx = {answer}.",
        ),
        topic="Derivatives of trigonometric functions",
    )


def _continuity(rng: Random, level: int) -> Problem:
    p = nonzero(rng, (2, 3, 4)[level])
    k = nonzero(rng, (5, 8, 12)[level])
    m = rng.randint(1, (3, 4, 6)[level])
    c = m * p * p - k * p
    left = combine([(1, "kx"), (c, "")])
    return Problem(
        text=f"Find the value of k for which f(x) = {left} for x ≤ {p}, and f(x) = "
        f"{scaled(m, 'x²')}"
        f" for x > {p}, is continuous at x = {p}.",
        answer=num(k),
        distractors=(num(-k), num(Fraction(m * p * p + c, p)), num(k + m)),
        steps=(
            f"Continuity at x = {p}: the left-hand limit, right-hand limit and f({p}) are equal.",
            f"LHL = f({p}) = {p}k + ({c}); RHL = {m} × {p}² = {m * p * p}.",
            f"{p}k + ({c}) = {m * p * p}, so k = {num(k)}.",
        ),
        topic="Continuity",
        claim=f"f(x) = {left} (x ≤ {p}), {scaled(m, 'x²')} (x > {p}) is continuous at {p} when k "
        "= {}.",
        rule="f is continuous at a when its left-hand and right-hand limits at a both equal f(a).",
        false_rule="f is continuous at a whenever f(a) is defined.",
    )


# ---- Applications of Derivatives ----------------------------------------------------------


def _rate(rng: Random, level: int) -> Problem:
    speed, radius = rng.randint(1, (3, 5, 8)[level]), rng.randint(2, (10, 15, 25)[level])
    if level < 2 or rng.random() < 0.5:
        shape, formula, rate, wrong = "circle", "A = πr²", 2 * radius * speed, radius * speed
        quantity, unit = "area", "cm²/s"
    else:
        shape, formula, rate, wrong = (
            "sphere",
            "V = (4/3)πr³",
            4 * radius * radius * speed,
            2 * radius * speed,
        )
        quantity, unit = "volume", "cm³/s"
    return Problem(
        text=f"The radius of a {shape} is increasing at {speed} cm/s. How fast is its {quantity}"
        f" increasing when the radius is {radius} cm?",
        answer=f"{pi_times(rate)} {unit}",
        distractors=(
            f"{pi_times(wrong)} {unit}",
            f"{pi_times(rate * 2)} {unit}",
            f"{pi_times(Fraction(rate, speed))} {unit}",
        ),
        steps=(
            f"{formula}.",
            f"d{quantity[0].upper()}/dt = {'2πr' if shape == 'circle' else '4πr²'} × dr/dt.",
            f"= {pi_times(rate)} {unit}.",
        ),
        topic="Rate of change",
    )


def _slope(rng: Random, level: int) -> Problem:
    coefficients = [nonzero(rng, (3, 5, 7)[level]) for _ in range(3 + (level > 0))]
    x0 = nonzero(rng, 3)
    degree = len(coefficients) - 1
    derivative = [c * (degree - i) for i, c in enumerate(coefficients[:-1])]
    value = sum(c * x0 ** (degree - 1 - i) for i, c in enumerate(derivative))
    curve_value = sum(c * x0 ** (degree - i) for i, c in enumerate(coefficients))
    return Problem(
        text=f"Find the slope of the tangent to the curve y = {poly(coefficients)} at x = {x0}.",
        answer=str(value),
        distractors=(str(curve_value), str(-value), str(value + coefficients[-2])),
        steps=(
            f"dy/dx = {poly(derivative)}.",
            f"At x = {x0}: dy/dx = {value}.",
            f"The slope of the tangent is {value}.",
        ),
        topic="Tangents",
    )


def _extremum(rng: Random, level: int) -> Problem:
    a = rng.randint(1, (2, 3, 5)[level])
    c = rng.randint(-10, 10)
    maximum = rng.random() < 0.5
    x0, value = (-a, 2 * a**3 + c) if maximum else (a, -2 * a**3 + c)
    other = -2 * a**3 + c if maximum else 2 * a**3 + c
    kind = "maximum" if maximum else "minimum"
    return Problem(
        text=f"Find the local {kind} value of f(x) = {poly([1, 0, -3 * a * a, c])}.",
        answer=str(value),
        distractors=(str(other), str(value + a), str(-value if value else 4), str(c)),
        steps=(
            f"f'(x) = 3x² - {3 * a * a} = 0 gives x = ±{a}.",
            f"f''(x) = 6x; f''({x0}) {'<' if maximum else '>'} 0, so x = {x0} gives a local "
            f"{kind}.",
            f"f({x0}) = {value}.",
        ),
        topic="Maxima and minima",
        claim=f"The local {kind} value of f(x) = {poly([1, 0, -3 * a * a, c])} is {{}}.",
        rule="If f'(c) = 0 and f''(c) < 0 then f has a local maximum at c, and if f''(c) > 0 a "
        "local minimum.",
        false_rule="If f'(c) = 0 and f''(c) < 0 then f has a local minimum at c, and if f''(c) > "
        "0 a local maximum.",
    )


def _increasing(rng: Random, level: int) -> Problem:
    a, b = nonzero(rng, (4, 8, 12)[level]), rng.randint(-9, 9)
    k = rng.randint(1, (1, 3, 5)[level])
    # f(x) = k(x² - 2ax) + b; f'(x) = 2k(x - a)
    f = poly([k, -2 * k * a, b])
    return Problem(
        text=f"Find the interval in which f(x) = {f} is strictly increasing.",
        answer=f"({a}, ∞)",
        distractors=(f"(-∞, {a})", f"({-a}, ∞)", f"(-∞, {-a})"),
        steps=(
            f"f'(x) = {poly([2 * k, -2 * k * a])} = {2 * k}(x - ({a})).",
            f"f'(x) > 0 exactly when x > {a}.",
            f"f is strictly increasing on ({a}, ∞).",
        ),
        topic="Increasing and decreasing functions",
    )


# ---- Integrals ----------------------------------------------------------------------------


def _antiderivative(coefficients: list[int]) -> list[Fraction]:
    degree = len(coefficients) - 1
    return [Fraction(c, degree - i + 1) for i, c in enumerate(coefficients)] + [Fraction(0)]


def _indefinite(rng: Random, level: int) -> Problem:
    coefficients = [nonzero(rng, (4, 6, 9)[level]) for _ in range(2 + level)]
    integral = _antiderivative(coefficients)
    degree = len(coefficients) - 1
    derivative = [c * (degree - i) for i, c in enumerate(coefficients[:-1])] or [0]
    return Problem(
        text=f"Find ∫ ({poly(coefficients)}) dx.",
        answer=f"{poly(integral)} + C",
        distractors=(
            f"{poly(derivative)} + C",
            f"{poly([*coefficients, 0])} + C",
            f"{poly([c * 2 for c in integral])} + C",
        ),
        steps=(
            "∫ xⁿ dx = xⁿ⁺¹/(n + 1) + C, term by term.",
            " ; ".join(
                f"∫ {poly([c] + [0] * (degree - i))} dx = "
                f"{poly([integral[i]] + [0] * (degree - i + 1))}"
                for i, c in enumerate(coefficients)
            )
            + ".",
            f"Answer: {poly(integral)} + C.",
        ),
        topic="Integration of polynomials",
    )


def _definite(rng: Random, level: int) -> Problem:
    coefficients = [rng.randint(-4, 6) or 1 for _ in range(2 + level)]
    low = rng.randint(-2, 1) if level else 0
    high = low + rng.randint(1, 3)
    integral = _antiderivative(coefficients)

    def at(x: int) -> Fraction:
        return sum(
            (c * Fraction(x) ** (len(integral) - 1 - i) for i, c in enumerate(integral)),
            Fraction(0),
        )

    value = at(high) - at(low)
    return Problem(
        text=f"Evaluate ∫ from {low} to {high} of ({poly(coefficients)}) dx.",
        answer=num(value),
        distractors=(
            num(-value if value else 1),
            num(at(high)) if low else num(value + 1),
            num(value * 2 or 2),
            num(value + Fraction(1, 2)),
        ),
        steps=(
            f"An antiderivative is F(x) = {poly(integral)}.",
            f"F({high}) = {num(at(high))}, F({low}) = {num(at(low))}.",
            f"Integral = F({high}) - F({low}) = {num(value)}.",
        ),
        topic="Definite integrals",
        claim=f"∫ from {low} to {high} of ({poly(coefficients)}) dx = {{}}.",
        rule="If F' = f on [a, b], then ∫ from a to b of f(x) dx = F(b) - F(a).",
        false_rule="If F' = f on [a, b], then ∫ from a to b of f(x) dx = F(a) - F(b).",
    )


def _standard(rng: Random, level: int) -> Problem:
    a = rng.randint(2, (5, 9, 15)[level])
    k = rng.randint(1, (1, 3, 6)[level])
    kind = rng.choice(("exp", "sin", "cos"))
    coefficient = Fraction(k, a)
    if kind == "exp":
        integrand, body, sign = f"e^({a}x)", f"e^({a}x)", 1
    elif kind == "sin":
        integrand, body, sign = f"sin {a}x", f"cos {a}x", -1
    else:
        integrand, body, sign = f"cos {a}x", f"sin {a}x", 1
    return Problem(
        text=f"Find ∫ {scaled(k, integrand)} dx.",
        answer=f"{scaled(sign * coefficient, body)} + C",
        distractors=(
            f"{scaled(-sign * coefficient, body)} + C",
            f"{scaled(sign * k * a, body)} + C",
            f"{scaled(sign * k, body)} + C",
        ),
        steps=(
            f"Substitute t = {a}x, so dx = dt/{a}.",
            f"∫ {scaled(k, integrand)} dx = ({num(coefficient)}) × (antiderivative in t).",
            f"= {scaled(sign * coefficient, body)} + C.",
        ),
        topic="Standard integrals",
    )


def _log_substitution(rng: Random, level: int) -> Problem:
    a, b = rng.randint(1, (3, 5, 8)[level]), rng.randint(-9, 9)
    c = rng.randint(1, 15)
    denominator = poly([a, b, c])
    numerator = poly([2 * a, b])
    return Problem(
        text=f"Find ∫ ({numerator})/({denominator}) dx.",
        answer=f"log|{denominator}| + C",
        distractors=(
            f"-1/({denominator}) + C",
            f"2 log|{denominator}| + C",
            f"({numerator}) log|{denominator}| + C",
        ),
        steps=(
            f"Let t = {denominator}; then dt = ({numerator}) dx.",
            "The integral becomes ∫ dt/t = log|t| + C.",
            f"= log|{denominator}| + C.",
        ),
        topic="Integration by substitution",
    )


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Continuity and Differentiability": templates(
        "XII.continuity", _power_chain, _trig_chain, _continuity
    ),
    "Applications of Derivatives": templates(
        "XII.derivatives", _rate, _slope, _extremum, _increasing
    ),
    "Integrals": templates("XII.integrals", _indefinite, _definite, _standard, _log_substitution),
}

__all__ = ["TEMPLATES", "nonzero", "scaled"]
