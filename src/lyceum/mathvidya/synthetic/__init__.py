"""Mathvidya's synthetic data: a question bank of real CBSE mathematics, families, plans, exam
templates and an exam history, as rows for `lyceum.mathvidya.generate` to load.

Pure Python (no database, no HTTP): `generate_dataset(scale, seed, plans, holidays)` returns
one list of row dicts per table. Plans and holidays are migration 0007's reference rows,
passed in by the loader so subscriptions copy the real plan terms and SLA deadlines skip the
real holidays.

Module by module:

- `catalog`: the instant the data describes (`AS_OF`), scales, names, schools, chapter codes.
- `mathfmt`: exact answers written as a paper writes them (fractions, surds, π, polynomials).
- `problem`, `problems_*`: parameterised templates, a few per chapter, each returning the
  question, its computed answer, plausible wrong answers and the worked steps.
- `bank`: questions of every type and difficulty from those problems (MCQ options,
  assertion-reason items, model answers, marking schemes, versions and statuses).
- `people`, `subscriptions`: students, parents, teachers, admins, parent links, plan years.
- `papers`: the board paper, its sections and unit practice papers per class.
- `exams`, `marking`, `workhours`: the exam history with answers, answer sheets, teacher
  evaluations under the SLA clock and marks.
- `dataset`: `generate_dataset` and `MathvidyaData`.

Deterministic: every random draw comes from a stream seeded by (seed, purpose), so (scale,
seed, months) fixes every row, keys included.
"""

from lyceum.mathvidya.synthetic.bank import ASSERTION_OPTIONS, BankQuestion, allocate
from lyceum.mathvidya.synthetic.catalog import AS_OF, SCALES, MathvidyaScale, PlanTerms
from lyceum.mathvidya.synthetic.dataset import MAX_MONTHS, TABLES, MathvidyaData, generate_dataset
from lyceum.mathvidya.synthetic.papers import BOARD_SECTIONS, section_marks
from lyceum.mathvidya.synthetic.workhours import add_working_hours

__all__ = [
    "ASSERTION_OPTIONS",
    "AS_OF",
    "BOARD_SECTIONS",
    "MAX_MONTHS",
    "SCALES",
    "TABLES",
    "BankQuestion",
    "MathvidyaData",
    "MathvidyaScale",
    "PlanTerms",
    "add_working_hours",
    "allocate",
    "generate_dataset",
    "section_marks",
]
