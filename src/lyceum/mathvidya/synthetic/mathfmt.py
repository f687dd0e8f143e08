"""Exact arithmetic written the way a CBSE paper writes it: fractions, surds, multiples of π,
polynomials with superscript powers, matrices.

Answers are computed with `Fraction` and integer surds, never floats, so an MCQ's correct
option is exactly right and can never collide with a distractor through rounding.
"""

# ruff: noqa: RUF001, RUF002 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Number = int | Fraction

# Primitive (a, b, c) with a² + b² = c², for answers that come out whole.
TRIPLES = (
    (3, 4, 5),
    (5, 12, 13),
    (8, 15, 17),
    (7, 24, 25),
    (20, 21, 29),
    (9, 40, 41),
    (12, 35, 37),
)
# (a, b, c, d) with a² + b² + c² = d²: vectors of whole length.
QUADRUPLES = ((1, 2, 2, 3), (2, 3, 6, 7), (1, 4, 8, 9), (4, 4, 7, 9), (2, 6, 9, 11), (6, 6, 7, 11))

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def sup(power: int) -> str:
    return str(power).translate(_SUPERSCRIPTS)


def num(value: Number) -> str:
    """An integer, or a fraction in lowest terms ("-3/4")."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def dec(value: Number, places: int = 2) -> str:
    """A terminating decimal shown exactly ("115.5"), anything else rounded half up."""
    value = Fraction(value)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    quantum = Decimal(1).scaleb(-places)
    text = format(exact.quantize(quantum, rounding=ROUND_HALF_UP), "f")
    if (value * 10**places).denominator == 1 and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def square_free(n: int) -> tuple[int, int]:
    """(outside, inside) with outside² · inside = n and inside square-free."""
    if n < 0:
        raise ValueError("square_free needs a non-negative number")
    outside, inside, factor = 1, n, 2
    while factor * factor <= inside:
        while inside % (factor * factor) == 0:
            inside //= factor * factor
            outside *= factor
        factor += 1
    return outside, inside


def surd(coefficient: Number, radicand: int) -> str:
    """coefficient · √radicand, simplified: "2√3", "√3/2", "-3√2/4", "5"."""
    outside, inside = square_free(radicand)
    value = Fraction(coefficient) * outside
    if inside == 1 or value == 0:
        return num(value)
    sign = "-" if value < 0 else ""
    top = abs(value.numerator)
    head = f"{top}√{inside}" if top != 1 else f"√{inside}"
    return f"{sign}{head}" if value.denominator == 1 else f"{sign}{head}/{value.denominator}"


def pi_times(value: Number) -> str:
    """value · π: "π/6", "-2π/3", "π", "0"."""
    value = Fraction(value)
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    top = abs(value.numerator)
    head = "π" if top == 1 else f"{top}π"
    return f"{sign}{head}" if value.denominator == 1 else f"{sign}{head}/{value.denominator}"


def term(coefficient: Number, variable: str, first: bool) -> str:
    """One signed term of a sum ("+ 3x", "- x", "-2y" first); empty for a zero coefficient."""
    coefficient = Fraction(coefficient)
    if coefficient == 0:
        return ""
    magnitude = abs(coefficient)
    if variable and magnitude == 1:
        body = variable
    elif variable and magnitude.denominator != 1:
        body = f"({num(magnitude)}){variable}"
    else:
        body = f"{num(magnitude)}{variable}"
    if first:
        return f"-{body}" if coefficient < 0 else body
    return f" - {body}" if coefficient < 0 else f" + {body}"


def combine(terms: Sequence[tuple[Number, str]]) -> str:
    """A sum of (coefficient, variable) terms, zero terms left out; "0" if all vanish."""
    parts: list[str] = []
    for coefficient, variable in terms:
        piece = term(coefficient, variable, first=not parts)
        if piece:
            parts.append(piece)
    return "".join(parts) or "0"


def poly(coefficients: Sequence[Number], variable: str = "x") -> str:
    """A polynomial from its coefficients, highest power first: [3, -5, 2] → "3x² - 5x + 2"."""
    degree = len(coefficients) - 1
    terms = []
    for index, coefficient in enumerate(coefficients):
        power = degree - index
        name = "" if power == 0 else variable if power == 1 else f"{variable}{sup(power)}"
        terms.append((coefficient, name))
    return combine(terms)


def matrix(rows: Sequence[Sequence[Number]]) -> str:
    return "[" + ", ".join("[" + ", ".join(num(v) for v in row) + "]" for row in rows) + "]"


def det2(m: Sequence[Sequence[int]]) -> int:
    return m[0][0] * m[1][1] - m[0][1] * m[1][0]


def det3(m: Sequence[Sequence[int]]) -> int:
    return (
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    )


def factorise(n: int) -> str:
    """Prime factorisation with powers: 360 → "2³ × 3² × 5"."""
    parts = []
    factor = 2
    while factor * factor <= n:
        power = 0
        while n % factor == 0:
            n //= factor
            power += 1
        if power:
            parts.append(f"{factor}{sup(power)}" if power > 1 else str(factor))
        factor += 1
    if n > 1:
        parts.append(str(n))
    return " × ".join(parts)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def point(*coordinates: Number) -> str:
    return "(" + ", ".join(num(c) for c in coordinates) + ")"


def vector(x: int, y: int, z: int) -> str:
    """x î + y ĵ + z k̂ with the usual signs."""
    return combine([(x, "î"), (y, "ĵ"), (z, "k̂")])


__all__ = [
    "QUADRUPLES",
    "TRIPLES",
    "Number",
    "combine",
    "dec",
    "det2",
    "det3",
    "factorise",
    "matrix",
    "num",
    "ordinal",
    "pi_times",
    "point",
    "poly",
    "square_free",
    "sup",
    "surd",
    "term",
    "vector",
]
