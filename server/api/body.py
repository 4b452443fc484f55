"""Decode JSON request bodies strictly: UTF-8, plain JSON, bounded depth; 400 with a code."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from pydantic import BaseModel, ValidationError
from quart import Request, request
from quart_schema import DataSource, RequestSchemaValidationError
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from server.errors import APIError

Handler = Callable[..., Any]

# Our schemas nest two levels at most; anything far deeper is an attack on the parser.
MAX_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def depth_of(value: Any) -> int:
    """Return how deeply lists and objects nest in a decoded JSON value (a scalar is 0)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def decode_json(raw: bytes) -> Any:
    """Decode a request body; raise APIError 400 BAD_ENCODING or MALFORMED_JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise APIError(
            400, "BAD_ENCODING", "the body must be UTF-8", {"position": exc.start}
        ) from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        value = None
        too_deep = True
    except ValueError as exc:
        raise APIError(
            400, "MALFORMED_JSON", "the body is not valid JSON", {"problem": str(exc)}
        ) from None
    else:
        too_deep = depth_of(value) > MAX_DEPTH
    if too_deep:
        raise APIError(400, "MALFORMED_JSON", f"the body nests deeper than {MAX_DEPTH} levels", {})
    return value


class StrictJSONRequest(Request):
    """A request whose JSON body is decoded by `decode_json` (size is capped by the app)."""

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Return the decoded JSON body, or None when the body is not declared JSON."""
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None
        raw = await self.get_data(cache, False, False)
        try:
            result = decode_json(raw)
        except APIError:
            if silent:
                return None
            raise
        if cache:
            self._cached_json[silent] = result
        return result


def optional_request(model_class: type[BaseModel]) -> Callable[[Handler], Handler]:
    """Validate a JSON body that may be left out (as `{}`), like quart-schema's own decorator.

    For routes that took no body before: existing clients keep posting none.
    """

    def decorator(func: Handler) -> Handler:
        setattr(func, QUART_SCHEMA_REQUEST_ATTRIBUTE, (model_class, DataSource.JSON))

        @wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            data = await request.get_json()
            try:
                model = model_class.model_validate({} if data is None else data)
            except ValidationError as error:
                raise RequestSchemaValidationError(error) from None
            return await func(*args, data=model, **kwargs)

        return wrapper

    return decorator
