"""The CapabilityStatement (`/metadata`): what this server reads, searches and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.fhir import appointments, encounters, patients, places, practitioners, schedules
from server.fhir.base import FHIR_VERSION, MEDIA, instant

SEARCH_TYPES = {
    "_id": "token",
    "identifier": "token",
    "status": "token",
    "gender": "token",
    "active": "token",
    "name": "string",
    "birthdate": "date",
    "date": "date",
    "start": "date",
}
RESOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type: (search parameters, interactions beyond read and search-type)
    "Patient": (patients.SEARCH, ("create",)),
    "Practitioner": (practitioners.SEARCH, ()),
    "PractitionerRole": (practitioners.ROLE_SEARCH, ()),
    "Location": (places.LOCATION_SEARCH, ()),
    "HealthcareService": (places.SERVICE_SEARCH, ()),
    "Schedule": (schedules.SCHEDULE_SEARCH, ()),
    "Slot": (schedules.SLOT_SEARCH, ()),
    "Appointment": (appointments.SEARCH, ("create", "update", "patch")),
    "Encounter": (encounters.SEARCH, ()),
    "Subscription": ((), ("create", "delete")),
}


def _resource(kind: str, search: tuple[str, ...], writes: tuple[str, ...]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": kind,
        "interaction": [{"code": c} for c in ("read", "search-type", *writes)],
        "searchParam": [
            {"name": name, "type": SEARCH_TYPES.get(name, "reference")} for name in search
        ],
    }
    if kind == "Patient":
        entry["conditionalCreate"] = True
    if not entry["searchParam"]:
        del entry["searchParam"]
    return entry


def capability_statement(base_url: str, name: str, software_version: str, now: datetime) -> Any:
    """Describe this server."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(now),
        "kind": "instance",
        "software": {"name": "clinic-queue", "version": software_version},
        "implementation": {"description": f"{name} FHIR endpoint", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [MEDIA, "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "Bearer tokens from POST /api/auth/tokens with SMART scopes "
                    "(patient/, user/, system/ <Resource>.read|write)",
                },
                "resource": [_resource(k, s, w) for k, (s, w) in RESOURCES.items()],
            }
        ],
    }
