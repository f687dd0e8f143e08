"""Query parameters as every API declares them: one Pydantic model per endpoint.

`QueryParams` refuses what a lax parse would quietly reinterpret. Pydantic reads the text
`0.0` as the integer 0, `1_0` as the number 10 and `nan` or `inf` as floats, none of which
the OpenAPI document's `integer` and `number` admit. Here an integer parameter takes only
digits (optionally signed) and a number parameter only the JSON number syntax (query values
arrive as text and are still parsed); anything else is a 422 naming the parameter. Unknown
parameters are refused too (`extra="forbid"`), so a misspelt filter is an error rather than
silently ignored; a parameter given twice is refused at the web edge
(`lyceum.web.query_params`).
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

# JSON's integer and number grammars (leading zeros tolerated).
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def number_kind(annotation: Any) -> type | None:
    """`int` or `float` when the field holds one (optionally None, possibly `Annotated` with
    its constraints), else None."""
    if get_origin(annotation) is Annotated:
        return number_kind(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        kinds = {number_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return annotation if annotation in (int, float) else None


class QueryParams(BaseModel):
    """Base of every endpoint's query-parameter model."""

    model_config = ConfigDict(extra="forbid")

    _kinds: ClassVar[dict[str, type | None]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._kinds = {name: number_kind(f.annotation) for name, f in cls.model_fields.items()}

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_as_written(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or info.field_name is None:
            return value
        kind = cls._kinds.get(info.field_name)
        if kind is int and not _INTEGER.fullmatch(value):
            raise PydanticCustomError("int_parsing", "Input should be a whole number, e.g. 50")
        if kind is float and not _NUMBER.fullmatch(value):
            raise PydanticCustomError("float_parsing", "Input should be a number, e.g. 0.85")
        return value


__all__ = ["QueryParams", "number_kind"]
