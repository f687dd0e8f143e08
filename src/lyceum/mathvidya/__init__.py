"""Mathvidya: CBSE class X/XII maths exam practice and teacher evaluation.

The package exports what seed 003's `models` package does (the fifteen models and ten
enums) and the connection API (`engine`, `AsyncSessionLocal`, `get_db`) of its `database.py`.
"""

from lyceum.core.appspec import AppSpec

# Seed 003 names no pool sizes: the platform default applies.
app_spec = AppSpec(
    name="mathvidya",
    title="Mathvidya",
    description="CBSE maths exam practice, MCQ auto-marking and teacher evaluation under an SLA",
    models_module="lyceum.mathvidya.models",
)
