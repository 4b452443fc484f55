"""What every FHIR module shares: the base path, media type, identifier systems, references."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

BASE = "/fhir/R4"
FHIR_VERSION = "4.0.1"
MEDIA = "application/fhir+json"
# Identifier systems and extension URLs of this server (stable: EHRs store them).
SYSTEM_BASE = "urn:clinic-queue"
RECORD_NUMBER = f"{SYSTEM_BASE}:record-number"
TOKEN = f"{SYSTEM_BASE}:token"
DEPARTMENT_CODE = f"{SYSTEM_BASE}:department"
EXTENSION = "https://clinic-queue.org/fhir/StructureDefinition"
Resource = dict[str, Any]


def ref(kind: str, ident: int | None, display: str | None = None) -> dict[str, str] | None:
    """Return a Reference to `kind/ident`, or None without an id."""
    if ident is None:
        return None
    found = {"reference": f"{kind}/{ident}"}
    if display:
        found["display"] = display
    return found


def instant(moment: datetime | None) -> str | None:
    """Render an aware datetime as a FHIR instant (UTC, seconds)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    """Render a date as a FHIR date."""
    return value.isoformat() if value is not None else None


def prune(value: Any) -> Any:
    """Drop None, empty lists and empty dicts, recursively: FHIR forbids empty elements."""
    if isinstance(value, dict):
        cleaned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [x for x in (prune(v) for v in value) if x not in (None, [], {}, "")]
    return value


def resource(kind: str, ident: int, updated: datetime | None, **elements: Any) -> Resource:
    """Build a resource dict with its type, id and meta.lastUpdated; empty elements dropped."""
    body: Resource = {"resourceType": kind, "id": str(ident)}
    if updated is not None:
        body["meta"] = {"lastUpdated": instant(updated)}
    body.update(elements)
    return prune(body)  # type: ignore[no-any-return]


def extension(name: str, **value: Any) -> dict[str, Any]:
    """Return one of this server's extensions (`valueInteger=…`, `valueUrl=…`)."""
    return {"url": f"{EXTENSION}/{name}", **value}
