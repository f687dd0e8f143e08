"""JSON request bodies as every API declares them: `RequestBody` is the base of each.

Strict and closed (`strict=True`, `extra="forbid"`): `true` or `"100"` is not the integer 100
and an unknown field is an error, so a body means exactly what the OpenAPI document says. One
exception to Pydantic's strictness, for the same reason: JSON Schema's `integer` admits any
number with a zero fractional part (`100.0` is an integer to a JSON client), so an integer
field takes a whole-number float as that integer; `100.5` is still refused.

FastAPI validates a body as Python values after parsing the JSON, and strict Python
validation wants an enum member, a `UUID` or a `datetime` object, which JSON cannot carry. A
field of such a type is declared `Annotated[T, FROM_JSON_TEXT]`: lax for that field only, so
the text is parsed (an enum's values, a UUID's text) and nothing else is coerced that JSON
could send. Date-times use `core.timestamps.BodyTimestamp`, which also refuses numbers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from lyceum.core.query import number_kind

FROM_JSON_TEXT: Any = Field(strict=False)


class RequestBody(BaseModel):
    """Base of every JSON request body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    _integer_fields: ClassVar[frozenset[str]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._integer_fields = frozenset(
            name for name, field in cls.model_fields.items() if number_kind(field.annotation) is int
        )

    @field_validator("*", mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, value: Any, info: ValidationInfo) -> Any:
        if (
            info.field_name in cls._integer_fields
            and isinstance(value, float)
            and value.is_integer()
        ):
            return int(value)
        return value


__all__ = ["FROM_JSON_TEXT", "RequestBody"]
