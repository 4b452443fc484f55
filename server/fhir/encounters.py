"""Encounter: the live queue; each ticket is a visit, its token the identifier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func

from server.fhir.base import TOKEN, Resource, instant, ref, resource
from server.fhir.search import Query, codes, date_filter, parse_id
from server.fhir.visits import Visit, visits
from server.models import Appointment, Ticket
from server.models.base import UTCDateTime
from server.queue.order import Urgency
from server.queue.state import TicketStatus as S

SEARCH = ("_id", "patient", "practitioner", "date", "status", "identifier", "appointment")
STATUS = {
    S.BOOKED: "planned",
    S.WAITING: "arrived",  # "triaged" once vitals are taken
    S.CALLED: "arrived",
    S.IN_CONSULTATION: "in-progress",
    S.SKIPPED: "onleave",  # called and not found: may come back
    S.COMPLETED: "finished",
    S.NO_SHOW: "cancelled",
    S.CANCELLED: "cancelled",
}
CODES = ("planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled")
PRIORITY = {Urgency.EMERGENCY: "EM", Urgency.URGENT: "UR", Urgency.ROUTINE: "R"}
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"


def status_of(visit: Visit) -> str:
    """Return the Encounter status of a ticket: vitals taken while waiting make it triaged."""
    status = visit.appointment.status
    if status in (S.WAITING, S.CALLED) and visit.vitals:
        return "triaged"
    return STATUS[status]


def to_fhir(visit: Visit) -> Resource:
    """Map one ticket to an Encounter."""
    appointment, ticket = visit.appointment, visit.ticket
    booked = appointment.slot_id is not None
    return resource(
        "Encounter",
        appointment.id,
        appointment.updated_at,
        identifier=[{"system": TOKEN, "value": ticket.token}],
        status=status_of(visit),
        **{"class": {"system": ACT, "code": "AMB", "display": "ambulatory"}},
        priority={"coding": [{"system": ACT_PRIORITY, "code": PRIORITY[appointment.urgency]}]},
        subject=ref("Patient", appointment.patient_id, appointment.patient.full_name),
        participant=[{"individual": ref("Practitioner", ticket.doctor_id)}]
        if ticket.doctor_id
        else [],
        appointment=[ref("Appointment", appointment.id)] if booked else [],
        period={
            "start": instant(appointment.checked_in_at or appointment.scheduled_at),
            "end": instant(appointment.completed_at or appointment.cancelled_at),
        },
        location=[{"location": ref("Location", ticket.room_id)}] if ticket.room_id else [],
        serviceType={
            "coding": [
                {"system": "urn:clinic-queue:department", "code": str(ticket.queue_department_id)}
            ]
        },
    )


def search(query: Query, compartment: int | None) -> Select[Any]:
    """Select the tickets an Encounter search matches."""
    found: list[ColumnElement[bool]] = []
    if compartment is not None:
        found.append(Appointment.patient_id == compartment)
    for name, column, kind in (
        ("_id", Appointment.id, None),
        ("patient", Appointment.patient_id, "Patient"),
        ("practitioner", Ticket.doctor_id, "Practitioner"),
        ("appointment", Appointment.id, "Appointment"),
    ):
        given = query.one(name)
        if given is not None:
            found.append(column.in_([parse_id(name, v, kind) for v in given]))
    statuses = codes("status", query.one("status"), CODES)
    if statuses is not None:
        wanted = {s for s, code in STATUS.items() if code in statuses}
        if "triaged" in statuses:
            wanted |= {S.WAITING, S.CALLED}
        found.append(Appointment.status.in_(wanted))
    tokens = query.one("identifier")
    if tokens is not None:
        found.append(Ticket.token.in_([t.rpartition("|")[2][:8] for t in tokens]))
    start = func.coalesce(Appointment.checked_in_at, Appointment.scheduled_at, type_=UTCDateTime)
    found += date_filter("date", query.values("date"), start)
    return visits().where(*found).order_by(Appointment.id)
