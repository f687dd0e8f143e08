"""The simulation's clock arithmetic (pure: no database, no HTTP)."""
