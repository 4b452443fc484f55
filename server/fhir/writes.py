"""Writes, each through the action the REST API uses: conditional Patient create, booking an
Appointment on a Slot, changing its status (cancel, arrival, no-show), Subscriptions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from quart import Response, request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import booking, queue
from server.actions.booking import SlotChoice
from server.actions.common import audit
from server.actions.patients import create_patient
from server.api.idempotency import created
from server.auth.permissions import require
from server.auth.scopes import Access
from server.errors import APIError, DomainError
from server.fhir import appointments, patients, subscriptions
from server.fhir.access import Grant, authorize
from server.fhir.outcome import FhirError
from server.fhir.reads import live_link
from server.fhir.runtime import runtime
from server.fhir.search import parse_query, path_id
from server.fhir.visits import Visit, as_visits, visits
from server.fhir.wire import PATCH_TYPE, base_url, json_body, respond, validate
from server.models import Appointment, FhirSubscription, Patient, Slot, Source
from server.services import clinic

# A status an Appointment may be set to, the action that does it and the permission it needs.
STATUS_CHANGES = {
    "cancelled": "appointment.cancel",
    "arrived": "ticket.check_in",
    "noshow": "ticket.no_show",
}


def _precondition(message: str, details: dict[str, Any] | None = None) -> FhirError:
    return FhirError(412, "PRECONDITION_FAILED", message, details)


def _taken(error: Exception) -> bool:
    return isinstance(error, APIError | DomainError) and error.code == "RECORD_NUMBER_TAKEN"


def _condition() -> str | None:
    """Return the record number of a conditional create: If-None-Exist, or the query string
    (fhirpy's get_or_create sends the search there); None for a plain create."""
    header = request.headers.get("If-None-Exist")
    if header is not None:
        args = parse_qs(header, keep_blank_values=True)
    elif request.args:
        args = request.args.to_dict(flat=False)
    else:
        return None
    given = parse_query(args, ("identifier",)).one("identifier")
    if not given or len(given) != 1:
        raise _precondition("a conditional create takes one identifier=<system>|<value>")
    return patients.identifier_value(given[0], "If-None-Exist")


async def create_patient_route() -> Response:
    """Register a patient; with If-None-Exist: identifier=…, return the match instead (200)."""
    grant = await authorize("Patient", Access.WRITE)
    new = patients.from_fhir(validate("Patient", await json_body()))
    wanted = _condition()
    if wanted is not None:
        if new.record_number not in (None, wanted):
            raise _precondition("the identifier differs from the If-None-Exist condition")
        new = replace(new, record_number=wanted)
    services = clinic()

    async def existing(db: AsyncSession) -> Patient | None:
        found = list(await db.scalars(select(Patient).where(Patient.record_number == wanted)))
        return found[0] if found else None

    async def work(db: AsyncSession) -> tuple[Patient, bool]:
        if wanted is not None:
            match = await existing(db)
            if match is not None:
                return match, False
        try:
            return await create_patient(db, grant.actor, new, now=services.clock()), True
        except (APIError, DomainError) as error:
            match = await existing(db) if wanted is not None and _taken(error) else None
            if match is None:
                raise
            return match, False  # a concurrent twin created it first

    patient, made = await services.run(work)
    body = patients.to_fhir(patient)
    location = f"{base_url()}/Patient/{patient.id}"
    return respond(body, 201 if made else 200, Location=location)


async def book_route() -> Response:
    """Book a free Slot for a patient: the web booking's action, token and live link."""
    grant = await authorize("Appointment", Access.WRITE)
    wanted = appointments.from_fhir(validate("Appointment", await json_body()))
    who, services = grant.actor, clinic()
    patient_id = wanted.patient_id if wanted.patient_id is not None else who.patient_id
    if patient_id is None:
        raise FhirError(422, "PATIENT_REQUIRED", "name the Patient participant")
    if grant.compartment is not None and patient_id != grant.compartment:
        raise APIError(403, "FORBIDDEN", "a patient books only for themselves")

    async def work(db: AsyncSession) -> Visit:
        ticket = await booking.book(
            db,
            who,
            patient_id=patient_id,
            choice=SlotChoice(wanted.slot_id),
            now=services.clock(),
            urgency=wanted.urgency,
            reason=wanted.reason,
            scorer=services.scorer,
            policy=services.overbooking,
            horizon=services.settings.booking_horizon,
        )
        slot = await db.get(Slot, wanted.slot_id)
        return Visit(ticket, slot.ends_at if slot else None, False)

    body, status, headers = await created(
        work, lambda v: appointments.to_fhir(v, live_link(services, v))
    )
    location = f"{base_url()}/Appointment/{body['id']}"
    return respond(body, status, Location=location, **headers)


async def _visit(db: AsyncSession, grant: Grant, appointment_id: int) -> Visit:
    statement = visits().where(
        Appointment.id == appointment_id, Appointment.source == Source.ONLINE
    )
    if grant.compartment is not None:
        statement = statement.where(Appointment.patient_id == grant.compartment)
    found = as_visits((await db.execute(statement)).unique().tuples())
    if not found:
        raise APIError(404, "APPOINTMENT_NOT_FOUND", f"appointment {appointment_id} not found")
    return found[0]


async def _new_status(body: Any, current: dict[str, Any]) -> tuple[str, str]:
    """Return (status, reason) a PUT or PATCH body asks for."""
    if request.method == "PATCH" and isinstance(body, list):
        status, reason = current["status"], ""
        for op in body:
            if not isinstance(op, dict) or op.get("op") not in ("replace", "add", "test"):
                raise FhirError(422, "UNSUPPORTED_PATCH", "only replace/add/test of /status")
            if op.get("path") == "/status" and op["op"] != "test":
                status = str(op.get("value"))
            elif op.get("path") == "/cancelationReason/text":
                reason = str(op.get("value"))[:500]
            elif op["op"] != "test":
                raise FhirError(
                    422, "UNSUPPORTED_PATCH", "only the status can change", {"path": op.get("path")}
                )
        return status, reason
    if not isinstance(body, dict):
        raise FhirError(422, "VALIDATION_ERROR", "expected an Appointment")
    if request.method == "PUT":
        validate("Appointment", body)
        if body.get("id") != current["id"]:
            raise FhirError(400, "ID_MISMATCH", "the body's id must be the URL's")
    reason = ((body.get("cancelationReason") or {}).get("text") or "")[:500]
    return str(body.get("status", current["status"])), reason


async def change_status_route(ident: str) -> Response:
    """PUT or PATCH an Appointment's status: cancelled, arrived or noshow, through the actions."""
    appointment_id = path_id("Appointment", ident)
    grant = await authorize("Appointment", Access.WRITE)
    media = frozenset({"application/fhir+json", "application/json", PATCH_TYPE})
    body = await json_body(media)
    services, who = clinic(), grant.actor

    async def work(db: AsyncSession) -> Visit:
        visit = await _visit(db, grant, appointment_id)
        current = appointments.to_fhir(visit, None)
        status, reason = await _new_status(body, current)
        if status == current["status"]:
            return visit  # nothing to do: PUT of the same state is idempotent
        permission = STATUS_CHANGES.get(status)
        if permission is None:
            raise FhirError(
                422,
                "UNSUPPORTED_STATUS",
                f"an appointment can be set to {', '.join(STATUS_CHANGES)} here",
                {"status": status[:40]},
            )
        require(who.role, permission)
        now, ticket_id = services.clock(), visit.ticket.id
        if status == "cancelled":
            await booking.cancel(db, who, ticket_id=ticket_id, now=now, reason=reason)
        elif status == "arrived":
            await queue.check_in(db, who, ticket_id=ticket_id, now=now)
        else:
            await queue.mark_no_show(db, who, ticket_id=ticket_id, now=now, reason=reason)
        return visit

    visit = await services.run(work)
    return respond(appointments.to_fhir(visit, live_link(services, visit)))


async def create_subscription_route() -> Response:
    """Register a rest-hook Subscription (admins): matching changes are posted to its endpoint."""
    grant = await authorize("Subscription", Access.WRITE)
    row = subscriptions.from_fhir(validate("Subscription", await json_body()))
    services = clinic()
    found = runtime(services)

    async def work(db: AsyncSession) -> FhirSubscription:
        count = len(list(await db.scalars(select(FhirSubscription.id))))
        if count >= found.settings.max_subscriptions:
            raise FhirError(409, "TOO_MANY_SUBSCRIPTIONS", "remove a subscription first")
        row.created_by, row.created_at = grant.actor.user_id, services.clock()
        db.add(row)
        await db.flush()
        audit(
            db,
            grant.actor,
            "fhir.subscribe",
            None,
            details={"subscription_id": row.id, "criteria": row.criteria, "endpoint": row.endpoint},
            now=services.clock(),
        )
        return row

    saved = await services.run(work)
    found.cache.forget()
    return respond(
        subscriptions.to_fhir(saved), 201, Location=f"{base_url()}/Subscription/{saved.id}"
    )


async def delete_subscription_route(ident: str) -> Response:
    """Remove a Subscription; its pending notifications are not sent."""
    subscription_id = path_id("Subscription", ident)
    grant = await authorize("Subscription", Access.WRITE)
    services = clinic()

    async def work(db: AsyncSession) -> None:
        row = await db.get(FhirSubscription, subscription_id)
        if row is None:
            raise APIError(
                404, "SUBSCRIPTION_NOT_FOUND", f"subscription {subscription_id} not found"
            )
        await db.delete(row)
        audit(
            db,
            grant.actor,
            "fhir.unsubscribe",
            None,
            details={"subscription_id": subscription_id},
            now=services.clock(),
        )

    await services.run(work)
    runtime(services).cache.forget()
    return Response("", status=204)
