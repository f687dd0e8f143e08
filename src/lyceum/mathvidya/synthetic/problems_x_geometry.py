"""Class X, units Coordinate Geometry, Geometry and Trigonometry."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

from fractions import Fraction
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import TRIPLES, combine, dec, num, point, surd
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates


def _length(value: Fraction | int, unit: str = "cm") -> str:
    return f"{dec(value)} {unit}"


def _triple(rng: Random, level: int) -> tuple[int, int, int]:
    a, b, c = rng.choice(TRIPLES[: (3, 5, 7)[level]])
    k = rng.randint(1, (3, 4, 5)[level])
    return (a * k, b * k, c * k) if rng.random() < 0.5 else (b * k, a * k, c * k)


# ---- Coordinate Geometry ------------------------------------------------------------------


def _distance(rng: Random, level: int) -> Problem:
    x1, y1 = rng.randint(-8, 8), rng.randint(-8, 8)
    if level == 0 or rng.random() < 0.5:
        dx, dy, _ = _triple(rng, level)
    else:
        dx, dy = rng.randint(1, 9), rng.randint(1, 9)
    dx, dy = dx * rng.choice((-1, 1)), dy * rng.choice((-1, 1))
    x2, y2 = x1 + dx, y1 + dy
    squared = dx * dx + dy * dy
    return Problem(
        text=f"Find the distance between the points {point(x1, y1)} and {point(x2, y2)}.",
        answer=f"{surd(1, squared)} units",
        distractors=(
            f"{abs(dx) + abs(dy)} units",
            f"{surd(1, abs(dx * dx - dy * dy)) if dx * dx != dy * dy else 2 * abs(dx)} units",
            f"{surd(1, (x1 + x2) ** 2 + (y1 + y2) ** 2 or 1)} units",
            f"{squared} units",
        ),
        steps=(
            "Distance = √[(x₂ - x₁)² + (y₂ - y₁)²].",
            f"= √[({dx})² + ({dy})²] = √{squared}.",
            f"= {surd(1, squared)} units.",
        ),
        topic="Distance formula",
        claim=f"The distance between {point(x1, y1)} and {point(x2, y2)} is {{}}.",
        rule="The distance between (x₁, y₁) and (x₂, y₂) is √[(x₂ - x₁)² + (y₂ - y₁)²].",
        false_rule="The distance between (x₁, y₁) and (x₂, y₂) is |x₂ - x₁| + |y₂ - y₁|.",
    )


def _section(rng: Random, level: int) -> Problem:
    m, n = rng.randint(1, (3, 4, 6)[level]), rng.randint(1, (3, 4, 6)[level])
    if m == n:
        n += 1
    x1, y1 = rng.randint(-9, 9), rng.randint(-9, 9)
    tx, ty = rng.randint(-3, 3) or 1, rng.randint(-3, 3) or -1
    x2, y2 = x1 + (m + n) * tx, y1 + (m + n) * ty
    px, py = x1 + m * tx, y1 + m * ty
    return Problem(
        text=f"Find the coordinates of the point which divides the line segment joining"
        f" A{point(x1, y1)} and B{point(x2, y2)} internally in the ratio {m} : {n}.",
        answer=point(px, py),
        distractors=(
            point(x1 + n * tx, y1 + n * ty),
            point(Fraction(x1 + x2, 2), Fraction(y1 + y2, 2)),
            point(px, -py),
            point(py, px),
        ),
        steps=(
            "P = ((m x₂ + n x₁)/(m + n), (m y₂ + n y₁)/(m + n)).",
            f"x = ({m} × {x2} + {n} × {x1})/{m + n} = {px}; y = ({m} × {y2} + {n} × {y1})/{m + n} "
            f"= {py}.",
            f"P = {point(px, py)}.",
        ),
        topic="Section formula",
    )


def _other_end(rng: Random, level: int) -> Problem:
    ax, ay = rng.randint(-(6, 10, 15)[level], (6, 10, 15)[level]), rng.randint(-9, 9)
    mx, my = rng.randint(-(6, 10, 15)[level], (6, 10, 15)[level]), rng.randint(-9, 9)
    bx, by = 2 * mx - ax, 2 * my - ay
    return Problem(
        text=f"M{point(mx, my)} is the mid-point of the line segment AB. If A is {point(ax, ay)},"
        " find the coordinates of B.",
        answer=point(bx, by),
        distractors=(
            point(mx - ax, my - ay),
            point(Fraction(ax + mx, 2), Fraction(ay + my, 2)),
            point(2 * ax - mx, 2 * ay - my),
            point(bx, -by),
        ),
        steps=(
            "The mid-point of A(x₁, y₁) and B(x₂, y₂) is ((x₁ + x₂)/2, (y₁ + y₂)/2).",
            f"({ax} + x)/2 = {mx} and ({ay} + y)/2 = {my}.",
            f"x = {bx}, y = {by}: B is {point(bx, by)}.",
        ),
        topic="Mid-point formula",
    )


_EQUAL_SUMS = (
    ((3, 4), (5, 0)),
    ((1, 7), (5, 5)),
    ((1, 8), (4, 7)),
    ((2, 9), (6, 7)),
    ((6, 8), (0, 10)),
)


def _equidistant(rng: Random, level: int) -> Problem:
    (p, q), (r, s) = rng.choice(_EQUAL_SUMS[: (2, 4, 5)[level]])
    if rng.random() < 0.5:
        (p, q), (r, s) = (q, p), (s, r)
    p, r = p * rng.choice((-1, 1)), r * rng.choice((-1, 1))
    if p == r:
        r = -r
    if p == r:
        (p, q), (r, s) = (q, p), (s, r)
    x0 = rng.randint(-6, 6)
    a, b = (x0 + p, q * rng.choice((-1, 1))), (x0 + r, s * rng.choice((-1, 1)))
    return Problem(
        text=f"Find the point on the x-axis which is equidistant from {point(*a)} and {point(*b)}.",
        answer=point(x0, 0),
        distractors=(
            point(0, x0),
            point(-x0, 0),
            point(x0 + 1, 0),
            point(Fraction(a[0] + b[0], 2), 0),
        ),
        steps=(
            "Let the point be P(x, 0) with PA² = PB².",
            f"(x - ({a[0]}))² + {a[1] ** 2} = (x - ({b[0]}))² + {b[1] ** 2}.",
            f"Expanding, the x² terms cancel: {combine([(2 * (b[0] - a[0]), 'x')])} = "
            f"{b[0] ** 2 + b[1] ** 2 - a[0] ** 2 - a[1] ** 2}.",
            f"x = {x0}: the point is {point(x0, 0)}.",
        ),
        topic="Distance formula",
    )


# ---- Triangles ----------------------------------------------------------------------------


def _bpt(rng: Random, level: int) -> Problem:
    ad, db = rng.randint(2, (6, 9, 12)[level]), rng.randint(2, (6, 9, 12)[level])
    ae = ad * rng.randint(1, 3) if level == 0 else rng.randint(2, 15)
    ec = Fraction(db * ae, ad)
    return Problem(
        text=f"In triangle ABC, D and E are points on AB and AC such that DE ∥ BC."
        f" If AD = {ad} cm, DB = {db} cm and AE = {ae} cm, find EC.",
        answer=_length(ec),
        distractors=(
            _length(Fraction(ad * ae, db)),
            _length(Fraction(ad * db, ae)),
            _length(ec + 1),
            _length(ae + db - ad if ae + db - ad > 0 else ec * 2),
        ),
        steps=(
            "By the basic proportionality theorem, AD/DB = AE/EC.",
            f"{ad}/{db} = {ae}/EC.",
            f"EC = {db} × {ae}/{ad} = {_length(ec)}.",
        ),
        topic="Basic proportionality theorem",
        claim=f"If AD = {ad} cm, DB = {db} cm and AE = {ae} cm with DE ∥ BC, then EC = {{}}.",
        rule="A line parallel to one side of a triangle divides the other two sides in the same "
        "ratio.",
        false_rule="A line parallel to one side of a triangle bisects the other two sides.",
    )


def _shadow(rng: Random, level: int) -> Problem:
    pole = rng.randint(2, (6, 10, 15)[level])
    shadow = rng.randint(2, (8, 12, 20)[level])
    tower_shadow = shadow * rng.randint(3, (8, 15, 25)[level]) + (
        0 if level < 2 else rng.randint(1, 5)
    )
    height = Fraction(pole * tower_shadow, shadow)
    return Problem(
        text=f"A vertical pole {pole} m high casts a shadow {shadow} m long on the ground. At the"
        f" same time a tower casts a shadow {tower_shadow} m long. Find the height of the tower.",
        answer=_length(height, "m"),
        distractors=(
            _length(Fraction(shadow * tower_shadow, pole), "m"),
            _length(tower_shadow - shadow + pole, "m"),
            _length(height * 2, "m"),
        ),
        steps=(
            "The pole, the tower and their shadows form similar triangles (same sun angle).",
            f"height/{tower_shadow} = {pole}/{shadow}.",
            f"height = {pole} × {tower_shadow}/{shadow} = {_length(height, 'm')}.",
        ),
        topic="Similar triangles",
    )


def _area_ratio(rng: Random, level: int) -> Problem:
    s1, s2 = rng.randint(2, (5, 8, 12)[level]), rng.randint(2, (5, 8, 12)[level])
    if s1 == s2:
        s2 += 1
    k = rng.randint(1, (4, 6, 9)[level])
    area1, area2 = s1 * s1 * k, s2 * s2 * k
    return Problem(
        text=f"Triangle ABC is similar to triangle PQR with AB = {s1} cm and PQ = {s2} cm. If the"
        f" area of triangle ABC is {area1} cm², find the area of triangle PQR.",
        answer=f"{area2} cm²",
        distractors=(
            f"{dec(Fraction(area1 * s2, s1))} cm²",
            f"{area1} cm²",
            f"{dec(Fraction(area1 * s2**3, s1**3))} cm²",
        ),
        steps=(
            "The ratio of the areas of similar triangles is the square of the ratio of "
            "corresponding sides.",
            f"ar(PQR)/ar(ABC) = ({s2}/{s1})² = {s2 * s2}/{s1 * s1}.",
            f"ar(PQR) = {area1} × {s2 * s2}/{s1 * s1} = {area2} cm².",
        ),
        topic="Areas of similar triangles",
        claim=f"If ΔABC ~ ΔPQR, AB = {s1} cm, PQ = {s2} cm and ar(ABC) = {area1} cm², then "
        "ar(PQR) = {}.",
        rule="The ratio of the areas of two similar triangles is the square of the ratio of their "
        "corresponding sides.",
        false_rule="The ratio of the areas of two similar triangles equals the ratio of their "
        "corresponding sides.",
    )


# ---- Circles ------------------------------------------------------------------------------


def _tangent(rng: Random, level: int) -> Problem:
    r, t, d = _triple(rng, level)
    return Problem(
        text=f"A point P is {d} cm from the centre of a circle of radius {r} cm."
        " Find the length of the tangent drawn from P to the circle.",
        answer=f"{t} cm",
        distractors=(f"{d - r} cm", f"{surd(1, d * d + r * r)} cm", f"{d + r} cm", f"{r} cm"),
        steps=(
            "The tangent is perpendicular to the radius at the point of contact, so OQ ⊥ PQ.",
            f"PQ² = OP² - OQ² = {d * d} - {r * r} = {t * t}.",
            f"PQ = {t} cm.",
        ),
        topic="Tangent to a circle",
        claim=f"The tangent from a point {d} cm from the centre of a circle of radius {r} cm is "
        "{} long.",
        rule="The tangent at any point of a circle is perpendicular to the radius through the "
        "point of contact.",
        false_rule="The tangent at any point of a circle is parallel to the radius through the "
        "point of contact.",
    )


def _tangent_angle(rng: Random, level: int) -> Problem:
    theta = rng.choice(range(20, 160, (10, 5, 2)[level]))
    return Problem(
        text=f"PA and PB are tangents from an external point P to a circle with centre O."
        f" If ∠APB = {theta}°, find ∠AOB.",
        answer=f"{180 - theta}°",
        distractors=(f"{theta}°", f"{90 - theta // 2}°", f"{180 - theta // 2}°", f"{360 - theta}°"),
        steps=(
            "∠OAP = ∠OBP = 90° (tangent ⊥ radius).",
            "The angles of quadrilateral OAPB add up to 360°.",
            f"∠AOB = 360° - 90° - 90° - {theta}° = {180 - theta}°.",
        ),
        topic="Tangents from an external point",
    )


def _concentric(rng: Random, level: int) -> Problem:
    b, h, a = _triple(rng, level)
    return Problem(
        text=f"Two concentric circles have radii {a} cm and {b} cm. Find the length of the chord"
        " of the larger circle which touches the smaller circle.",
        answer=f"{2 * h} cm",
        distractors=(f"{h} cm", f"{2 * (a - b)} cm", f"{surd(2, a * a + b * b)} cm"),
        steps=(
            "The chord touches the smaller circle, so the radius to the point of contact bisects "
            "it at right angles.",
            f"Half the chord = √({a}² - {b}²) = {h} cm.",
            f"Chord = 2 × {h} = {2 * h} cm.",
        ),
        topic="Tangent to a circle",
    )


def _circumscribed(rng: Random, level: int) -> Problem:
    # Tangent lengths from the four vertices: AB = w + x, BC = x + y, CD = y + z, DA = z + w.
    w, x, y, z = (rng.randint(2, (6, 10, 15)[level]) for _ in range(4))
    ab, bc, cd, da = w + x, x + y, y + z, z + w
    return Problem(
        text=f"A quadrilateral ABCD is drawn to circumscribe a circle. If AB = {ab} cm,"
        f" BC = {bc} cm and CD = {cd} cm, find AD.",
        answer=f"{da} cm",
        distractors=(
            f"{ab + cd} cm",
            f"{bc + cd - ab if bc + cd > ab else ab + bc} cm",
            f"{da + 2} cm",
        ),
        steps=(
            "Tangents drawn from an external point to a circle are equal in length.",
            "Adding the four pairs of equal tangents: AB + CD = AD + BC.",
            f"AD = {ab} + {cd} - {bc} = {da} cm.",
        ),
        topic="Tangents from an external point",
        claim=f"If ABCD circumscribes a circle with AB = {ab} cm, BC = {bc} cm and CD = {cd} cm,"
        " then AD = {}.",
        rule="The lengths of the tangents drawn from an external point to a circle are equal.",
        false_rule="The lengths of the tangents drawn from an external point to a circle are"
        " proportional to its distance from the centre.",
    )


# ---- Introduction to Trigonometry ---------------------------------------------------------

_RATIOS = ("sin", "cos", "tan", "cosec", "sec", "cot")


def _ratio_values(p: int, b: int, h: int) -> dict[str, Fraction]:
    return {
        "sin": Fraction(p, h),
        "cos": Fraction(b, h),
        "tan": Fraction(p, b),
        "cosec": Fraction(h, p),
        "sec": Fraction(h, b),
        "cot": Fraction(b, p),
    }


def _ratio(rng: Random, level: int) -> Problem:
    p, b, h = rng.choice(TRIPLES[: (3, 5, 7)[level]])
    if rng.random() < 0.5:
        p, b = b, p
    values = _ratio_values(p, b, h)
    given, asked = rng.sample(_RATIOS[: (3, 6, 6)[level]], 2)
    others = [num(v) for name, v in values.items() if name not in (given, asked)]
    return Problem(
        text=f"If {given} A = {num(values[given])}, where A is acute, find {asked} A.",
        answer=num(values[asked]),
        distractors=(num(1 / values[asked]), *others),
        steps=(
            f"Draw a right triangle with {given} A = {num(values[given])}.",
            f"By Pythagoras the sides are {p} (opposite A), {b} (adjacent) and {h} (hypotenuse).",
            f"{asked} A = {num(values[asked])}.",
        ),
        topic="Trigonometric ratios",
    )


_VALUES = {
    "sin 30°": Fraction(1, 2), "cos 60°": Fraction(1, 2), "tan 45°": Fraction(1),
    "sin 90°": Fraction(1), "cos 0°": Fraction(1), "sec 60°": Fraction(2),
    "cosec 30°": Fraction(2), "cot 45°": Fraction(1), "sin²45°": Fraction(1, 2),
    "cos²45°": Fraction(1, 2), "sin²60°": Fraction(3, 4), "cos²30°": Fraction(3, 4),
    "sin²30°": Fraction(1, 4), "cos²60°": Fraction(1, 4), "tan²60°": Fraction(3),
    "cot²30°": Fraction(3), "tan²30°": Fraction(1, 3), "cot²60°": Fraction(1, 3),
    "sec²45°": Fraction(2), "cosec²45°": Fraction(2), "sec²30°": Fraction(4, 3),
    "cosec²60°": Fraction(4, 3),
}  # fmt: skip


def _evaluate(rng: Random, level: int) -> Problem:
    names = rng.sample(sorted(_VALUES), 2 + level)
    coefficients = [rng.choice((1, 2, 3, 4, -1, -2)) for _ in names]
    coefficients[0] = abs(coefficients[0])
    value = sum(c * _VALUES[n] for c, n in zip(coefficients, names, strict=True))
    flipped = value - 2 * coefficients[-1] * _VALUES[names[-1]]
    expression = combine(
        [(c, f" {n}" if abs(c) != 1 else n) for c, n in zip(coefficients, names, strict=True)]
    )
    return Problem(
        text=f"Evaluate: {expression}",
        answer=num(value),
        distractors=(num(flipped), num(value + Fraction(1, 2)), num(value - 1), num(-value)),
        steps=(
            "; ".join(f"{n} = {num(_VALUES[n])}" for n in names) + ".",
            "Substituting: "
            + " + ".join(
                f"({c})({num(_VALUES[n])})" for c, n in zip(coefficients, names, strict=True)
            )
            + ".",
            f"= {num(value)}.",
        ),
        topic="Trigonometric ratios of specific angles",
    )


def _sec_tan(rng: Random, level: int) -> Problem:
    top = rng.randint(2, (6, 12, 20)[level])
    bottom = rng.randint(1, top - 1)
    value = Fraction(top, bottom)
    return Problem(
        text=f"If sec θ + tan θ = {num(value)}, find the value of sec θ - tan θ.",
        answer=num(1 / value),
        distractors=(num(value), num(-1 / value), num(1 - value), num(value - 1 / value)),
        steps=(
            "sec²θ - tan²θ = 1, i.e. (sec θ + tan θ)(sec θ - tan θ) = 1.",
            f"{num(value)} × (sec θ - tan θ) = 1.",
            f"sec θ - tan θ = {num(1 / value)}.",
        ),
        topic="Trigonometric identities",
        claim=f"If sec θ + tan θ = {num(value)}, then sec θ - tan θ = {{}}.",
        rule="sec²θ - tan²θ = 1 wherever both are defined.",
        false_rule="sec²θ + tan²θ = 1 wherever both are defined.",
    )


# ---- Some Applications of Trigonometry ----------------------------------------------------

# tan of 30°, 45°, 60° as (coefficient, radicand): √3/3, 1, √3.
_TAN = {30: (Fraction(1, 3), 3), 45: (Fraction(1), 1), 60: (Fraction(1), 3)}
_SIN = {30: (Fraction(1, 2), 1), 45: (Fraction(1, 2), 2), 60: (Fraction(1, 2), 3)}


def _metres(coefficient: Fraction | int, radicand: int) -> str:
    return f"{surd(coefficient, radicand)} m"


def _tower(rng: Random, level: int) -> Problem:
    d = rng.randint(5, (30, 60, 120)[level])
    angle = rng.choice((30, 45, 60))
    c, r = _TAN[angle]
    wrong = [_metres(d * _TAN[a][0], _TAN[a][1]) for a in (30, 45, 60) if a != angle]
    return Problem(
        text=f"From a point on the ground {d} m away from the foot of a tower, the angle of"
        f" elevation of the top of the tower is {angle}°. Find the height of the tower.",
        answer=_metres(d * c, r),
        distractors=(*wrong, _metres(Fraction(d, 2), 1)),
        steps=(
            f"tan {angle}° = height/{d}.",
            f"height = {d} × tan {angle}° = {d} × {surd(c, r)}.",
            f"height = {_metres(d * c, r)}.",
        ),
        topic="Heights and distances",
    )


def _kite(rng: Random, level: int) -> Problem:
    h = rng.randint(10, (40, 80, 150)[level])
    angle = rng.choice((30, 45, 60))
    c, r = _SIN[angle]
    # length = h / sin θ = h / (c √r) = (h / (c r)) √r
    length = Fraction(h) / (c * r)
    wrong = [
        _metres(Fraction(h) / (_SIN[a][0] * _SIN[a][1]), _SIN[a][1])
        for a in (30, 45, 60)
        if a != angle
    ]
    return Problem(
        text=f"A kite is flying at a height of {h} m above the ground. The string attached to it"
        f" is temporarily tied to a point on the ground and makes an angle of {angle}° with the"
        " ground. Assuming the string is straight, find its length.",
        answer=_metres(length, r),
        distractors=(*wrong, _metres(h, 1)),
        steps=(
            f"sin {angle}° = {h}/length.",
            f"length = {h}/sin {angle}° = {h} ÷ {surd(c, r)}.",
            f"length = {_metres(length, r)}.",
        ),
        topic="Heights and distances",
    )


def _walk(rng: Random, level: int) -> Problem:
    x = 2 * rng.randint(5, (20, 40, 75)[level])
    return Problem(
        text="The angle of elevation of the top of a tower from a point on the ground is 30°."
        f" After walking {x} m towards the tower it becomes 60°. Find the height of the tower.",
        answer=_metres(Fraction(x, 2), 3),
        distractors=(_metres(x, 3), _metres(Fraction(x, 3), 3), _metres(Fraction(x, 2), 1)),
        steps=(
            "Let the height be h and the nearer point be y m from the foot: tan 60° = h/y, so y = "
            "h/√3.",
            f"tan 30° = h/(y + {x}), so y + {x} = h√3.",
            f"h√3 - h/√3 = {x}, i.e. 2h/√3 = {x}.",
            f"h = {_metres(Fraction(x, 2), 3)}.",
        ),
        topic="Heights and distances",
    )


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Coordinate Geometry": templates(
        "X.coordinate_geometry", _distance, _section, _other_end, _equidistant
    ),
    "Triangles": templates("X.triangles", _bpt, _shadow, _area_ratio),
    "Circles": templates("X.circles", _tangent, _tangent_angle, _concentric, _circumscribed),
    "Introduction to Trigonometry": templates("X.trigonometry", _ratio, _evaluate, _sec_tan),
    "Some Applications of Trigonometry": templates("X.heights_distances", _tower, _kite, _walk),
}

__all__ = ["TEMPLATES"]
