"""Ids in URL paths: positive and within a signed 64-bit integer, else the route does not match."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from server.api.fields import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:…>` in every route is a row id: 1 to 2^63-1, so a larger one is a 404, not a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
