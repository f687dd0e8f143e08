"""Shared platform code. Imports no app: apps and edges depend on core, never the reverse."""
