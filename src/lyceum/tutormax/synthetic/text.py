"""Text columns built from code points and lookup tables: per-element string formatting of a
million values (astype(str), zfill) costs seconds, these cost milliseconds."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from lyceum.tutormax.synthetic.catalog import IntArray, StrArray

# Below this many distinct values, integers are formatted once each and looked up.
LOOKUP_LIMIT = 1 << 20

Part = str | tuple[IntArray, int]


def fixed_width(parts: tuple[Part, ...], count: int) -> StrArray:
    """Rows made of literal pieces and zero-padded numbers, e.g. ("T", (numbers, 5))."""
    widths = [len(p) if isinstance(p, str) else p[1] for p in parts]
    codes = np.empty((count, sum(widths)), dtype=np.uint32)
    column = 0
    for part, width in zip(parts, widths, strict=True):
        if isinstance(part, str):
            codes[:, column : column + width] = np.frombuffer(part.encode("utf-32-le"), "<u4")
        else:
            value = np.asarray(part[0], dtype=np.int64).copy()
            if count and (int(value.min()) < 0 or int(value.max()) >= 10**width):
                raise ValueError(f"numbers do not fit {width} digits")
            for position in range(column + width - 1, column - 1, -1):
                codes[:, position] = 48 + value % 10
                value //= 10
        column += width
    return codes.view(f"<U{max(column, 1)}").reshape(count) if column else np.full(count, "")


def int_text(values: npt.NDArray[Any]) -> StrArray:
    """Decimal text of integers."""
    values = np.asarray(values, dtype=np.int64)
    if values.shape[0] == 0:
        return np.zeros(0, dtype="<U1")
    low, high = int(values.min()), int(values.max())
    if high - low < LOOKUP_LIMIT:
        return np.asarray(np.arange(low, high + 1).astype(np.str_)[values - low])
    return values.astype(np.str_)


def quoted(values: npt.NDArray[Any]) -> StrArray:
    """JSON string literals of values that need no escaping (checked)."""
    uniques, inverse = np.unique(np.asarray(values, dtype=np.str_), return_inverse=True)
    if np.any(np.strings.find(uniques, '"') >= 0) or np.any(np.strings.find(uniques, "\\") >= 0):
        raise ValueError("values with quotes or backslashes need real JSON escaping")
    return np.asarray(np.strings.add(np.strings.add('"', uniques), '"'))[inverse]


__all__ = ["fixed_width", "int_text", "quoted"]
