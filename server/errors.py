"""Errors with a stable, machine-readable code: domain refusals, and the HTTP error shape.

Domain code (actions, queue rules, scheduling, solver, ml) raises a `DomainError` subclass: it
says what went wrong (a code, a message, details) and never how a transport reports it. Each
transport maps the class once: `server/api/errors.py` to an HTTP status, the socket layer to a
refusal, FHIR to an OperationOutcome.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal the caller can act on: stable code, human message, details."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body every error shares."""
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Conflict(DomainError):
    """The request is well formed but the current state refuses it (full, wrong status, taken)."""


class Invalid(DomainError):
    """The request is well formed but its values break a rule (dates, limits, references)."""


class Unavailable(DomainError):
    """A part the request needs is away for now; retrying later may succeed."""


class Malformed(Invalid):
    """The request itself is badly formed: a field of the wrong type, an unknown filter value."""


class Unauthenticated(DomainError):
    """The caller is not known: no login, or a key, token or link that opens nothing."""


class RateLimited(DomainError):
    """The caller asked too often; waiting a little will let them in again."""


class APIError(Exception):
    """A refusal raised by the HTTP layer itself: HTTP status, stable code, message, details."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body every error shares."""
        return {"code": self.code, "message": self.message, "details": self.details}


def not_found(what: str, ident: object) -> NotFound:
    """Build the error for a missing row, with a code named after it."""
    return NotFound(f"{what.upper()}_NOT_FOUND", f"{what.replace('_', ' ')} {ident} not found")


def forbidden(message: str = "you may not do this") -> Forbidden:
    """Build the error for an authenticated user without the right."""
    return Forbidden("FORBIDDEN", message)
