"""Mathvidya's use cases, one module per area. They read and write through `repository` and
only flush; the edge (a request, a job, a command) commits."""
