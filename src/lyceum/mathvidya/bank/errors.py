"""A problem found in a question, an import row or a template: where and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """`field` is the column (or config path, e.g. `config.sections[1].marks_each`) at fault;
    `row` the 1-based data row of an import file (None outside an import)."""

    field: str
    reason: str
    row: int | None = None

    def at_row(self, row: int) -> Problem:
        return Problem(self.field, self.reason, row)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.row is not None:
            found = {"row": self.row, **found}
        return found


__all__ = ["Problem"]
