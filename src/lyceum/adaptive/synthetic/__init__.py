"""Synthetic data for the Adaptive Learning Decision Engine: a CBSE mathematics knowledge graph,
a question bank, students in classes, and months of practice from a latent learning model.

Pure Python and NumPy (no database, no HTTP): `simulate(scale, seed, months, end)` returns an
`AdaptiveHistory` of rows per table plus the ground truth (true mastery) kept apart.

Module by module:

- `syllabus`, `syllabus_xii`: classes X and XII as units → chapters → concepts, with CBSE
  unit marks.
- `graph`: topics with hierarchy and weightage, prerequisite edges (checked acyclic), concepts.
- `problems`, `questions`: one parameterised problem family per chapter; MCQ and numeric
  questions with IRT difficulty and discrimination.
- `people`: scales, students, profiles, classes, teachers, admins and latent traits.
- `learning`: the latent mastery model (practice, prerequisites, forgetting, responses).
- `attempts`: the day-by-day simulation of sessions and attempts.
- `dataset`: `simulate`, `AdaptiveHistory`, `AttemptColumns`, `GroundTruth`.
"""

from lyceum.adaptive.synthetic.dataset import (
    DEFAULT_END,
    DEFAULT_MONTHS,
    MAX_MONTHS,
    AdaptiveHistory,
    AttemptColumns,
    GroundTruth,
    simulate,
)
from lyceum.adaptive.synthetic.graph import KnowledgeGraph, build_graph, topological_order
from lyceum.adaptive.synthetic.people import SCALES, AdaptiveScale

__all__ = [
    "DEFAULT_END",
    "DEFAULT_MONTHS",
    "MAX_MONTHS",
    "SCALES",
    "AdaptiveHistory",
    "AdaptiveScale",
    "AttemptColumns",
    "GroundTruth",
    "KnowledgeGraph",
    "build_graph",
    "simulate",
    "topological_order",
]
