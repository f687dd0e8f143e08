"""Timestamps as the API documents them: RFC 3339 date-times with an offset.

OpenAPI says `format: date-time` for a datetime parameter, which is RFC 3339's
`date-time`: `2026-01-31T18:30:00Z`, `2026-01-31T18:30:00.25+05:30`. Pydantic reads more
than that (a bare number as a Unix time, `?until=0.5` being 1970; minutes without
seconds; `+0530`; a space for the `T`), so a client could rely on forms the document does
not promise and a generated client would never send. `Timestamp` accepts exactly the
documented form, then lets Pydantic build the value (and check the ranges).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

RFC3339_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def _rfc3339(value: object) -> object:
    # Only text is checked: a datetime built in code is already a datetime.
    if isinstance(value, str) and not RFC3339_DATE_TIME.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format",
            "value is not an RFC 3339 date-time with an offset, e.g. 2026-01-31T18:30:00Z",
        )
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


def _text_or_datetime(value: object) -> object:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError(
            "datetime_type",
            "value is not an RFC 3339 date-time with an offset, e.g. 2026-01-31T18:30:00Z",
        )
    return _rfc3339(value)


# In a strict request body (`core.request.RequestBody`) a datetime must still arrive as JSON
# text: the field is lax so Pydantic parses the text, and the validator refuses what lax mode
# would otherwise accept (a number as a Unix time).
BodyTimestamp = Annotated[AwareDatetime, BeforeValidator(_text_or_datetime), Field(strict=False)]

__all__ = ["RFC3339_DATE_TIME", "BodyTimestamp", "Timestamp"]
