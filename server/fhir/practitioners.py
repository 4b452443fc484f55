"""Practitioner and PractitionerRole: a doctor, and the doctor's place in a department."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from server.fhir.base import Resource, ref, resource
from server.fhir.search import Query, bad, parse_id
from server.models import Doctor

SEARCH = ("_id", "name", "active")
ROLE_SEARCH = ("_id", "practitioner", "service", "active")


def practitioner(doctor: Doctor) -> Resource:
    """Map a doctor to a Practitioner."""
    return resource(
        "Practitioner",
        doctor.id,
        None,
        active=doctor.active,
        name=[{"use": "official", "text": doctor.name}],
    )


def practitioner_role(doctor: Doctor) -> Resource:
    """Map a doctor to the PractitionerRole that ties them to their department and room."""
    return resource(
        "PractitionerRole",
        doctor.id,
        None,
        active=doctor.active,
        practitioner=ref("Practitioner", doctor.id, doctor.name),
        healthcareService=[ref("HealthcareService", doctor.department_id)],
        location=[ref("Location", doctor.room_id)],
        code=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/practitioner-role",
                        "code": "doctor",
                        "display": "Doctor",
                    }
                ]
            }
        ],
        specialty=[{"text": doctor.specialty}] if doctor.specialty else [],
    )


def _active(query: Query) -> list[ColumnElement[bool]]:
    given = query.one("active")
    if given is None:
        return []
    if given not in (["true"], ["false"]):
        raise bad("active", "true or false")
    return [Doctor.active.is_(given == ["true"])]


def search(query: Query) -> Select[Any]:
    """Select the doctors a Practitioner search matches."""
    found = _active(query)
    ids = query.one("_id")
    if ids is not None:
        found.append(Doctor.id.in_([parse_id("_id", v) for v in ids]))
    names = query.one("name")
    if names is not None:
        found.append(func.lower(Doctor.name).contains(names[0].lower(), autoescape=True))
    return select(Doctor).where(*found).order_by(Doctor.id)


def search_roles(query: Query) -> Select[Any]:
    """Select the doctors a PractitionerRole search matches."""
    found = _active(query)
    for name, column, kind in (
        ("_id", Doctor.id, None),
        ("practitioner", Doctor.id, "Practitioner"),
        ("service", Doctor.department_id, "HealthcareService"),
    ):
        given = query.one(name)
        if given is not None:
            found.append(column.in_([parse_id(name, v, kind) for v in given]))
    return select(Doctor).where(*found).order_by(Doctor.id)
