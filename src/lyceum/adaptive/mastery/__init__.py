"""Mastery from attempts (pure): Bayesian Knowledge Tracing with forgetting (`bkt.py`), the
model the server updates as attempts arrive (`service/tracing.py`)."""
