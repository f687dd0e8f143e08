"""Pure scoring: how a data-quality check's counts become a 0-5 score, a status and a
sentence (`quality`). No database, web or cache imports (an import contract says so)."""
