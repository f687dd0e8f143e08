"""How many questions of each section come from each unit, so that every unit carries its
weightage in marks.

CBSE's blueprint fixes the marks of each unit exactly (class XII: Calculus 35 of 80), and so
does this allocation whenever the bank allows it. A unit's marks come from the sections'
different question sizes (1, 2, 3, 4, 5 marks), so the choice is a small integer problem:
counts n[section][unit] with each section's total fixed, each unit's marks in its interval,
and no more questions of a unit and kind than the bank holds. It is solved by a depth-first
search over the units (small units first, the largest last, taking what remains), trying each
unit's combinations nearest the proportional share first with a seeded jitter (papers differ
from seed to seed), remembering dead ends, and stopping after `budget` combinations.

Tolerance. A unit's interval at level `d` is [floor(target) - d, ceil(target) + d] marks:
level 0 is exact for whole-mark targets and the nearest whole marks for fractional ones (a
board section on its own scales the board weightage down). `assemble` tries level 0 first
and widens one mark at a time up to the largest question in the paper (5 marks on the board
paper); beyond that it reports the shortage instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from random import Random

from lyceum.mathvidya.papers.blueprint import SectionSpec

# Combinations tried per search before giving up on a tolerance level (deterministic).
DEFAULT_BUDGET = 20_000
# Seeded noise added to each combination's distance from the proportional share, in marks:
# large enough to vary which sections a unit's marks come from, small enough to stay near
# the blueprint's proportions.
JITTER = 2.0

Pool = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Allocation:
    # (section index, unit) -> questions; zero entries left out.
    counts: Mapping[tuple[int, str], int]
    # Marks per unit the counts give.
    marks: Mapping[str, int]
    tolerance: int


def interval(target: float, tolerance: int) -> tuple[int, int]:
    """The whole marks a unit may carry at `tolerance` (see the module's note)."""
    low = math.floor(target + 1e-9) - tolerance
    high = math.ceil(target - 1e-9) + tolerance
    return max(low, 0), high


class _Search:
    def __init__(
        self,
        sections: Sequence[SectionSpec],
        units: Sequence[str],
        targets: Mapping[str, float],
        available: Mapping[tuple[Pool, str], int],
        tolerance: int,
        rng: Random,
        budget: int,
    ) -> None:
        self.sections = sections
        # Largest questions first: the last section's count then follows from the marks.
        self.order = sorted(range(len(sections)), key=lambda i: (-sections[i].marks_each, i))
        self.units = units
        self.targets = targets
        self.available = available
        self.bounds = [interval(targets[unit], tolerance) for unit in units]
        self.pools = sorted({section.pool for section in sections})
        self.rng = rng
        self.budget = budget
        self.tried = 0
        self.dead: set[tuple[int, tuple[int, ...]]] = set()
        # Per unit index i: what the units from i on can still take, per pool, and their
        # marks bounds, for pruning.
        self.pool_room: list[dict[Pool, int]] = []
        self.low_rest: list[int] = []
        self.high_rest: list[int] = []
        for i in range(len(units)):
            rest = units[i:]
            self.pool_room.append(
                {pool: sum(available.get((pool, unit), 0) for unit in rest) for pool in self.pools}
            )
            self.low_rest.append(sum(self.bounds[j][0] for j in range(i, len(units))))
            self.high_rest.append(sum(self.bounds[j][1] for j in range(i, len(units))))

    def feasible(self, i: int, remaining: tuple[int, ...]) -> bool:
        marks = sum(n * self.sections[s].marks_each for s, n in enumerate(remaining))
        if not self.low_rest[i] <= marks <= self.high_rest[i]:
            return False
        need: dict[Pool, int] = {}
        for s, n in enumerate(remaining):
            pool = self.sections[s].pool
            need[pool] = need.get(pool, 0) + n
        return all(n <= self.pool_room[i][pool] for pool, n in need.items())

    def combinations(self, i: int, remaining: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
        """Counts per section for unit i within its marks interval and the bank."""
        unit = self.units[i]
        low, high = self.bounds[i]
        room = {pool: self.available.get((pool, unit), 0) for pool in self.pools}
        counts = [0] * len(self.sections)
        order = self.order

        def walk(k: int, marks: int) -> Iterator[tuple[int, ...]]:
            s = order[k]
            section = self.sections[s]
            pool = section.pool
            most = min(remaining[s], room[pool], (high - marks) // section.marks_each)
            if k == len(order) - 1:
                least = max(0, -((marks - low) // section.marks_each))  # ceil((low-marks)/m)
                for n in range(least, most + 1):
                    counts[s] = n
                    yield tuple(counts)
                counts[s] = 0
                return
            for n in range(0, most + 1):
                counts[s] = n
                room[pool] -= n
                yield from walk(k + 1, marks + n * section.marks_each)
                room[pool] += n
            counts[s] = 0

        yield from walk(0, 0)

    def ranked(self, i: int, remaining: tuple[int, ...]) -> list[tuple[int, ...]]:
        target_rest = sum(self.targets[unit] for unit in self.units[i:])
        share = self.targets[self.units[i]] / target_rest if target_rest else 0.0
        scored = []
        for combo in self.combinations(i, remaining):
            distance = sum(
                abs(n - remaining[s] * share) * self.sections[s].marks_each
                for s, n in enumerate(combo)
            )
            scored.append((distance + self.rng.random() * JITTER, combo))
        scored.sort()
        return [combo for _, combo in scored]

    def solve(self, i: int, remaining: tuple[int, ...]) -> list[tuple[int, ...]] | None:
        if (i, remaining) in self.dead or not self.feasible(i, remaining):
            return None
        unit = self.units[i]
        if i == len(self.units) - 1:
            # The last unit takes what remains, if its bank and interval allow.
            need: dict[Pool, int] = {}
            for s, n in enumerate(remaining):
                need[self.sections[s].pool] = need.get(self.sections[s].pool, 0) + n
            if all(n <= self.available.get((pool, unit), 0) for pool, n in need.items()):
                return [remaining]
            self.dead.add((i, remaining))
            return None
        for combo in self.ranked(i, remaining):
            self.tried += 1
            if self.tried > self.budget:
                return None
            rest = tuple(r - n for r, n in zip(remaining, combo, strict=True))
            found = self.solve(i + 1, rest)
            if found is not None:
                return [combo, *found]
        self.dead.add((i, remaining))
        return None


def allocate(
    sections: Sequence[SectionSpec],
    targets: Mapping[str, float],
    available: Mapping[tuple[Pool, str], int],
    tolerance: int,
    rng: Random,
    budget: int = DEFAULT_BUDGET,
) -> Allocation | None:
    """Counts per (section, unit) meeting every unit's interval at `tolerance`, or None."""
    # Small units first; the largest, last, absorbs what remains.
    units = sorted(targets, key=lambda unit: (targets[unit], unit))
    if not units:
        return None
    search = _Search(sections, units, targets, available, tolerance, rng, budget)
    found = search.solve(0, tuple(section.count for section in sections))
    if found is None:
        return None
    counts: dict[tuple[int, str], int] = {}
    marks: dict[str, int] = {}
    for unit, combo in zip(units, found, strict=True):
        marks[unit] = sum(n * sections[s].marks_each for s, n in enumerate(combo))
        for s, n in enumerate(combo):
            if n:
                counts[(s, unit)] = n
    return Allocation(counts, {unit: marks[unit] for unit in targets}, tolerance)


def proportional_shares(
    sections: Sequence[SectionSpec], targets: Mapping[str, float]
) -> dict[tuple[int, str], int]:
    """Each section's count split over the units by their targets (largest remainder): the
    blueprint's share, which a shortage message compares the bank with."""
    total = sum(targets.values())
    shares: dict[tuple[int, str], int] = {}
    for s, section in enumerate(sections):
        exact = {unit: section.count * weight / total for unit, weight in targets.items()}
        whole = {unit: math.floor(value) for unit, value in exact.items()}
        left = section.count - sum(whole.values())
        for unit in sorted(exact, key=lambda u: (-(exact[u] - whole[u]), u))[:left]:
            whole[unit] += 1
        shares.update({(s, unit): n for unit, n in whole.items()})
    return shares


__all__ = ["DEFAULT_BUDGET", "Allocation", "allocate", "interval", "proportional_shares"]
