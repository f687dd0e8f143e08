"""Exam generation's algorithm (pure: no database, web or cache imports): from a template's
pattern and the bank's active questions, the paper a student sits.

- `blueprint`: the template's sections, unit weightage and difficulty mix, read from
  `exam_templates.config`.
- `allocation`: how many questions of each section each unit gives, so every unit carries
  its weightage in marks (exact when the bank allows; the tolerance is documented there).
- `assembly`: `assemble(blueprint, candidates, seed, recent)` picks the questions (fresh to
  the student, less used, the difficulty mix) and numbers the paper, or raises
  `BankShortage` naming the section, unit and type that is short and by how many.

The service (`service/exams.py`) reads the candidates, calls `assemble` and freezes the
result into the exam's snapshot, seed included, so the paper can be rebuilt.
"""

from lyceum.mathvidya.papers.allocation import Allocation, allocate, interval, proportional_shares
from lyceum.mathvidya.papers.assembly import (
    ANY_UNIT,
    BankShortage,
    Candidate,
    Paper,
    Placed,
    Shortfall,
    assemble,
)
from lyceum.mathvidya.papers.blueprint import (
    DEFAULT_DIFFICULTY_MIX,
    DIFFICULTIES,
    Blueprint,
    SectionSpec,
    TemplateConfigError,
    blueprint_from_config,
)

__all__ = [
    "ANY_UNIT",
    "DEFAULT_DIFFICULTY_MIX",
    "DIFFICULTIES",
    "Allocation",
    "BankShortage",
    "Blueprint",
    "Candidate",
    "Paper",
    "Placed",
    "SectionSpec",
    "Shortfall",
    "TemplateConfigError",
    "allocate",
    "assemble",
    "blueprint_from_config",
    "interval",
    "proportional_shares",
]
