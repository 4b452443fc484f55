"""Appointment: a booking (a ticket with a slot), its status mapped from the ticket's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select

from server.fhir.base import TOKEN, Resource, extension, instant, ref, resource
from server.fhir.outcome import invalid
from server.fhir.search import Query, codes, date_filter, parse_id
from server.fhir.visits import Visit, visits
from server.models import Appointment, Source, Ticket
from server.queue.order import Urgency
from server.queue.state import TicketStatus as S

SEARCH = ("_id", "patient", "practitioner", "date", "status", "identifier", "slot")
STATUS = {
    S.BOOKED: "booked",
    S.WAITING: "arrived",
    S.CALLED: "arrived",
    S.IN_CONSULTATION: "arrived",
    S.SKIPPED: "arrived",
    S.COMPLETED: "fulfilled",
    S.NO_SHOW: "noshow",
    S.CANCELLED: "cancelled",
}
TICKET_STATUSES = {code: [s for s, c in STATUS.items() if c == code] for code in STATUS.values()}
TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"
PRIORITY = {Urgency.EMERGENCY: 1, Urgency.URGENT: 3, Urgency.ROUTINE: 5}


def to_fhir(visit: Visit, live_link: str | None) -> Resource:
    """Map one booking; the token is its identifier, the live link and no-show odds extensions."""
    appointment, ticket = visit.appointment, visit.ticket
    kind = "EMERGENCY" if appointment.urgency is Urgency.EMERGENCY else "ROUTINE"
    extras = [extension("live-link", valueUrl=live_link)] if live_link else []
    if appointment.no_show_probability is not None:
        extras.append(
            extension("no-show-probability", valueDecimal=round(appointment.no_show_probability, 4))
        )
    if appointment.overbooked:
        extras.append(extension("overbooked", valueString=appointment.overbook_reason or "yes"))
    return resource(
        "Appointment",
        appointment.id,
        appointment.updated_at,
        identifier=[{"system": TOKEN, "value": ticket.token}],
        status=STATUS[appointment.status],
        appointmentType={"coding": [{"system": TYPE, "code": kind}]},
        priority=PRIORITY[appointment.urgency],
        reasonCode=[{"text": appointment.reason}] if appointment.reason else [],
        start=instant(appointment.scheduled_at),
        end=instant(visit.slot_ends_at),
        slot=[ref("Slot", appointment.slot_id)],
        created=instant(appointment.booked_at),
        participant=[
            {
                "actor": ref("Patient", appointment.patient_id, appointment.patient.full_name),
                "required": "required",
                "status": "accepted",
            },
            {"actor": ref("Practitioner", appointment.doctor_id), "status": "accepted"},
            {"actor": ref("Location", ticket.room_id), "status": "accepted"},
            {"actor": ref("HealthcareService", appointment.department_id), "status": "accepted"},
        ],
        extension=extras,
    )


def reference_id(element: str, reference: str, kind: str) -> int:
    """Read `Kind/<id>` in a resource's element (422 naming the element otherwise)."""
    text = reference.removeprefix(f"{kind}/")
    if not reference.startswith(f"{kind}/") or not text.isdigit() or not 0 < int(text) < 2**63:
        raise invalid(element, f"expected {kind}/<id>, got {reference[:40]!r}")
    return int(text)


def search(query: Query, compartment: int | None) -> Select[Any]:
    """Select the bookings an Appointment search matches (walk-ins are Encounters only)."""
    found: list[ColumnElement[bool]] = [Appointment.source == Source.ONLINE]
    if compartment is not None:
        found.append(Appointment.patient_id == compartment)
    for name, column, kind in (
        ("_id", Appointment.id, None),
        ("patient", Appointment.patient_id, "Patient"),
        ("practitioner", Appointment.doctor_id, "Practitioner"),
        ("slot", Appointment.slot_id, "Slot"),
    ):
        given = query.one(name)
        if given is not None:
            found.append(column.in_([parse_id(name, v, kind) for v in given]))
    statuses = codes("status", query.one("status"), TICKET_STATUSES)
    if statuses is not None:
        found.append(
            Appointment.status.in_([s for code in statuses for s in TICKET_STATUSES[code]])
        )
    tokens = query.one("identifier")
    if tokens is not None:
        found.append(Ticket.token.in_([t.rpartition("|")[2][:8] for t in tokens]))
    found += date_filter("date", query.values("date"), Appointment.scheduled_at)
    return visits().where(*found).order_by(Appointment.scheduled_at, Appointment.id)


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What a POSTed Appointment asks for."""

    slot_id: int
    patient_id: int | None
    reason: str
    urgency: Urgency


def from_fhir(body: dict[str, Any]) -> BookingRequest:
    """Read a validated Appointment into a booking request (one Slot, the patient participant)."""
    if body.get("status") not in ("booked", "proposed", "pending"):
        raise invalid("Appointment.status", "a new appointment is booked, proposed or pending")
    slots = body.get("slot") or []
    if len(slots) != 1 or not isinstance(slots[0].get("reference"), str):
        raise invalid("Appointment.slot", 'name exactly one Slot: {"reference": "Slot/<id>"}')
    slot_id = reference_id("Appointment.slot", slots[0]["reference"], "Slot")
    patients = [
        p["actor"]["reference"]
        for p in body.get("participant") or []
        if isinstance((p.get("actor") or {}).get("reference"), str)
        and p["actor"]["reference"].startswith("Patient/")
    ]
    if len(patients) > 1:
        raise invalid("Appointment.participant", "at most one Patient participant")
    patient_id = None
    if patients:
        patient_id = reference_id("Appointment.participant", patients[0], "Patient")
    codes_ = [c.get("code") for c in (body.get("appointmentType") or {}).get("coding") or []]
    urgency = Urgency.EMERGENCY if "EMERGENCY" in codes_ else Urgency.ROUTINE
    reasons = [r.get("text") or "" for r in body.get("reasonCode") or []]
    reason = "; ".join(r for r in reasons if r) or (body.get("description") or "")
    if len(reason) > 500:
        raise invalid("Appointment.reasonCode", "at most 500 characters of reason")
    return BookingRequest(slot_id, patient_id, reason, urgency)
