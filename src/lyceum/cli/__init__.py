"""The `lyceum` command line (Typer + Rich)."""
