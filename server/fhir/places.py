"""Location (a consultation room) and HealthcareService (a department with its own queue)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from server.fhir.base import DEPARTMENT_CODE, Resource, extension, ref, resource
from server.fhir.search import Query, parse_id
from server.models import Department, Room

LOCATION_SEARCH = ("_id", "name")
SERVICE_SEARCH = ("_id", "identifier")


def location(room: Room) -> Resource:
    """Map a room."""
    return resource(
        "Location",
        room.id,
        None,
        status="active",
        name=room.name,
        mode="instance",
        physicalType={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/location-physical-type",
                    "code": "ro",
                    "display": "Room",
                }
            ]
        },
        partOf=None,
        extension=[
            extension("department", valueReference=ref("HealthcareService", room.department_id))
        ],
    )


def healthcare_service(department: Department) -> Resource:
    """Map a department; its token letter is an extension."""
    return resource(
        "HealthcareService",
        department.id,
        None,
        active=True,
        identifier=[{"system": DEPARTMENT_CODE, "value": department.code}],
        name=department.name,
        extension=[extension("token-prefix", valueString=department.token_prefix)],
    )


def search_locations(query: Query) -> Select[Any]:
    """Select the rooms a Location search matches."""
    statement = select(Room)
    ids = query.one("_id")
    if ids is not None:
        statement = statement.where(Room.id.in_([parse_id("_id", v) for v in ids]))
    names = query.one("name")
    if names is not None:
        statement = statement.where(Room.name.in_(names))
    return statement.order_by(Room.id)


def search_services(query: Query) -> Select[Any]:
    """Select the departments a HealthcareService search matches."""
    statement = select(Department)
    ids = query.one("_id")
    if ids is not None:
        statement = statement.where(Department.id.in_([parse_id("_id", v) for v in ids]))
    codes = query.one("identifier")
    if codes is not None:
        statement = statement.where(Department.code.in_([c.rpartition("|")[2] for c in codes]))
    return statement.order_by(Department.id)
