"""Every error leaves the server as JSON: code, message, details."""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from quart import Quart, Response, jsonify, request
from quart_auth import Unauthorized
from quart_schema import RequestSchemaValidationError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from server.db import is_outage
from server.errors import (
    APIError,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "DATABASE_UNAVAILABLE",
}


# How long a client should wait before retrying while the database is away: a MariaDB
# restart measured by tests/api/test_database_restart.py takes a few seconds.
RETRY_AFTER_S = 3
# The generated column whose unique index keeps one live ticket per patient, department and
# day (migration 0005); both databases name it (or its index) in the violation's message.
ACTIVE_TICKET_COLUMN = "active_ticket"


# The one table from a domain refusal's class to its HTTP status; a subclass not named here
# answers as its nearest named ancestor (InvalidTransition is a Conflict: 409).
HTTP_STATUS: dict[type[DomainError], int] = {
    DomainError: 400,
    Malformed: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    RateLimited: 429,
    Unavailable: 503,
}


class Reply(NamedTuple):
    """How an error leaves over HTTP: status, stable code, message, details."""

    status: int
    code: str
    message: str
    details: dict[str, Any]


def http_status(error: DomainError) -> int:
    """Return the HTTP status of a domain refusal: its class's, or its nearest ancestor's."""
    return next(HTTP_STATUS[cls] for cls in type(error).__mro__ if cls in HTTP_STATUS)


def describe(error: DomainError | APIError) -> Reply:
    """Map a domain refusal (or the HTTP layer's own APIError) to what any HTTP transport sends."""
    status = error.status if isinstance(error, APIError) else http_status(error)
    return Reply(status, error.code, error.message, error.details)


def error_response(error: DomainError | APIError) -> tuple[Response, int]:
    """Render an error as the one JSON shape; a 503 says when to retry."""
    reply = describe(error)
    response = jsonify({"code": reply.code, "message": reply.message, "details": reply.details})
    if reply.status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response, reply.status


def database_error(error: SQLAlchemyError) -> DomainError | None:
    """Map a database failure that is not a bug to a refusal: an outage, or a conflict."""
    if is_outage(error):
        return Unavailable(
            "DATABASE_UNAVAILABLE",
            "the database is not answering; try again shortly",
            {"retry_after_s": RETRY_AFTER_S},
        )
    if isinstance(error, IntegrityError):
        if ACTIVE_TICKET_COLUMN in str(error.orig):
            return Conflict(
                "ALREADY_QUEUED",
                "the patient already has a live ticket in this department today",
            )
        # A race between two writers that a check in the action could not see.
        return Conflict("CONFLICT", "a concurrent change conflicts with this one")
    return None


def _validation_details(error: RequestSchemaValidationError) -> dict[str, Any]:
    inner = error.validation_error
    if hasattr(inner, "errors"):
        return {
            "errors": [
                {
                    "field": ".".join(str(p) for p in e["loc"]),
                    "problem": e["msg"],
                    "type": e["type"],
                }
                for e in inner.errors()
            ]
        }
    return {"errors": [{"field": "", "problem": str(inner), "type": "invalid"}]}


def register_error_handlers(app: Quart) -> None:
    """Turn every exception into the one JSON error shape."""

    @app.errorhandler(APIError)
    async def _api_error(error: APIError) -> tuple[Response, int]:
        return error_response(error)

    @app.errorhandler(DomainError)
    async def _refused(error: DomainError) -> tuple[Response, int]:
        return error_response(error)

    @app.errorhandler(RequestSchemaValidationError)
    async def _invalid(error: RequestSchemaValidationError) -> tuple[Response, int]:
        if isinstance(error.validation_error, TypeError | ValueError) and "JSON" in str(
            error.validation_error
        ):
            return error_response(APIError(400, "MALFORMED_JSON", "the body is not valid JSON"))
        details = _validation_details(error)
        return error_response(
            APIError(400, "VALIDATION_ERROR", "the request is not valid", details)
        )

    @app.errorhandler(Unauthorized)
    async def _unauthorized(_: Unauthorized) -> tuple[Response, int]:
        return error_response(APIError(401, "UNAUTHENTICATED", "log in first"))

    @app.errorhandler(HTTPException)
    async def _http(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        if status == 400 and request.mimetype == "application/json":
            return error_response(APIError(400, "MALFORMED_JSON", "the body is not valid JSON"))
        code = HTTP_CODES.get(status, "HTTP_ERROR")
        return error_response(APIError(status, code, error.description or error.name))

    @app.errorhandler(SQLAlchemyError)
    async def _database(error: SQLAlchemyError) -> tuple[Response, int]:
        mapped = database_error(error)
        if mapped is None:
            return await _crash(error)
        log.warning("%s %s: %s", request.method, request.path, mapped.code, exc_info=error)
        return error_response(mapped)

    @app.errorhandler(Exception)
    async def _crash(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
        return error_response(APIError(500, "INTERNAL", "something went wrong on our side"))
