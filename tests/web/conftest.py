"""The web edge's tests use the session-wide `app` and `client` fixtures (tests/conftest.py)."""
