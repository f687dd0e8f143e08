"""A generated maths problem and the parameterised templates that make them.

A template draws its numbers from a `random.Random` at a difficulty level (0 easy, 1 medium,
2 hard: bigger numbers, more steps) and returns a `Problem`: the question, the exact answer,
wrong answers a student plausibly reaches (for MCQ options), and the worked solution as
steps (for model answers and marking schemes). `bank` turns problems into questions of each
CBSE type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

EASY, MEDIUM, HARD = 0, 1, 2


@dataclass(frozen=True)
class Problem:
    text: str
    answer: str
    # Plausible wrong answers (sign slips, the wrong formula...); the bank keeps distinct ones.
    distractors: tuple[str, ...]
    # The worked solution, in order; the last step states the answer.
    steps: tuple[str, ...]
    topic: str
    # For assertion-reason MCQs: the claim with "{}" where the answer goes, the general fact
    # that justifies it, and a false version of that fact.
    claim: str | None = None
    rule: str | None = None
    false_rule: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def assertion_ready(self) -> bool:
        return self.claim is not None and self.rule is not None and self.false_rule is not None


Maker = Callable[[Random, int], Problem]


@dataclass(frozen=True)
class Template:
    # "<class>.<chapter>.<name>", e.g. "X.real_numbers.hcf": which generator made a question.
    key: str
    make: Maker


def templates(prefix: str, *makers: Maker) -> tuple[Template, ...]:
    """Templates named after their functions: `templates("X.ap", nth_term)`."""
    return tuple(Template(f"{prefix}.{maker.__name__.lstrip('_')}", maker) for maker in makers)


__all__ = ["EASY", "HARD", "MEDIUM", "Maker", "Problem", "Template", "templates"]
