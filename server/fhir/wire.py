"""FHIR on the wire: reading a request body into a validated resource, writing a response."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from quart import Response, request

from server.fhir.base import BASE, MEDIA
from server.fhir.outcome import FhirError

MAX_BODY = 64 * 1024  # a resource we accept is a few hundred bytes; refuse megabytes early
JSON_TYPES = frozenset({MEDIA, "application/json"})
PATCH_TYPE = "application/json-patch+json"


def respond(body: Any, status: int = 200, **headers: str) -> Response:
    """Answer with a FHIR JSON body."""
    response = Response(json.dumps(body, separators=(",", ":")), status=status, content_type=MEDIA)
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def base_url() -> str:
    """Return this endpoint's address as the client reached it (Bundle links, Location)."""
    return request.host_url.rstrip("/") + BASE


async def json_body(media_types: frozenset[str] = JSON_TYPES) -> Any:
    """Read the request's JSON body: 415 for another media type, 413 too large, 400 malformed."""
    if request.mimetype not in media_types:
        raise FhirError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"send {' or '.join(sorted(media_types))}",
            {"content_type": request.mimetype},
        )
    if (request.content_length or 0) > MAX_BODY:
        raise FhirError(413, "TOO_LARGE", f"a resource is at most {MAX_BODY} bytes")
    raw = await request.get_data(True, False, False)
    if len(raw) > MAX_BODY:
        raise FhirError(413, "TOO_LARGE", f"a resource is at most {MAX_BODY} bytes")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FhirError(400, "MALFORMED_JSON", "the body is not valid UTF-8 JSON") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def validate(kind: str, body: Any) -> dict[str, Any]:
    """Check a resource against the R4 model (fhir.resources); 422 naming each bad element."""
    if not isinstance(body, dict) or body.get("resourceType") != kind:
        raise FhirError(
            422,
            "VALIDATION_ERROR",
            f"expected a {kind} resource",
            {
                "errors": [
                    {"field": "resourceType", "problem": f"must be {kind}", "type": "invalid"}
                ]
            },
        )
    try:
        get_fhir_model_class(kind).model_validate(body)
    except ValidationError as exc:
        errors = [
            {
                "field": f"{kind}." + ".".join(str(p) for p in e["loc"]),
                "problem": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()[:50]
        ]
        raise FhirError(
            422, "VALIDATION_ERROR", f"not a valid {kind}", {"errors": errors}
        ) from None
    return body
