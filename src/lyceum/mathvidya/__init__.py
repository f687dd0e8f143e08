"""Mathvidya: CBSE class X/XII maths exam practice and teacher evaluation."""

from lyceum.core.appspec import AppSpec

# Seed 003 names no pool sizes: the platform default applies.
app_spec = AppSpec(
    name="mathvidya",
    title="Mathvidya",
    description="CBSE maths exam practice, MCQ auto-marking and teacher evaluation under an SLA",
)
