"""`assemble`: a paper from a blueprint and the candidate questions, or `BankShortage`.

1. Each candidate gets a seeded key, `u ** (1 + times_used)` with `u` uniform in [0, 1): the
   highest keys are a weighted sample without replacement (Efraimidis-Spirakis) with weight
   1 / (1 + times_used), so less-used questions come up more often but none is shut out.
2. Unit quotas per section (`allocation`): exact weightage if the bank allows, using only
   questions the student has not seen recently if that is enough, else with the whole bank;
   then one mark of tolerance at a time, up to the paper's largest question.
3. Each section's quota of each unit is filled one question at a time: a question the
   student has not seen in their recent papers first (else the one they saw longest ago),
   of the difficulty furthest below its share of the paper's mix, from the chapter used
   least so far, then by key. Assertion-reason items are preferred until the section has
   its count of them, and go at the section's end, as on a CBSE paper.
4. The paper is numbered section by section, units in the blueprint's order.

The candidates are sorted by id first, so the paper depends on the seed and the bank alone,
never on the order the database returned the rows in. A paper is never shorter than its
template: a bank that cannot fill it raises `BankShortage`, naming each section, unit and
type that is short, and by how many.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from random import Random

from lyceum.mathvidya.papers.allocation import (
    Allocation,
    allocate,
    interval,
    proportional_shares,
)
from lyceum.mathvidya.papers.blueprint import DIFFICULTIES, Blueprint, SectionSpec

# A unit bucket meaning "any unit": papers without unit weightage.
ANY_UNIT = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An active question exam generation may pick, with what the choice weighs."""

    id: uuid.UUID
    unit: str
    chapter: str
    question_type: str
    difficulty: str
    marks: int
    times_used: int = 0
    # When this student last had it in a paper (None: never, as far as we remember).
    last_seen: datetime | None = None
    assertion_reason: bool = False


@dataclass(frozen=True, slots=True)
class Placed:
    number: int
    section: str
    question: Candidate


@dataclass(frozen=True)
class Paper:
    questions: tuple[Placed, ...]
    seed: int
    # Marks per unit, and the targets they were allocated against (empty without weightage).
    unit_marks: Mapping[str, int]
    unit_targets: Mapping[str, float]
    # Marks beyond the nearest whole marks any unit needed (0: exact); None without weightage.
    tolerance: int | None
    # Questions from the student's recently seen set (0 whenever the bank allowed it).
    repeated: int
    difficulty: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Shortfall:
    section: str
    question_type: str
    marks_each: int
    # None: the whole section's pool (over all the paper's units) is short.
    unit: str | None
    needed: int
    available: int

    @property
    def short(self) -> int:
        return self.needed - self.available

    def sentence(self, section_count: int, class_level: str) -> str:
        kind = f"{self.question_type} question{'s' if self.needed != 1 else ''}"
        of_class = f" for class {class_level}" if class_level else ""
        head = (
            f"section {self.section} needs {section_count} {self.question_type} questions"
            f" of {self.marks_each} mark{'s' if self.marks_each != 1 else ''}"
        )
        if self.unit is None:
            return (
                f"{head}; the bank has {self.available} active ones{of_class}"
                f" in the paper's units, {self.short} short"
            )
        return (
            f"{head}; unit '{self.unit}' should give {self.needed} {kind} and has"
            f" {self.available} active{of_class}, {self.short} short"
        )


class BankShortage(Exception):
    """The bank cannot fill the template; `message` says what is missing."""

    def __init__(self, message: str, shortfalls: Sequence[Shortfall]) -> None:
        super().__init__(message)
        self.message = message
        self.shortfalls = tuple(shortfalls)


def _keys(candidates: Sequence[Candidate], seed: int) -> dict[uuid.UUID, float]:
    rng = Random(f"{seed}:keys")  # noqa: S311 - reproducible papers, no secrets
    return {c.id: rng.random() ** (1 + max(c.times_used, 0)) for c in candidates}


