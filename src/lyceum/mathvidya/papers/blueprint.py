"""What a paper must be: the template's sections, its unit weightage and difficulty mix, read
from `exam_templates.config` (the shape the synthetic templates and an admin's templates
share):

    {"sections": [{"name": "A", "question_type": "MCQ", "count": 20, "marks_each": 1,
                   "assertion_reason": 2}, ...],
     "unit_weightage": {"Algebra": 20, ...},           # optional: marks per unit
     "difficulty_mix": {"easy": 30, "medium": 50, "hard": 20}}   # optional: shares

A section is filled with questions of its type carrying exactly its `marks_each` (section E
of the board paper is LA questions of 4 marks, the case-based ones; section D LA of 5).

Unit weightage is given in board-paper marks. A paper with fewer marks (one board section on
its own, or a unit practice paper over some of a template's units) scales it to its own
total, so each unit's target may be fractional; the allocation then aims for the nearest
whole marks (see `allocation`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DIFFICULTIES = ("easy", "medium", "hard")
# The mix when a template names none: CBSE papers lean on medium questions.
DEFAULT_DIFFICULTY_MIX: Mapping[str, int] = {"easy": 30, "medium": 50, "hard": 20}


class TemplateConfigError(ValueError):
    """The template's config is not a paper pattern (a message naming the bad part)."""


@dataclass(frozen=True, slots=True)
class SectionSpec:
    name: str
    question_type: str
    count: int
    marks_each: int
    # How many of the section's questions should be assertion-reason items (section A of
    # the board paper: 2), placed at the section's end; a preference, not a requirement.
    assertion_reason: int = 0

    @property
    def marks(self) -> int:
        return self.count * self.marks_each

    @property
    def pool(self) -> tuple[str, int]:
        """The kind of question the section takes: sections with the same pool share it."""
        return (self.question_type, self.marks_each)


@dataclass(frozen=True, slots=True)
class Blueprint:
    """A paper's pattern, ready for `assemble`."""

    sections: tuple[SectionSpec, ...]
    # Target marks per unit in this paper (scaled to its total), in the template's order;
    # empty: any unit of `units` (or any at all when `units` is empty), no unit targets.
    unit_targets: Mapping[str, float] = field(default_factory=dict)
    # The units the paper may draw on (the weightage's, or the template's unit list).
    units: tuple[str, ...] = ()
    difficulty_mix: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_DIFFICULTY_MIX))

    @property
    def total_marks(self) -> int:
        return sum(section.marks for section in self.sections)

    @property
    def question_count(self) -> int:
        return sum(section.count for section in self.sections)


def _positive_int(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TemplateConfigError(f"{what} must be a whole number of at least {minimum}")
    return value


def _section(raw: Any, index: int) -> SectionSpec:
    if not isinstance(raw, Mapping):
        raise TemplateConfigError(f"section {index + 1} of the template is not an object")
    name = raw.get("name")
    kind = raw.get("question_type")
    if not isinstance(name, str) or not name.strip():
        raise TemplateConfigError(f"section {index + 1} of the template has no name")
    if not isinstance(kind, str) or not kind:
        raise TemplateConfigError(f"section {name} of the template names no question_type")
    count = _positive_int(raw.get("count"), f"section {name}'s count")
    marks = _positive_int(raw.get("marks_each"), f"section {name}'s marks_each")
    paired = raw.get("assertion_reason", 0) or 0
    paired = _positive_int(paired, f"section {name}'s assertion_reason", minimum=0)
    return SectionSpec(name, kind, count, marks, min(paired, count))


def _weightage(raw: Any) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise TemplateConfigError("the template's unit_weightage is not an object")
    weights: dict[str, float] = {}
    for unit, weight in raw.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise TemplateConfigError(f"unit {unit!r}'s weightage must be a number of marks")
        if weight > 0:
            weights[str(unit)] = float(weight)
    return weights


def _mix(raw: Any) -> dict[str, int]:
    if raw is None:
        return dict(DEFAULT_DIFFICULTY_MIX)
    if not isinstance(raw, Mapping) or set(raw) - set(DIFFICULTIES):
        raise TemplateConfigError(
            "the template's difficulty_mix must map easy, medium and hard to shares"
        )
    mix = {
        level: _positive_int(raw.get(level, 0), f"difficulty {level}", 0) for level in DIFFICULTIES
    }
    if sum(mix.values()) == 0:
        raise TemplateConfigError("the template's difficulty_mix gives every difficulty 0")
    return mix


def blueprint_from_config(
    config: Mapping[str, Any],
    template_units: Iterable[str] = (),
    chosen_units: Iterable[str] | None = None,
) -> Blueprint:
    """The blueprint of a template's `config`, optionally narrowed to `chosen_units` (a
    subset of the template's units the student picked for unit-wise practice)."""
    sections_raw = config.get("sections") if isinstance(config, Mapping) else None
    if not isinstance(sections_raw, list) or not sections_raw:
        raise TemplateConfigError("the template's config has no sections")
    sections = tuple(_section(raw, index) for index, raw in enumerate(sections_raw))
    names = [section.name for section in sections]
    if len(set(names)) != len(names):
        raise TemplateConfigError("the template names a section twice")
    weights = _weightage(config.get("unit_weightage"))
    allowed = tuple(dict.fromkeys(template_units))
    if chosen_units is not None:
        allowed = tuple(dict.fromkeys(chosen_units))
    if allowed:
        if weights:
            weights = {unit: weight for unit, weight in weights.items() if unit in allowed}
            # A unit the template covers but does not weigh shares evenly with the rest.
            missing = [unit for unit in allowed if unit not in weights]
            if missing:
                share = (sum(weights.values()) / len(weights)) if weights else 1.0
                weights.update({unit: share for unit in missing})
        else:
            weights = {unit: 1.0 for unit in allowed}
    total = sum(section.marks for section in sections)
    scale = total / sum(weights.values()) if weights else 0.0
    targets = {unit: weight * scale for unit, weight in weights.items()}
    return Blueprint(
        sections=sections,
        unit_targets=targets,
        units=tuple(targets) or allowed,
        difficulty_mix=_mix(config.get("difficulty_mix")),
    )


__all__ = [
    "DEFAULT_DIFFICULTY_MIX",
    "DIFFICULTIES",
    "Blueprint",
    "SectionSpec",
    "TemplateConfigError",
    "blueprint_from_config",
]
