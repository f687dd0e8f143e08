"""Merge rules that need more than "apply once": profile fields are last-writer-wins by
hybrid logical clock, field by field (two devices changing different fields both win; the
same field, the later stamp — device id breaking a tie, which the stamp's string order
includes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The profile fields a device may change; the rest (grade, class) are the school's.
DEVICE_FIELDS = ("exam_date", "available_hours_per_week")


@dataclass(frozen=True, slots=True)
class FieldWrite:
    value: Any
    clock: str


def merge_profile_fields(
    current: Mapping[str, Any],
    clocks: Mapping[str, str],
    writes: Mapping[str, FieldWrite],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields to change and the new clocks: each write whose stamp is later than the
    field's stamp (a field never written has none). Applying the same writes twice, or two
    sets of writes in either order, gives the same result."""
    changed: dict[str, Any] = {}
    new_clocks = dict(clocks)
    for field, write in writes.items():
        if field not in DEVICE_FIELDS:
            raise ValueError(f"{field} is not a field a device may change")
        if write.clock > new_clocks.get(field, ""):
            new_clocks[field] = write.clock
            if current.get(field) != write.value or field in changed:
                changed[field] = write.value
    return changed, new_clocks


__all__ = ["DEVICE_FIELDS", "FieldWrite", "merge_profile_fields"]