def _largest_remainder(total: int, shares: Mapping[str, int]) -> dict[str, int]:
    whole_shares = sum(shares.values())
    exact = {key: total * share / whole_shares for key, share in shares.items()}
    result = {key: int(value) for key, value in exact.items()}
    left = total - sum(result.values())
    order = sorted(exact, key=lambda key: (-(exact[key] - result[key]), DIFFICULTIES.index(key)))
    for key in order[:left]:
        result[key] += 1
    return result


class _Picker:
    def __init__(
        self,
        blueprint: Blueprint,
        pools: Mapping[tuple[tuple[str, int], str], list[Candidate]],
        keys: Mapping[uuid.UUID, float],
        recent: frozenset[uuid.UUID],
    ) -> None:
        self.blueprint = blueprint
        self.pools = pools
        self.keys = keys
        self.recent = recent
        self.used: set[uuid.UUID] = set()
        self.chapters: Counter[str] = Counter()
        # The mix is the paper's: a two-question section cannot carry 30/50/20 on its own.
        self.wanted = _largest_remainder(blueprint.question_count, blueprint.difficulty_mix)

    def _rank(
        self, c: Candidate, wanted: Mapping[str, int], paired: bool | None
    ) -> tuple[object, ...]:
        seen = c.id in self.recent
        return (
            seen,
            # The least recently seen first among the seen ones.
            c.last_seen.timestamp() if seen and c.last_seen else 0.0,
            # None: the section has no assertion-reason count; else whether one is wanted.
            False if paired is None else c.assertion_reason != paired,
            -wanted.get(c.difficulty, 0),
            self.chapters[c.chapter],
            -self.keys[c.id],
        )

    def fill(self, section: SectionSpec, quotas: Sequence[tuple[str, int]]) -> list[Candidate]:
        wanted = self.wanted
        paired = 0
        chosen: list[Candidate] = []
        for unit, count in quotas:
            pool = self.pools.get((section.pool, unit), [])
            for _ in range(count):
                options = [c for c in pool if c.id not in self.used]
                if not options:  # allocation guarantees enough; belt and braces
                    raise AssertionError(f"section {section.name}: unit {unit!r} ran out")
                want_paired = (
                    paired < section.assertion_reason if section.assertion_reason else None
                )
                best = min(options, key=lambda c: self._rank(c, wanted, want_paired))
                self.used.add(best.id)
                self.chapters[best.chapter] += 1
                wanted[best.difficulty] = wanted.get(best.difficulty, 0) - 1
                paired += best.assertion_reason
                chosen.append(best)
        return chosen


def _diagnose(
    blueprint: Blueprint,
    counts: Mapping[tuple[tuple[str, int], str], int],
    class_level: str,
) -> BankShortage:
    sections = blueprint.sections
    targets = blueprint.unit_targets
    units = list(targets) if targets else [ANY_UNIT]
    shortfalls: list[Shortfall] = []
    # A pool (type and marks) short over all the paper's units.
    need: Counter[tuple[str, int]] = Counter()
    for section in sections:
        need[section.pool] += section.count
    short_pools = set()
    for section in sections:
        have = sum(counts.get((section.pool, unit), 0) for unit in units)
        if need[section.pool] > have:
            short_pools.add(section.pool)
            shortfalls.append(
                Shortfall(
                    section.name, section.question_type, section.marks_each, None,
                    need[section.pool], have,
                )
            )  # fmt: skip
    if targets:
        widest = max(section.marks_each for section in sections)
        shares = proportional_shares(sections, targets)
        below = [
            (unit, s, section)
            for unit in targets
            for s, section in enumerate(sections)
            if section.pool not in short_pools
            and counts.get((section.pool, unit), 0) < shares[(s, unit)]
        ]

        def most_marks(unit: str) -> int:
            return sum(
                min(counts.get((section.pool, unit), 0), section.count) * section.marks_each
                for section in sections
            )

        # Units that cannot reach their marks at all come first; failing those, every unit
        # below its proportional share (the combination as a whole is what fails).
        hopeless = {u for u in targets if most_marks(u) < interval(targets[u], widest)[0]}
        named = [entry for entry in below if entry[0] in hopeless] or below
        if not shortfalls:
            for unit, s, section in named:
                shortfalls.append(
                    Shortfall(
                        section.name, section.question_type, section.marks_each, unit,
                        shares[(s, unit)], counts.get((section.pool, unit), 0),
                    )
                )  # fmt: skip
    by_name = {section.name: section for section in sections}
    parts = [f.sentence(by_name[f.section].count, class_level) for f in shortfalls]
    if not parts:
        parts = [
            "no choice of the bank's active questions gives every unit its weightage within"
            f" {max(s.marks_each for s in sections)} marks"
        ]
    return BankShortage("the question bank cannot set this paper: " + "; ".join(parts), shortfalls)


