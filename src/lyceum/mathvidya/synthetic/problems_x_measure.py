"""Class X, units Mensuration and Statistics and Probability. π is taken as 22/7 (or 3.14
where the question says so), as CBSE papers do, so answers are exact fractions."""

# ruff: noqa: RUF001 - maths is written with the multiplication sign, as on a paper

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from itertools import product
from random import Random

from lyceum.mathvidya.synthetic.mathfmt import TRIPLES, dec, num
from lyceum.mathvidya.synthetic.problem import Problem, Template, templates

PI = Fraction(22, 7)
PI_314 = Fraction(314, 100)
USE_PI = "(Use π = 22/7.)"


def _cm2(value: Fraction | int) -> str:
    return f"{dec(value)} cm²"


def _cm3(value: Fraction | int) -> str:
    return f"{dec(value)} cm³"


# ---- Areas Related to Circles -------------------------------------------------------------

_ANGLES = (30, 45, 60, 72, 90, 120, 135, 150, 210, 240, 270)


def _sector(rng: Random, level: int) -> Problem:
    r = 7 * rng.randint(1, (3, 4, 6)[level])
    theta = rng.choice(_ANGLES[: (6, 8, 11)[level]])
    area = PI * r * r * theta / 360
    return Problem(
        text=f"Find the area of the sector of a circle of radius {r} cm with central angle "
        f"{theta}°. {USE_PI}",
        answer=_cm2(area),
        distractors=(
            _cm2(2 * PI * r * theta / 360),
            _cm2(area * 2),
            _cm2(PI * r * r),
            _cm2(area / 2),
        ),
        steps=(
            "Area of a sector = (θ/360) × πr².",
            f"= ({theta}/360) × (22/7) × {r} × {r}.",
            f"= {_cm2(area)}.",
        ),
        topic="Area of a sector",
        claim=f"The area of a sector of radius {r} cm and angle {theta}° is {{}}.",
        rule="The area of a sector of angle θ in a circle of radius r is (θ/360) × πr².",
        false_rule="The area of a sector of angle θ in a circle of radius r is (θ/360) × 2πr.",
    )


def _arc(rng: Random, level: int) -> Problem:
    r = 7 * rng.randint(1, (4, 5, 8)[level])
    theta = rng.choice(_ANGLES[: (6, 8, 11)[level]])
    arc = 2 * PI * r * theta / 360
    return Problem(
        text=f"Find the length of the arc of a circle of radius {r} cm subtending an angle of "
        f"{theta}° at the centre. {USE_PI}",
        answer=f"{dec(arc)} cm",
        distractors=(
            f"{dec(arc / 2)} cm",
            f"{dec(PI * r * r * theta / 360)} cm",
            f"{dec(arc + 2 * r)} cm",
        ),
        steps=(
            "Length of an arc = (θ/360) × 2πr.",
            f"= ({theta}/360) × 2 × (22/7) × {r}.",
            f"= {dec(arc)} cm.",
        ),
        topic="Length of an arc",
    )


def _minute_hand(rng: Random, level: int) -> Problem:
    r = Fraction(
        7 * rng.randint(1, (3, 3, 4)[level]), 2 if level == 2 and rng.random() < 0.5 else 1
    )
    minutes = rng.choice((5, 10, 15, 20, 25, 30, 35, 40, 45)[: (5, 7, 9)[level]])
    area = PI * r * r * minutes * 6 / 360
    return Problem(
        text=f"The minute hand of a clock is {dec(r)} cm long. Find the area swept by it in "
        f"{minutes} minutes. {USE_PI}",
        answer=_cm2(area),
        distractors=(
            _cm2(2 * PI * r * minutes * 6 / 360),
            _cm2(area * 2),
            _cm2(PI * r * r * minutes / 360),
        ),
        steps=(
            f"The minute hand turns 360° in 60 minutes, so {minutes * 6}° in {minutes} minutes.",
            f"Area swept = ({minutes * 6}/360) × (22/7) × {dec(r)}².",
            f"= {_cm2(area)}.",
        ),
        topic="Area of a sector",
    )


