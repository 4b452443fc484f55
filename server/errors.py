"""One error type with a stable, machine-readable code."""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    """A refusal the client can act on: HTTP status, stable code, human message, details."""

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


def not_found(what: str, ident: object) -> APIError:
    """Build the error for a missing row, with a code named after it."""
    return APIError(404, f"{what.upper()}_NOT_FOUND", f"{what.replace('_', ' ')} {ident} not found")


def forbidden(message: str = "you may not do this") -> APIError:
    """Build the error for an authenticated user without the right."""
    return APIError(403, "FORBIDDEN", message)
