"""Class X, units Number Systems and Algebra: real numbers, polynomials, linear equations in
two variables, quadratic equations, arithmetic progressions."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

import math
from fractions import Fraction
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import combine, factorise, num, ordinal, poly, sup
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates


def _coprime_pair(rng: Random, high: int) -> tuple[int, int]:
    while True:
        m, n = rng.randint(2, high), rng.randint(2, high)
        if m != n and math.gcd(m, n) == 1:
            return m, n


# ---- Real Numbers -------------------------------------------------------------------------

HCF_RULE = (
    "The HCF of two numbers is the product of the smallest powers of their common prime factors."
)
LCM_RULE = (
    "The LCM of two numbers is the product of the greatest powers of all their prime factors."
)


def _hcf(rng: Random, level: int) -> Problem:
    g = rng.choice(
        ((2, 3, 4, 5, 6, 7, 8, 9), (6, 8, 9, 12, 14, 15, 18), (12, 16, 18, 21, 24, 28))[level]
    )
    m, n = _coprime_pair(rng, (7, 11, 15)[level])
    a, b = g * m, g * n
    lcm = g * m * n
    smallest = next(p for p in range(2, g + 1) if g % p == 0)
    return Problem(
        text=f"Find the HCF of {a} and {b}.",
        answer=str(g),
        distractors=(str(lcm), str(g // smallest), str(2 * g), str(g * m)),
        steps=(
            f"{a} = {factorise(a)} and {b} = {factorise(b)}.",
            "The HCF is the product of the smallest powers of the common prime factors.",
            f"HCF({a}, {b}) = {factorise(g)} = {g}.",
        ),
        topic="HCF by prime factorisation",
        claim=f"The HCF of {a} and {b} is {{}}.",
        rule=HCF_RULE,
        false_rule=LCM_RULE.replace("LCM", "HCF"),
    )


def _lcm(rng: Random, level: int) -> Problem:
    g = rng.choice(((2, 3, 4, 5, 6), (4, 6, 8, 9, 10, 12), (6, 12, 14, 15, 18, 20))[level])
    m, n = _coprime_pair(rng, (7, 11, 13)[level])
    a, b, lcm = g * m, g * n, g * m * n
    return Problem(
        text=f"Find the LCM of {a} and {b}.",
        answer=str(lcm),
        distractors=(str(a * b), str(g), str(lcm * 2), str(lcm // m)),
        steps=(
            f"{a} = {factorise(a)} and {b} = {factorise(b)}.",
            "The LCM is the product of the greatest powers of all the prime factors.",
            f"LCM({a}, {b}) = {factorise(lcm)} = {lcm}.",
        ),
        topic="LCM by prime factorisation",
        claim=f"The LCM of {a} and {b} is {{}}.",
        rule=LCM_RULE,
        false_rule=HCF_RULE.replace("HCF", "LCM"),
    )


def _other_number(rng: Random, level: int) -> Problem:
    h = rng.randint(2, (9, 15, 24)[level])
    m, n = _coprime_pair(rng, (6, 9, 13)[level])
    a, b, lcm = h * m, h * n, h * m * n
    return Problem(
        text=f"The HCF of two numbers is {h} and their LCM is {lcm}. If one number is {a},"
        " find the other.",
        answer=str(b),
        distractors=(str(m * n), str(h * lcm), str(lcm - a), str(b + h)),
        steps=(
            "For two positive integers, HCF × LCM = product of the numbers.",
            f"{h} × {lcm} = {a} × other number.",
            f"Other number = {h * lcm} ÷ {a} = {b}.",
        ),
        topic="HCF × LCM = product",
        claim=f"If HCF = {h}, LCM = {lcm} and one number is {a}, the other number is {{}}.",
        rule="For any two positive integers a and b, HCF(a, b) × LCM(a, b) = a × b.",
        false_rule="For any two positive integers a and b, HCF(a, b) + LCM(a, b) = a × b.",
    )


def _prime_factors(rng: Random, level: int) -> Problem:
    primes = (2, 3, 5, 7)[: 3 + (level == 2)]
    caps = ((3, 4, 4), (2, 3, 3), (1, 2, 2), (1, 1, 1))
    powers = [rng.randint(0, caps[i][level]) for i in range(len(primes))]
    powers[0] = max(powers[0], 1)
    if sum(1 for p in powers if p) < 2:
        powers[1] = 1
    n = math.prod(p**e for p, e in zip(primes, powers, strict=False))
    wrong = []
    for index in range(len(powers)):
        changed = list(powers)
        changed[index] = changed[index] + 1 if changed[index] < 2 else changed[index] - 1
        wrong.append(math.prod(p**e for p, e in zip(primes, changed, strict=False)))
    return Problem(
        text=f"Express {n} as a product of its prime factors.",
        answer=factorise(n),
        distractors=tuple(factorise(w) for w in wrong),
        steps=(
            f"Divide {n} repeatedly by the smallest prime that divides it.",
            "The prime factors found are "
            f"{', '.join(str(p) for p, e in zip(primes, powers, strict=False) if e)}.",
            f"{n} = {factorise(n)}.",
        ),
        topic="Fundamental theorem of arithmetic",
    )


# ---- Polynomials --------------------------------------------------------------------------


def _nonzero_roots(rng: Random, high: int) -> tuple[int, int]:
    while True:
        r1, r2 = rng.randint(-high, high), rng.randint(-high, high)
        if r1 and r2 and r1 != r2 and r1 + r2:
            return min(r1, r2), max(r1, r2)


def _sum_product(rng: Random, level: int) -> Problem:
    r1, r2 = _nonzero_roots(rng, (5, 8, 9)[level])
    a = (1, rng.randint(2, 3), rng.randint(2, 6))[level]
    b, c = -a * (r1 + r2), a * r1 * r2
    s, p = r1 + r2, r1 * r2
    return Problem(
        text=f"Find the sum and the product of the zeroes of the polynomial {poly([a, b, c])}.",
        answer=f"sum = {s}, product = {p}",
        distractors=(
            f"sum = {-s}, product = {p}",
            f"sum = {s}, product = {-p}",
            f"sum = {-s}, product = {-p}",
            f"sum = {p}, product = {s}",
        ),
        steps=(
            "For ax² + bx + c, sum of zeroes = -b/a and product of zeroes = c/a.",
            f"Here a = {a}, b = {b}, c = {c}.",
            f"Sum = {num(Fraction(-b, a))}, product = {num(Fraction(c, a))}.",
        ),
        topic="Relation between zeroes and coefficients",
    )


def _zeroes(rng: Random, level: int) -> Problem:
    r1, r2 = _nonzero_roots(rng, (6, 10, 15)[level])
    b, c = -(r1 + r2), r1 * r2
    return Problem(
        text=f"Find the zeroes of the polynomial {poly([1, b, c])}.",
        answer=f"{r1} and {r2}",
        distractors=(
            f"{-r2} and {-r1}",
            f"{r1} and {-r2}",
            f"{-r1} and {r2}",
            f"{r1 + 1} and {r2}",
        ),
        steps=(
            f"Split the middle term: two numbers with sum {-b} and product {c} are {r1} and {r2}.",
            f"{poly([1, b, c])} = (x - ({r1}))(x - ({r2})).",
            f"The zeroes are {r1} and {r2}.",
        ),
        topic="Zeroes of a quadratic polynomial",
    )


def _from_zeroes(rng: Random, level: int) -> Problem:
    s = rng.randint(-(4, 9, 15)[level], (4, 9, 15)[level]) or 3
    p = rng.randint(-(6, 12, 20)[level], (6, 12, 20)[level]) or -2
    return Problem(
        text=f"Find a quadratic polynomial whose sum and product of zeroes are {s} and {p}"
        " respectively.",
        answer=poly([1, -s, p]),
        distractors=(poly([1, s, p]), poly([1, -s, -p]), poly([1, s, -p]), poly([1, p, s])),
        steps=(
            "A quadratic polynomial with sum S and product P of zeroes is k(x² - Sx + P).",
            f"With S = {s} and P = {p} and k = 1:",
            f"{poly([1, -s, p])}.",
        ),
        topic="Forming a quadratic from its zeroes",
    )


def _evaluate(rng: Random, level: int) -> Problem:
    coefficients = [rng.randint(-5, 5) or 1 for _ in range(3 + level)]
    k = rng.choice((-3, -2, -1, 1, 2, 3))
    value = sum(c * k ** (len(coefficients) - 1 - i) for i, c in enumerate(coefficients))
    mirrored = sum(c * (-k) ** (len(coefficients) - 1 - i) for i, c in enumerate(coefficients))
    return Problem(
        text=f"If p(x) = {poly(coefficients)}, find p({k}).",
        answer=str(value),
        distractors=(str(mirrored), str(value + 2), str(-value), str(value - coefficients[-1])),
        steps=(
            f"Substitute x = {k} in p(x).",
            f"p({k}) = "
            + " + ".join(
                f"({c})({k}){sup(len(coefficients) - 1 - i)}" for i, c in enumerate(coefficients)
            ),
            f"p({k}) = {value}.",
        ),
        topic="Value of a polynomial",
    )


# ---- Pair of Linear Equations in Two Variables ---------------------------------------------


def _solve_pair(rng: Random, level: int) -> Problem:
    high = (6, 10, 15)[level]
    x, y = rng.randint(-high, high), rng.randint(-high, high)
    while True:
        a1, b1, a2, b2 = (rng.randint(-(3, 6, 9)[level], (3, 6, 9)[level]) for _ in range(4))
        if a1 and b1 and a2 and b2 and a1 * b2 - a2 * b1:
            break
    c1, c2 = a1 * x + b1 * y, a2 * x + b2 * y
    first = f"{combine([(a1, 'x'), (b1, 'y')])} = {c1}"
    second = f"{combine([(a2, 'x'), (b2, 'y')])} = {c2}"
    return Problem(
        text=f"Solve the pair of linear equations: {first} and {second}.",
        answer=f"x = {x}, y = {y}",
        distractors=(
            f"x = {y}, y = {x}",
            f"x = {-x}, y = {y}",
            f"x = {x}, y = {-y}",
            f"x = {x + 1}, y = {y - 1}",
        ),
        steps=(
            f"Multiply the first equation by {a2} and the second by {a1} to equalise the x terms.",
            f"Subtracting: ({b1 * a2 - b2 * a1})y = {c1 * a2 - c2 * a1}, so y = {y}.",
            f"Substituting y = {y} in the first equation gives x = {x}.",
            f"The solution is x = {x}, y = {y}.",
        ),
        topic="Elimination method",
    )


def _no_solution(rng: Random, level: int) -> Problem:
    a1, b1 = rng.randint(1, (4, 7, 9)[level]), rng.randint(1, (4, 7, 9)[level])
    m = rng.randint(2, (3, 4, 6)[level])
    c1 = rng.randint(1, 12)
    c2 = m * c1 + rng.choice((-3, -2, -1, 1, 2, 3))
    k = m * a1
    equations = f"{combine([(a1, 'x'), (b1, 'y')])} = {c1} and kx + {m * b1}y = {c2}"
    return Problem(
        text=f"For what value of k does the pair of equations {equations} have no solution?",
        answer=str(k),
        distractors=(str(a1), str(-k), str(k + m), str(m * b1)),
        steps=(
            "The pair has no solution when a₁/a₂ = b₁/b₂ ≠ c₁/c₂.",
            f"{a1}/k = {b1}/{m * b1}, so k = {k}.",
            f"Check: c₁/c₂ = {c1}/{c2} ≠ 1/{m}, so for k = {k} the lines are parallel.",
        ),
        topic="Consistency of a pair of equations",
        claim=f"The pair {equations} has no solution when k = {{}}.",
        rule="A pair a₁x + b₁y = c₁, a₂x + b₂y = c₂ has no solution when a₁/a₂ = b₁/b₂ ≠ c₁/c₂.",
        false_rule="A pair a₁x + b₁y = c₁, a₂x + b₂y = c₂ has no solution when a₁/a₂ ≠ b₁/b₂.",
    )


def _pens(rng: Random, level: int) -> Problem:
    pen, pencil = rng.randint(5, (20, 40, 60)[level]), rng.randint(2, (8, 15, 25)[level])
    while True:
        a, b, d, e = (rng.randint(2, (5, 7, 9)[level]) for _ in range(4))
        if a * e - b * d:
            break
    c1, c2 = a * pen + b * pencil, d * pen + e * pencil
    return Problem(
        text=f"{a} pens and {b} pencils together cost ₹{c1}, while {d} pens and {e} pencils"
        f" together cost ₹{c2}. Find the cost of one pen and of one pencil.",
        answer=f"pen ₹{pen}, pencil ₹{pencil}",
        distractors=(
            f"pen ₹{pencil}, pencil ₹{pen}",
            f"pen ₹{pen + 1}, pencil ₹{pencil - 1}",
            f"pen ₹{pen - 2}, pencil ₹{pencil + 2}",
        ),
        steps=(
            f"Let a pen cost ₹x and a pencil ₹y: {a}x + {b}y = {c1}, {d}x + {e}y = {c2}.",
            f"Eliminating x: ({a * e - b * d})y = {a * c2 - d * c1}, so y = {pencil}.",
            f"Then x = {pen}.",
            f"A pen costs ₹{pen} and a pencil ₹{pencil}.",
        ),
        topic="Word problems on linear equations",
    )


# ---- Quadratic Equations ------------------------------------------------------------------


def _roots(rng: Random, level: int) -> Problem:
    a = (1, 1, rng.randint(2, 5))[level]
    r1 = rng.randint(-(6, 10, 8)[level], (6, 10, 8)[level]) or 2
    s = rng.randint(-(6, 10, 12)[level], (6, 10, 12)[level]) or -3
    r2 = Fraction(s, a)
    if r2 == r1:
        r2 += 1
        s += a
    b, c = -(a * r1 + s), r1 * s
    low, high = sorted((Fraction(r1), r2))
    return Problem(
        text=f"Find the roots of the quadratic equation {poly([a, b, c])} = 0.",
        answer=f"x = {num(low)}, {num(high)}",
        distractors=(
            f"x = {num(-high)}, {num(-low)}",
            f"x = {num(low)}, {num(-high)}",
            f"x = {num(-low)}, {num(high)}",
            f"x = {num(low * 2)}, {num(high)}",
        ),
        steps=(
            f"Factorise: {poly([a, b, c])} = (x - ({r1}))({poly([a, -s])}).",
            f"So x - ({r1}) = 0 or {poly([a, -s])} = 0.",
            f"x = {num(low)} or x = {num(high)}.",
        ),
        topic="Solving by factorisation",
    )


def _equal_roots(rng: Random, level: int) -> Problem:
    s, t = rng.randint(1, (2, 4, 6)[level]), rng.randint(1, (5, 7, 9)[level])
    a, c, k = s * s, t * t, 2 * s * t
    equation = f"{poly([a, 0, 0])} + kx + {c} = 0"
    return Problem(
        text=f"Find the positive value of k for which the equation {equation} has two equal roots.",
        answer=str(k),
        distractors=(str(s * t), str(4 * s * t), str(k + 2), str(a + c)),
        steps=(
            "Equal roots means the discriminant b² - 4ac = 0.",
            f"k² - 4 × {a} × {c} = 0, so k² = {4 * a * c}.",
            f"k = {k} (taking the positive value).",
        ),
        topic="Nature of roots",
        claim=f"The equation {equation} has two equal roots when k = {{}}.",
        rule="ax² + bx + c = 0 has two equal real roots exactly when b² - 4ac = 0.",
        false_rule="ax² + bx + c = 0 has two equal real roots exactly when b² - 4ac > 0.",
    )


def _discriminant(rng: Random, level: int) -> Problem:
    a = rng.randint(1, (3, 5, 7)[level])
    b = rng.randint(-(6, 10, 14)[level], (6, 10, 14)[level])
    c = rng.randint(-(6, 9, 12)[level], (6, 9, 12)[level]) or 1
    d = b * b - 4 * a * c
    nature = {1: "two distinct real roots", 0: "two equal real roots", -1: "no real roots"}
    sign = (d > 0) - (d < 0)
    wrong_d = b * b + 4 * a * c
    return Problem(
        text=f"Find the discriminant of {poly([a, b, c])} = 0 and state the nature of its roots.",
        answer=f"D = {d}; {nature[sign]}",
        distractors=(
            f"D = {wrong_d}; {nature[(wrong_d > 0) - (wrong_d < 0)]}",
            f"D = {d}; {nature[-sign if sign else 1]}",
            f"D = {-d}; {nature[-sign if sign else -1]}",
            f"D = {d + 4 * a}; {nature[sign]}",
        ),
        steps=(
            "D = b² - 4ac.",
            f"D = ({b})² - 4 × {a} × ({c}) = {d}.",
            f"Since D {'>' if d > 0 else '=' if d == 0 else '<'} 0, the equation has "
            f"{nature[sign]}.",
        ),
        topic="Discriminant and nature of roots",
    )


def _consecutive(rng: Random, level: int) -> Problem:
    n = rng.randint(4, (12, 25, 45)[level])
    product = n * (n + 1)
    return Problem(
        text=f"The product of two consecutive positive integers is {product}. Find the integers.",
        answer=f"{n} and {n + 1}",
        distractors=(f"{n - 1} and {n}", f"{n + 1} and {n + 2}", f"{n - 2} and {n + 2}"),
        steps=(
            f"Let the integers be x and x + 1: x(x + 1) = {product}, i.e. x² + x - {product} = 0.",
            f"(x - {n})(x + {n + 1}) = 0, so x = {n} or x = -{n + 1}.",
            f"x is positive, so the integers are {n} and {n + 1}.",
        ),
        topic="Word problems on quadratic equations",
    )


# ---- Arithmetic Progressions --------------------------------------------------------------

NTH_TERM_RULE = "The nth term of an AP with first term a and common difference d is a + (n - 1)d."


def _ap(a: int, d: int) -> str:
    return f"{a}, {a + d}, {a + 2 * d}, {a + 3 * d}, ..."


def _nth_term(rng: Random, level: int) -> Problem:
    a = rng.randint(-(10, 20, 40)[level], (10, 20, 40)[level])
    d = rng.choice([v for v in range(-(3, 7, 12)[level], (3, 7, 12)[level] + 1) if v])
    n = rng.randint(8, (20, 40, 80)[level])
    value = a + (n - 1) * d
    return Problem(
        text=f"Find the {ordinal(n)} term of the AP {_ap(a, d)}",
        answer=str(value),
        distractors=(str(a + n * d), str(a + (n - 2) * d), str(n * d), str(a - (n - 1) * d)),
        steps=(
            f"First term a = {a}, common difference d = {d}.",
            f"aₙ = a + (n - 1)d = {a} + {n - 1} × ({d}).",
            f"a{n} = {value}.",
        ),
        topic="nth term of an AP",
        claim=f"The {ordinal(n)} term of the AP {_ap(a, d)} is {{}}.",
        rule=NTH_TERM_RULE,
        false_rule=NTH_TERM_RULE.replace("a + (n - 1)d", "a + nd"),
    )


def _sum_terms(rng: Random, level: int) -> Problem:
    a = rng.randint(-(5, 15, 30)[level], (10, 20, 40)[level])
    d = rng.choice([v for v in range(-(2, 5, 9)[level], (4, 8, 12)[level] + 1) if v])
    n = rng.randint(6, (15, 25, 50)[level])
    total = n * (2 * a + (n - 1) * d) // 2
    return Problem(
        text=f"Find the sum of the first {n} terms of the AP {_ap(a, d)}",
        answer=str(total),
        distractors=(
            str(n * (2 * a + n * d) // 2),
            str(n * (a + (n - 1) * d)),
            str(a + (n - 1) * d),
            str(total + d),
        ),
        steps=(
            f"a = {a}, d = {d}, n = {n}.",
            "Sₙ = n/2 [2a + (n - 1)d].",
            f"S{n} = {n}/2 × [{2 * a} + {n - 1} × ({d})] = {total}.",
        ),
        topic="Sum of n terms of an AP",
        claim=f"The sum of the first {n} terms of the AP {_ap(a, d)} is {{}}.",
        rule="The sum of the first n terms of an AP is n/2 [2a + (n - 1)d].",
        false_rule="The sum of the first n terms of an AP is n [2a + (n - 1)d].",
    )


def _which_term(rng: Random, level: int) -> Problem:
    a = rng.randint(1, (15, 30, 60)[level])
    d = rng.choice([v for v in range(-(4, 7, 11)[level], (5, 9, 13)[level] + 1) if v])
    n = rng.randint(10, (25, 45, 90)[level])
    value = a + (n - 1) * d
    return Problem(
        text=f"Which term of the AP {_ap(a, d)} is {value}?",
        answer=f"{ordinal(n)} term",
        distractors=(f"{ordinal(n - 1)} term", f"{ordinal(n + 1)} term", f"{ordinal(n + 2)} term"),
        steps=(
            f"a = {a}, d = {d}; let aₙ = {value}.",
            f"{a} + (n - 1)({d}) = {value}, so n - 1 = {n - 1}.",
            f"n = {n}: it is the {ordinal(n)} term.",
        ),
        topic="nth term of an AP",
    )


def _difference(rng: Random, level: int) -> Problem:
    a = rng.randint(-20, 30)
    d = rng.choice([v for v in range(-(4, 8, 13)[level], (4, 8, 13)[level] + 1) if v])
    p = rng.randint(2, 8)
    q = p + rng.randint(3, (6, 12, 20)[level])
    u, v = a + (p - 1) * d, a + (q - 1) * d
    return Problem(
        text=f"The {ordinal(p)} term of an AP is {u} and its {ordinal(q)} term is {v}."
        " Find its first term and common difference.",
        answer=f"a = {a}, d = {d}",
        distractors=(
            f"a = {a + d}, d = {d}",
            f"a = {a}, d = {-d}",
            f"a = {u}, d = {d}",
            f"a = {a - d}, d = {d}",
        ),
        steps=(
            f"a + {p - 1}d = {u} and a + {q - 1}d = {v}.",
            f"Subtracting: {q - p}d = {v - u}, so d = {d}.",
            f"a = {u} - {p - 1} × ({d}) = {a}.",
        ),
        topic="nth term of an AP",
    )


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Real Numbers": templates("X.real_numbers", _hcf, _lcm, _other_number, _prime_factors),
    "Polynomials": templates("X.polynomials", _sum_product, _zeroes, _from_zeroes, _evaluate),
    "Pair of Linear Equations in Two Variables": templates(
        "X.linear_equations", _solve_pair, _no_solution, _pens
    ),
    "Quadratic Equations": templates(
        "X.quadratic_equations", _roots, _equal_roots, _discriminant, _consecutive
    ),
    "Arithmetic Progressions": templates(
        "X.arithmetic_progressions", _nth_term, _sum_terms, _which_term, _difference
    ),
}

__all__ = ["TEMPLATES"]
