"""Read and search: each resource type's query and rendering, paged into Bundles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth.secrets import sign_ticket
from server.fhir import (
    appointments,
    encounters,
    patients,
    places,
    practitioners,
    schedules,
    subscriptions,
)
from server.fhir.access import Grant
from server.fhir.base import Resource
from server.fhir.search import Query, parse_query
from server.fhir.visits import Visit, as_visits
from server.services import Services

Statement = Callable[[Query, Grant, datetime], Select[Any]]
Render = Callable[[list[Any], Services, datetime], list[Resource]]


def live_link(services: Services, visit: Visit) -> str:
    """Return the patient's signed live link of a ticket (as the REST API's answers carry)."""
    token = sign_ticket(services.settings.secret_key, visit.ticket.id)
    return f"{services.settings.public_url}/t/{token}"


def _each(render: Callable[[Any], Resource]) -> Render:
    return lambda rows, _state, _now: [render(row) for row in rows]


def _appointments(rows: list[Any], services: Services, _now: datetime) -> list[Resource]:
    return [appointments.to_fhir(v, live_link(services, v)) for v in as_visits(rows)]


def _encounters(rows: list[Any], _state: Services, _now: datetime) -> list[Resource]:
    return [encounters.to_fhir(v) for v in as_visits(rows)]


@dataclass(frozen=True, slots=True)
class Kind:
    """How to search one resource type and render what was found."""

    parameters: tuple[str, ...]
    statement: Statement
    render: Render
    scalars: bool = True  # rows are ORM objects (else tuples of a visit)


KINDS: Mapping[str, Kind] = {
    "Patient": Kind(
        patients.SEARCH, lambda q, g, _: patients.search(q, g.compartment), _each(patients.to_fhir)
    ),
    "Practitioner": Kind(
        practitioners.SEARCH,
        lambda q, _g, _n: practitioners.search(q),
        _each(practitioners.practitioner),
    ),
    "PractitionerRole": Kind(
        practitioners.ROLE_SEARCH,
        lambda q, _g, _n: practitioners.search_roles(q),
        _each(practitioners.practitioner_role),
    ),
    "Location": Kind(
        places.LOCATION_SEARCH, lambda q, _g, _n: places.search_locations(q), _each(places.location)
    ),
    "HealthcareService": Kind(
        places.SERVICE_SEARCH,
        lambda q, _g, _n: places.search_services(q),
        _each(places.healthcare_service),
    ),
    "Schedule": Kind(
        schedules.SCHEDULE_SEARCH,
        lambda q, _g, _n: schedules.search_schedules(q),
        _each(schedules.schedule),
    ),
    "Slot": Kind(
        schedules.SLOT_SEARCH,
        lambda q, _g, now: schedules.search_slots(q, now),
        lambda rows, _s, now: [schedules.slot(r, now) for r in rows],
    ),
    "Appointment": Kind(
        appointments.SEARCH,
        lambda q, g, _: appointments.search(q, g.compartment),
        _appointments,
        scalars=False,
    ),
    "Encounter": Kind(
        encounters.SEARCH,
        lambda q, g, _: encounters.search(q, g.compartment),
        _encounters,
        scalars=False,
    ),
    "Subscription": Kind(
        ("_id",),
        lambda q, _g, _n: subscriptions.search(q),
        _each(subscriptions.to_fhir),
    ),
}


async def find(
    db: AsyncSession,
    services: Services,
    kind: str,
    query: Query,
    grant: Grant,
    now: datetime,
) -> tuple[list[Resource], int]:
    """Run a search: one page of resources and the total that match."""
    spec = KINDS[kind]
    statement = spec.statement(query, grant, now)
    total = await db.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page = statement.limit(query.count).offset(query.offset)
    result = await db.execute(page)
    rows = list(result.unique().scalars()) if spec.scalars else list(result.unique().tuples())
    return spec.render(rows, services, now), int(total or 0)


def by_id(kind: str, ident: int) -> Query:
    """Return the search that reads one resource by id."""
    return parse_query({"_id": [str(ident)]}, KINDS[kind].parameters)