def _segment(rng: Random, level: int) -> Problem:
    r = rng.randint(4, (14, 20, 28)[level])
    area = PI_314 * r * r / 4 - Fraction(r * r, 2)
    return Problem(
        text=f"A chord of a circle of radius {r} cm subtends a right angle at the centre. Find the"
        " area of the corresponding minor segment. (Use π = 3.14.)",
        answer=_cm2(area),
        distractors=(
            _cm2(PI_314 * r * r / 4),
            _cm2(PI_314 * r * r / 4 + Fraction(r * r, 2)),
            _cm2(Fraction(r * r, 2)),
        ),
        steps=(
            f"Area of the sector = (90/360) × 3.14 × {r}² = {dec(PI_314 * r * r / 4)} cm².",
            f"Area of the right triangle formed by the radii = ½ × {r} × {r} = "
            f"{dec(Fraction(r * r, 2))} cm².",
            f"Minor segment = sector - triangle = {_cm2(area)}.",
        ),
        topic="Area of a segment",
    )


# ---- Surface Areas and Volumes ------------------------------------------------------------


def _cylinder(rng: Random, level: int) -> Problem:
    r = 7 * rng.randint(1, (2, 3, 4)[level])
    h = rng.randint(3, (15, 30, 50)[level])
    volume = PI * r * r * h
    return Problem(
        text=f"Find the volume of a cylinder of radius {r} cm and height {h} cm. {USE_PI}",
        answer=_cm3(volume),
        distractors=(_cm3(volume / 3), _cm3(2 * PI * r * h), _cm3(PI * r * h)),
        steps=("Volume of a cylinder = πr²h.", f"= (22/7) × {r}² × {h}.", f"= {_cm3(volume)}."),
        topic="Volume of a cylinder",
        claim=f"The volume of a cylinder of radius {r} cm and height {h} cm is {{}}.",
        rule="The volume of a cylinder of radius r and height h is πr²h.",
        false_rule="The volume of a cylinder of radius r and height h is (1/3)πr²h.",
    )


def _cone(rng: Random, level: int) -> Problem:
    a, b, c = rng.choice(TRIPLES[: (2, 3, 4)[level]])
    k = 7 * rng.randint(1, 3)
    r, h, slant = (k * a, k * b, k * c) if rng.random() < 0.5 else (k * b, k * a, k * c)
    csa = PI * r * slant
    return Problem(
        text=f"A cone has base radius {r} cm and height {h} cm. Find its curved surface area. "
        f"{USE_PI}",
        answer=_cm2(csa),
        distractors=(_cm2(PI * r * h), _cm2(PI * r * (slant + r)), _cm2(csa * 2)),
        steps=(
            f"Slant height l = √(r² + h²) = √({r}² + {h}²) = {slant} cm.",
            "Curved surface area = πrl.",
            f"= (22/7) × {r} × {slant} = {_cm2(csa)}.",
        ),
        topic="Surface area of a cone",
    )


def _cone_hemisphere(rng: Random, level: int) -> Problem:
    r = 7 * rng.randint(1, 2) if level < 2 else Fraction(7, 2) * rng.randint(1, 5)
    h = rng.randint(5, (15, 25, 40)[level])
    volume = PI * r * r * (h + 2 * r) / 3
    return Problem(
        text=f"A toy is a cone of radius {dec(r)} cm and height {h} cm mounted on a hemisphere of"
        f" the same radius. Find the volume of the toy. {USE_PI}",
        answer=_cm3(volume),
        distractors=(
            _cm3(PI * r * r * (h + 4 * r) / 3),
            _cm3(PI * r * r * h / 3),
            _cm3(PI * r * r * (h + r)),
        ),
        steps=(
            f"Volume of the cone = (1/3)πr²h = {_cm3(PI * r * r * h / 3)}.",
            f"Volume of the hemisphere = (2/3)πr³ = {_cm3(2 * PI * r**3 / 3)}.",
            f"Volume of the toy = {_cm3(volume)}.",
        ),
        topic="Volume of a combination of solids",
    )