def assemble(
    blueprint: Blueprint,
    candidates: Iterable[Candidate],
    seed: int,
    recent: Iterable[uuid.UUID] = (),
    *,
    class_level: str = "",
) -> Paper:
    """The paper for `blueprint` (see the module's note), deterministic for `seed`."""
    units = set(blueprint.units)
    wanted_pools = {section.pool for section in blueprint.sections}
    unique: dict[uuid.UUID, Candidate] = {}
    for c in candidates:
        if (c.question_type, c.marks) in wanted_pools and (not units or c.unit in units):
            unique.setdefault(c.id, c)
    pool_of = sorted(unique.values(), key=lambda c: str(c.id))
    recent_set = frozenset(recent)
    keys = _keys(pool_of, seed)
    targets = blueprint.unit_targets
    pools: dict[tuple[tuple[str, int], str], list[Candidate]] = defaultdict(list)
    counts: Counter[tuple[tuple[str, int], str]] = Counter()
    fresh: Counter[tuple[tuple[str, int], str]] = Counter()
    for c in pool_of:
        bucket = ((c.question_type, c.marks), c.unit if targets else ANY_UNIT)
        pools[bucket].append(c)
        counts[bucket] += 1
        fresh[bucket] += c.id not in recent_set
    sections = blueprint.sections
    allocation: Allocation | None = None
    if targets:
        rng = Random(f"{seed}:allocation")  # noqa: S311 - reproducible papers
        widest = max(section.marks_each for section in sections)
        for tolerance in range(widest + 1):
            for available in (fresh, counts):
                allocation = allocate(sections, targets, available, tolerance, rng)
                if allocation is not None:
                    break
            if allocation is not None:
                break
        if allocation is None:
            raise _diagnose(blueprint, counts, class_level)
    else:
        need: Counter[tuple[str, int]] = Counter()
        for section in sections:
            need[section.pool] += section.count
        if any(need[pool] > counts[(pool, ANY_UNIT)] for pool in need):
            raise _diagnose(blueprint, counts, class_level)
    order = {unit: i for i, unit in enumerate(blueprint.units or ())}
    picker = _Picker(blueprint, pools, keys, recent_set)
    placed: list[Placed] = []
    for s, section in enumerate(sections):
        if allocation is not None:
            quotas = [
                (unit, allocation.counts[(s, unit)])
                for unit in targets
                if allocation.counts.get((s, unit))
            ]
            # The scarcest units choose first, so they get the difficulties they have.
            quotas.sort(key=lambda q: (len(pools[(section.pool, q[0])]) - q[1], q[0]))
        else:
            quotas = [(ANY_UNIT, section.count)]
        chosen = picker.fill(section, quotas)
        chosen.sort(
            key=lambda c: (
                c.assertion_reason and section.assertion_reason > 0,
                order.get(c.unit, len(order)),
                c.unit,
                c.chapter,
                -keys[c.id],
            )
        )
        first = len(placed) + 1
        placed.extend(Placed(first + i, section.name, c) for i, c in enumerate(chosen))
    unit_marks: Counter[str] = Counter()
    for item in placed:
        unit_marks[item.question.unit] += item.question.marks
    return Paper(
        questions=tuple(placed),
        seed=seed,
        unit_marks=dict(unit_marks),
        unit_targets=dict(targets),
        tolerance=allocation.tolerance if allocation is not None else None,
        repeated=sum(item.question.id in recent_set for item in placed),
        difficulty=dict(Counter(item.question.difficulty for item in placed)),
    )


__all__ = ["ANY_UNIT", "BankShortage", "Candidate", "Paper", "Placed", "Shortfall", "assemble"]
