"""A query parameter that an endpoint takes once, given twice, is a 422 naming it.

Starlette keeps every value of a repeated parameter, but FastAPI hands a single-valued
parameter only the last one, so `?history=50&history=0` would silently mean `history=0`.
This check runs as an application-wide dependency, before the route's own parameters are
read: it compares the request's parameters with the single-valued query parameters the
route declares (directly, through a parameter model, or in any of its own dependencies;
declare query parameters there, not in an `APIRouter(dependencies=...)`, whose parameters
the matched route does not carry). List-valued parameters may repeat; that is how they are
sent.
"""

from __future__ import annotations

import collections.abc
import types
from collections import Counter
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

_SEQUENCES: tuple[Any, ...] = (
    list,
    tuple,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.Set,
)


def _is_sequence(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    return (get_origin(annotation) or annotation) in _SEQUENCES


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                if not _is_sequence(info.annotation):
                    alias = (
                        info.validation_alias if isinstance(info.validation_alias, str) else None
                    )
                    names.add(alias or info.alias or name)
        elif not _is_sequence(annotation):
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


_CACHE_ATTRIBUTE = "_lyceum_single_valued_query"


def single_valued_query_parameters(route: APIRoute) -> frozenset[str]:
    """The names of the query parameters `route` reads as one value (worked out once per
    route and kept on it: routes compare by value and cannot be dictionary keys)."""
    names: frozenset[str] | None = getattr(route, _CACHE_ATTRIBUTE, None)
    if names is None:
        names = frozenset(_query_names(route.dependant))
        setattr(route, _CACHE_ATTRIBUTE, names)
    return names


async def reject_repeated_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    single = single_valued_query_parameters(route)
    counts = Counter(name for name, _ in request.query_params.multi_items() if name in single)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"given {counts[name]} times, but it takes one value",
                    "type": "repeated_parameter",
                }
                for name in repeated
            ]
        )


__all__ = ["reject_repeated_query_parameters", "single_valued_query_parameters"]