def _recast(rng: Random, level: int) -> Problem:
    small = rng.randint(1, (2, 3, 4)[level])
    ratio = rng.randint(2, (4, 6, 8)[level])
    big = small * ratio
    return Problem(
        text=f"A solid metallic sphere of radius {big} cm is melted and recast into solid spheres"
        f" of radius {small} cm each. How many spheres are obtained?",
        answer=str(ratio**3),
        distractors=(str(ratio**2), str(ratio), str(ratio**3 // 2 or 3)),
        steps=(
            "Volume is unchanged: n × (4/3)πr³ = (4/3)πR³.",
            f"n = R³/r³ = ({big}/{small})³.",
            f"n = {ratio**3}.",
        ),
        topic="Conversion of solids",
    )


# ---- Statistics ---------------------------------------------------------------------------


def _table(rng: Random, level: int) -> tuple[int, int, list[int]]:
    width = rng.choice((5, 10, 20)[: level + 1])
    start = rng.choice((0, width, 2 * width))
    frequencies = [rng.randint(2, (12, 20, 30)[level]) for _ in range(5 + (level == 2))]
    return start, width, frequencies


def _describe(start: int, width: int, frequencies: list[int]) -> str:
    rows = ", ".join(
        f"{start + i * width}-{start + (i + 1) * width}: {f}" for i, f in enumerate(frequencies)
    )
    return f"(class interval: frequency) {rows}"


def _mean(rng: Random, level: int) -> Problem:
    start, width, freqs = _table(rng, level)
    marks = [start + width * i + Fraction(width, 2) for i in range(len(freqs))]
    total = sum(freqs)
    mean = sum((f * x for f, x in zip(freqs, marks, strict=True)), Fraction(0)) / total
    half = Fraction(width, 2)
    uppers = sum((f * (x + half) for f, x in zip(freqs, marks, strict=True)), Fraction(0)) / total
    return Problem(
        text=f"Find the mean of the following distribution: {_describe(start, width, freqs)}.",
        answer=dec(mean),
        distractors=(
            dec(uppers),
            dec(sum(marks, Fraction(0)) / len(marks)),
            dec(mean - Fraction(width, 2)),
            dec(mean + 1),
        ),
        steps=(
            "Class marks: " + ", ".join(dec(x) for x in marks) + ".",
            f"Σf = {total}, Σfx = {dec(mean * total)}.",
            f"Mean = Σfx/Σf = {dec(mean)}.",
        ),
        topic="Mean of grouped data",
    )


def _mode(rng: Random, level: int) -> Problem:
    start, width, freqs = _table(rng, level)
    modal = rng.randint(1, len(freqs) - 2)
    freqs[modal] = max(freqs) + rng.randint(1, 6)
    f0, f1, f2 = freqs[modal - 1], freqs[modal], freqs[modal + 1]
    lower = start + modal * width
    mode = lower + Fraction(f1 - f0, 2 * f1 - f0 - f2) * width
    return Problem(
        text=f"Find the mode of the following distribution: {_describe(start, width, freqs)}.",
        answer=dec(mode),
        distractors=(
            dec(lower + Fraction(f1 - f0, f1 + f0 + f2) * width),
            dec(lower + Fraction(width, 2)),
            dec(lower + Fraction(f1 - f2, 2 * f1 - f0 - f2) * width),
        ),
        steps=(
            f"The modal class is {lower}-{lower + width} (highest frequency {f1}).",
            f"Mode = l + (f₁ - f₀)/(2f₁ - f₀ - f₂) × h = {lower} + ({f1} - {f0})/({2 * f1} - {f0} "
            f"- {f2}) × {width}.",
            f"Mode = {dec(mode)}.",
        ),
        topic="Mode of grouped data",
    )


def _median(rng: Random, level: int) -> Problem:
    start, width, freqs = _table(rng, level)
    n = sum(freqs)
    cumulative, index = 0, 0
    while cumulative + freqs[index] < Fraction(n, 2):
        cumulative += freqs[index]
        index += 1
    lower = start + index * width
    median = lower + (Fraction(n, 2) - cumulative) / freqs[index] * width
    return Problem(
        text=f"Find the median of the following distribution: {_describe(start, width, freqs)}.",
        answer=dec(median),
        distractors=(
            dec(lower + Fraction(width, 2)),
            dec(median + width),
            dec(lower + (Fraction(n, 2) - cumulative) / n * width),
        ),
        steps=(
            f"n = {n}, so n/2 = {dec(Fraction(n, 2))}; the median class is "
            f"{lower}-{lower + width}.",
            f"Median = l + ((n/2 - cf)/f) × h = {lower} + (({dec(Fraction(n, 2))} - "
            f"{cumulative})/{freqs[index]}) × {width}.",
            f"Median = {dec(median)}.",
        ),
        topic="Median of grouped data",
    )


def _empirical(rng: Random, level: int) -> Problem:
    mean = Fraction(rng.randint(100, (300, 600, 900)[level]), 10)
    median = mean + Fraction(rng.choice([v for v in range(-30, 31) if v]), 10)
    mode = 3 * median - 2 * mean
    return Problem(
        text=f"For a moderately skewed distribution the mean is {dec(mean)} and the median is "
        f"{dec(median)}. Find the mode.",
        answer=dec(mode),
        distractors=(dec(3 * mean - 2 * median), dec((mean + median) / 2), dec(2 * median - mean)),
        steps=(
            "Empirical relationship: 3 Median = Mode + 2 Mean.",
            f"Mode = 3 × {dec(median)} - 2 × {dec(mean)}.",
            f"Mode = {dec(mode)}.",
        ),
        topic="Empirical relationship",
        claim=f"If the mean is {dec(mean)} and the median is {dec(median)}, the mode is {{}}.",
        rule="For a moderately skewed distribution, Mode = 3 Median - 2 Mean.",
        false_rule="For a moderately skewed distribution, Mode = 3 Mean - 2 Median.",
    )


# ---- Probability --------------------------------------------------------------------------

PROBABILITY_RULE = "P(E) = number of outcomes favourable to E / total number of outcomes."
PROBABILITY_FALSE = (
    "P(E) = number of outcomes favourable to E / number of outcomes not favourable to E."
)


def _chance(
    text: str, favourable: int, total: int, topic: str, outcome: str, claim: str | None = None
) -> Problem:
    p = Fraction(favourable, total)
    wrong = [
        Fraction(total - favourable, total),
        Fraction(favourable, total - favourable) if total != favourable else Fraction(1, 2),
        Fraction(favourable + 1, total),
        Fraction(favourable, total + 1),
    ]
    return Problem(
        text=text,
        answer=num(p),
        distractors=tuple(num(w) for w in wrong),
        steps=(
            f"Total number of equally likely outcomes = {total} ({outcome}).",
            f"Favourable outcomes = {favourable}.",
            f"P = {favourable}/{total} = {num(p)}.",
        ),
        topic=topic,
        claim=claim,
        rule=PROBABILITY_RULE if claim else None,
        false_rule=PROBABILITY_FALSE if claim else None,
    )


_DICE_EVENTS: tuple[tuple[str, Callable[[int, int], bool]], ...] = tuple(
    [(f"the sum of the numbers is {s}", lambda a, b, s=s: a + b == s) for s in range(2, 13)]
    + [
        ("a doublet (the same number on both dice)", lambda a, b: a == b),
        ("the sum of the numbers is a prime number", lambda a, b: a + b in (2, 3, 5, 7, 11)),
        ("the product of the numbers is even", lambda a, b: a * b % 2 == 0),
        ("the sum of the numbers is at most 5", lambda a, b: a + b <= 5),
        ("the sum of the numbers is a multiple of 3", lambda a, b: (a + b) % 3 == 0),
        ("the difference of the numbers is 2", lambda a, b: abs(a - b) == 2),
        ("at least one of the numbers is 6", lambda a, b: 6 in (a, b)),
    ]
)


def _dice(rng: Random, level: int) -> Problem:
    description, event = rng.choice(_DICE_EVENTS[: (11, 15, 18)[level]])
    favourable = sum(1 for a, b in product(range(1, 7), repeat=2) if event(a, b))
    return _chance(
        f"Two dice are thrown at the same time. Find the probability that {description}.",
        favourable, 36, "Probability with two dice", "6 × 6 pairs",
    )  # fmt: skip


_CARD_EVENTS = (
    ("a king of red colour", 2), ("a face card", 12), ("a spade", 13), ("an ace", 4),
    ("not a face card", 40), ("a black queen", 2), ("a red face card", 6),
    ("the jack of hearts", 1), ("neither a king nor a queen", 44), ("a black card", 26),
    ("a card that is not a diamond", 39), ("a queen or a jack", 8),
)  # fmt: skip


def _cards(rng: Random, level: int) -> Problem:
    description, favourable = rng.choice(_CARD_EVENTS[: (6, 9, 12)[level]])
    return _chance(
        "One card is drawn from a well-shuffled deck of 52 cards. Find the probability that it "
        f"is {description}.",
        favourable, 52, "Probability with playing cards", "52 cards",
        claim=f"The probability that a card drawn from a deck of 52 is {description} is {{}}.",
    )  # fmt: skip


def _bag(rng: Random, level: int) -> Problem:
    colours = {c: rng.randint(1, (8, 12, 20)[level]) for c in ("red", "blue", "green")}
    total = sum(colours.values())
    colour = rng.choice(sorted(colours))
    if rng.random() < 0.5:
        description, favourable = f"not {colour}", total - colours[colour]
    else:
        description, favourable = colour, colours[colour]
    contents = ", ".join(f"{n} {c}" for c, n in colours.items())
    return _chance(
        f"A bag contains {contents} balls. One ball is drawn at random. Find the probability that "
        f"it is {description}.",
        favourable, total, "Probability of an event", f"{total} balls",
        claim=f"For a bag with {contents} balls, the probability of drawing a {description} ball "
        "is {}.",
    )  # fmt: skip


_COIN_EVENTS = (
    (2, "at least one head", lambda h: h >= 1), (2, "exactly one head", lambda h: h == 1),
    (2, "no head", lambda h: h == 0), (3, "exactly two heads", lambda h: h == 2),
    (3, "at least two heads", lambda h: h >= 2), (3, "at most one head", lambda h: h <= 1),
    (3, "all three heads or all three tails", lambda h: h in (0, 3)),
)  # fmt: skip


def _coins(rng: Random, level: int) -> Problem:
    coins, description, event = rng.choice(_COIN_EVENTS[: (3, 5, 7)[level]])
    favourable = sum(1 for toss in product((0, 1), repeat=coins) if event(sum(toss)))
    return _chance(
        f"{('Two', 'Three')[coins - 2]} fair coins are tossed together. Find the probability of "
        f"getting {description}.",
        favourable, 2**coins, "Probability with coins", f"2^{coins} outcomes",
    )  # fmt: skip


TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Areas Related to Circles": templates("X.areas_circles", _sector, _arc, _minute_hand, _segment),
    "Surface Areas and Volumes": templates(
        "X.surface_areas_volumes", _cylinder, _cone, _cone_hemisphere, _recast
    ),
    "Statistics": templates("X.statistics", _mean, _mode, _median, _empirical),
    "Probability": templates("X.probability", _dice, _cards, _bag, _coins),
}

__all__ = ["TEMPLATES"]
