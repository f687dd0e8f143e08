"""Mathvidya's API models (separate from the ORM models in `models/`), one module per area."""
