"""Parameterised practice problems, one family per chapter, with computed answers.

Each family draws small integer parameters and returns the question text, the exact answer as a
string and wrong answers a student plausibly gives (sign slips, off-by-one terms, forgotten
factors), which become MCQ distractors and the wrong answers of numeric questions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

Problem = tuple[str, str, list[str]]
Family = Callable[[np.random.Generator], Problem]


def _fmt(value: float | Fraction | int) -> str:
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return str(int(value))


def _wrongs(answer: str, candidates: list[float | Fraction | int]) -> list[str]:
    """Three distinct wrong answers: the plausible slips first, then nearby numbers."""
    out: list[str] = []
    for candidate in candidates:
        text = _fmt(candidate)
        if text != answer and text not in out:
            out.append(text)
    step = 1
    while len(out) < 3:
        try:
            base = float(Fraction(answer))
        except ValueError:
            base = 0.0
        for text in (_fmt(base + step), _fmt(base - step)):
            if text != answer and text not in out and len(out) < 3:
                out.append(text)
        step += 1
    return out[:3]


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def real_numbers(rng: np.random.Generator) -> Problem:
    p, q, r = (int(v) for v in rng.choice([2, 3, 5, 7], size=3))
    a, b = p * q * _int(rng, 1, 4), p * r * _int(rng, 1, 4)
    if a == b:  # an HCF of a number with itself teaches nothing
        b += p
    hcf, lcm = math.gcd(a, b), a * b // math.gcd(a, b)
    return f"Find the HCF of {a} and {b}.", str(hcf), _wrongs(str(hcf), [lcm, hcf * 2, 1])


def polynomials(rng: np.random.Generator) -> Problem:
    r1, r2 = _int(rng, -6, 6), _int(rng, 1, 7)
    s, p = r1 + r2, r1 * r2
    text = f"For the polynomial x^2 - ({s})x + ({p}), find the sum of its zeroes."
    return text, str(s), _wrongs(str(s), [-s, p, -p])


def linear_pair(rng: np.random.Generator) -> Problem:
    x, y = _int(rng, -5, 8), _int(rng, -5, 8)
    a, b = _int(rng, 1, 5), _int(rng, 1, 5)
    text = f"Solve x + y = {x + y} and {a}x - {b}y = {a * x - b * y}. Find x."
    return text, str(x), _wrongs(str(x), [y, -x, x + y])


def quadratic(rng: np.random.Generator) -> Problem:
    a, b, c = _int(rng, 1, 4), _int(rng, -9, 9), _int(rng, -6, 6)
    d = b * b - 4 * a * c
    text = f"Find the discriminant of {a}x^2 + ({b})x + ({c}) = 0."
    return text, str(d), _wrongs(str(d), [b * b + 4 * a * c, b * b - 2 * a * c, -d])


def progressions(rng: np.random.Generator) -> Problem:
    a, d, n = _int(rng, -5, 12), _int(rng, 2, 7), _int(rng, 8, 25)
    text = f"An AP has first term {a} and common difference {d}. Find its term number {n}."
    answer = a + (n - 1) * d
    return text, str(answer), _wrongs(str(answer), [a + n * d, a + (n - 2) * d, n * d])


def coordinates(rng: np.random.Generator) -> Problem:
    dx, dy = (int(v) for v in rng.choice([(3, 4), (6, 8), (5, 12), (8, 15), (9, 12)]))
    x, y = _int(rng, -5, 5), _int(rng, -5, 5)
    dist = math.isqrt(dx * dx + dy * dy)
    text = f"Find the distance between ({x}, {y}) and ({x + dx}, {y + dy})."
    return text, str(dist), _wrongs(str(dist), [dx + dy, dist * dist, abs(dx - dy)])


def triangles(rng: np.random.Generator) -> Problem:
    k = _int(rng, 2, 5)
    legs = (3 * k, 4 * k) if rng.random() < 0.5 else (5 * k, 12 * k)
    hyp = math.isqrt(legs[0] ** 2 + legs[1] ** 2)
    text = f"A right triangle has legs {legs[0]} cm and {legs[1]} cm. Find its hypotenuse in cm."
    return text, str(hyp), _wrongs(str(hyp), [legs[0] + legs[1], hyp + k, hyp - k])


def circles(rng: np.random.Generator) -> Problem:
    r, t = (int(v) for v in rng.choice([(5, 12), (8, 15), (6, 8), (9, 12), (7, 24)]))
    d = math.isqrt(r * r + t * t)
    text = f"From a point {d} cm from the centre of a circle of radius {r} cm, find the tangent."
    return text, str(t), _wrongs(str(t), [d - r, d + r, r])


def trig_ratios(rng: np.random.Generator) -> Problem:
    angle = int(rng.choice([0, 30, 45, 60, 90]))
    values = {0: "0", 30: "1/2", 45: "1/sqrt(2)", 60: "sqrt(3)/2", 90: "1"}
    answer = values[angle]
    wrongs = [v for k, v in values.items() if k != angle][:3]
    return f"Find the exact value of sin {angle} degrees.", answer, wrongs


def heights(rng: np.random.Generator) -> Problem:
    distance = _int(rng, 2, 12) * 10
    text = f"From {distance} m away, the top of a tower is seen at 45 degrees. Find its height (m)."
    return text, str(distance), _wrongs(str(distance), [distance * 2, distance // 2, distance + 10])


def circle_areas(rng: np.random.Generator) -> Problem:
    r, angle = 7 * _int(rng, 1, 3), int(rng.choice([60, 90, 120, 180]))
    area = Fraction(22, 7) * r * r * Fraction(angle, 360)
    text = f"Find the area of a sector of radius {r} cm and angle {angle} degrees (pi = 22/7)."
    return text, _fmt(area), _wrongs(_fmt(area), [area * 2, Fraction(22, 7) * r * r, area / 2])


def solids(rng: np.random.Generator) -> Problem:
    r, h = 7 * _int(rng, 1, 2), _int(rng, 3, 10)
    volume = Fraction(22, 7) * r * r * h
    text = f"Find the volume (cm^3) of a cylinder of radius {r} cm and height {h} cm (pi = 22/7)."
    return text, _fmt(volume), _wrongs(_fmt(volume), [volume / 3, volume * 2, 2 * 22 * r * h / 7])


def statistics(rng: np.random.Generator) -> Problem:
    values = [int(v) for v in rng.integers(2, 20, size=4)]
    freqs = [int(v) for v in rng.integers(1, 6, size=4)]
    mean = Fraction(sum(v * f for v, f in zip(values, freqs, strict=True)), sum(freqs))
    table = ", ".join(f"{v} (f={f})" for v, f in zip(values, freqs, strict=True))
    text = f"Find the mean of the distribution {table}."
    plain = Fraction(sum(values), 4)
    return text, _fmt(mean), _wrongs(_fmt(mean), [plain, mean + 1, sum(values)])


def probability(rng: np.random.Generator) -> Problem:
    target = _int(rng, 2, 12)
    ways = 6 - abs(7 - target)
    p = Fraction(ways, 36)
    text = f"Two dice are thrown. Find the probability that the sum is {target}."
    return text, _fmt(p), _wrongs(_fmt(p), [Fraction(ways, 6), Fraction(1, 11), 1 - p])


def relations(rng: np.random.Generator) -> Problem:
    n = _int(rng, 2, 5)
    answer = 2 ** (n * n)
    text = f"How many relations are there on a set with {n} elements?"
    return text, str(answer), _wrongs(str(answer), [n * n, 2**n, n ** (2 * n)])


def inverse_trig(rng: np.random.Generator) -> Problem:
    values = {"1/2": "pi/6", "1": "pi/2", "sqrt(3)/2": "pi/3", "1/sqrt(2)": "pi/4"}
    arg = str(rng.choice(list(values)))
    answer = values[arg]
    wrongs = [v for v in ("pi/6", "pi/3", "pi/4", "pi/2", "2pi/3") if v != answer][:3]
    return f"Find the principal value of arcsin({arg}).", answer, wrongs


def matrices(rng: np.random.Generator) -> Problem:
    a, b, c, d = (_int(rng, -4, 6) for _ in range(4))
    e, f = _int(rng, -3, 4), _int(rng, -3, 4)
    top = a * e + b * f
    text = f"If A = [[{a}, {b}], [{c}, {d}]] and X = [[{e}], [{f}]], find the first entry of AX."
    return text, str(top), _wrongs(str(top), [a * e + c * f, a * f + b * e, a * e - b * f])


def determinants(rng: np.random.Generator) -> Problem:
    a, b, c, d = (_int(rng, -5, 7) for _ in range(4))
    det = a * d - b * c
    text = f"Evaluate the determinant |{a} {b}; {c} {d}|."
    return text, str(det), _wrongs(str(det), [a * d + b * c, b * c - a * d, a * b - c * d])


def continuity(rng: np.random.Generator) -> Problem:
    a, n = _int(rng, 2, 6), _int(rng, 2, 5)
    x = _int(rng, 1, 3)
    answer = a * n * x ** (n - 1)
    text = f"Differentiate y = {a}x^{n} and evaluate dy/dx at x = {x}."
    return text, str(answer), _wrongs(str(answer), [a * x**n, a * (n - 1) * x**n, n * x ** (n - 1)])


def derivative_applications(rng: np.random.Generator) -> Problem:
    perimeter = 4 * _int(rng, 3, 15)
    side = perimeter // 4
    text = f"A rectangle has perimeter {perimeter} cm. Find its maximum possible area in cm^2."
    answer = side * side
    return text, str(answer), _wrongs(str(answer), [perimeter, side * side * 2, side * (side + 1)])


def integrals(rng: np.random.Generator) -> Problem:
    k, upper = _int(rng, 1, 4), _int(rng, 1, 4)
    value = Fraction(k * upper**3, 3)
    text = f"Evaluate the definite integral of {k}x^2 from 0 to {upper}."
    answer = _fmt(value)
    return text, answer, _wrongs(answer, [k * upper**3, k * upper**2, Fraction(k * upper**3, 2)])


def integral_areas(rng: np.random.Generator) -> Problem:
    a = _int(rng, 1, 6)
    area = Fraction(a**3, 6)
    text = f"Find the area enclosed between y = x^2 and y = {a}x."
    return text, _fmt(area), _wrongs(_fmt(area), [Fraction(a**3, 3), Fraction(2 * a * a, 3), a * a])


def differential_equations(rng: np.random.Generator) -> Problem:
    order = _int(rng, 1, 3)
    power = _int(rng, 1, 4)
    text = f"Find the degree of (d^{order}y/dx^{order})^{power} + y = x."
    return text, str(power), _wrongs(str(power), [order, power + order, power + 1])


def vectors(rng: np.random.Generator) -> Problem:
    u = [_int(rng, -4, 5) for _ in range(3)]
    v = [_int(rng, -4, 5) for _ in range(3)]
    dot = sum(x * y for x, y in zip(u, v, strict=True))
    text = f"Find the dot product of ({u[0]}, {u[1]}, {u[2]}) and ({v[0]}, {v[1]}, {v[2]})."
    return text, str(dot), _wrongs(str(dot), [-dot, sum(u) * sum(v), dot + u[0]])


def space_lines(rng: np.random.Generator) -> Problem:
    a, b, c = (int(v) for v in rng.choice([(1, 2, 2), (2, 3, 6), (1, 4, 8), (2, 6, 9)]))
    norm = math.isqrt(a * a + b * b + c * c)
    answer = _fmt(Fraction(a, norm))
    text = f"A line has direction ratios {a}, {b}, {c}. Find its first direction cosine."
    return text, answer, _wrongs(answer, [Fraction(a, a + b + c), Fraction(b, norm), a])


def linear_programming(rng: np.random.Generator) -> Problem:
    p, q, m = _int(rng, 2, 9), _int(rng, 2, 9), _int(rng, 4, 12)
    best = max(p, q) * m
    text = f"Maximise Z = {p}x + {q}y subject to x + y <= {m}, x >= 0, y >= 0."
    return text, str(best), _wrongs(str(best), [min(p, q) * m, (p + q) * m, 0])


def bayes(rng: np.random.Generator) -> Problem:
    a, b = _int(rng, 1, 5), _int(rng, 1, 5)
    total = a + b + _int(rng, 1, 4)
    p = Fraction(a, total) * Fraction(b, total)
    text = f"P(A) = {a}/{total}, P(B) = {b}/{total}, A and B independent. Find P(A and B)."
    return text, _fmt(p), _wrongs(_fmt(p), [Fraction(a + b, total), Fraction(a * b, total), 0])


FAMILIES: dict[str, Family] = {
    "M10.NS.REAL": real_numbers,
    "M10.ALG.POLY": polynomials,
    "M10.ALG.LIN": linear_pair,
    "M10.ALG.QE": quadratic,
    "M10.ALG.AP": progressions,
    "M10.CG.COORD": coordinates,
    "M10.GEO.TRI": triangles,
    "M10.GEO.CIRC": circles,
    "M10.TRIG.INTRO": trig_ratios,
    "M10.TRIG.APP": heights,
    "M10.MENS.AREA": circle_areas,
    "M10.MENS.SAV": solids,
    "M10.SP.STAT": statistics,
    "M10.SP.PROB": probability,
    "M12.RF.REL": relations,
    "M12.RF.ITF": inverse_trig,
    "M12.ALG.MAT": matrices,
    "M12.ALG.DET": determinants,
    "M12.CAL.CD": continuity,
    "M12.CAL.AOD": derivative_applications,
    "M12.CAL.INT": integrals,
    "M12.CAL.AOI": integral_areas,
    "M12.CAL.DE": differential_equations,
    "M12.V3D.VEC": vectors,
    "M12.V3D.3D": space_lines,
    "M12.LP.LPP": linear_programming,
    "M12.PROB.PROB": bayes,
}
