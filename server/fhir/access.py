"""Who may read or write which resource: the role's permission, the token's scopes, and the
patient compartment (a patient, or a patient/ scope, sees only that patient's data)."""

from __future__ import annotations

from dataclasses import dataclass

from quart import g

from server.auth.actor import Actor
from server.auth.permissions import allowed
from server.auth.scopes import Access, parse_all, permitted
from server.auth.web import check_csrf, current_actor
from server.errors import APIError
from server.models import Role

# The REST permission each (resource, access) needs: the same roles as the REST API.
PERMISSION: dict[tuple[str, Access], str] = {
    ("Patient", Access.READ): "patient.read",
    ("Patient", Access.WRITE): "patient.create",
    ("Practitioner", Access.READ): "clinic.read",
    ("PractitionerRole", Access.READ): "clinic.read",
    ("Location", Access.READ): "clinic.read",
    ("HealthcareService", Access.READ): "clinic.read",
    ("Schedule", Access.READ): "clinic.read",
    ("Slot", Access.READ): "slots.read",
    ("Appointment", Access.READ): "appointment.read",
    ("Appointment", Access.WRITE): "appointment.book",
    ("Encounter", Access.READ): "ticket.read",
    ("Subscription", Access.READ): "admin.manage",
    ("Subscription", Access.WRITE): "admin.manage",
}
# Resources a patient reads only within their own compartment.
PATIENT_DATA = frozenset({"Patient", "Appointment", "Encounter"})
NOBODY = 0  # a compartment no patient has: a patient login without a record sees nothing


@dataclass(frozen=True, slots=True)
class Grant:
    """The caller, and the patient whose data alone they may see (None: no such limit)."""

    actor: Actor
    compartment: int | None


async def authorize(resource: str, access: Access) -> Grant:
    """Check the caller may do `access` on `resource`; 401 without credentials, 403 otherwise."""
    actor = await current_actor()
    if actor is None:
        raise APIError(401, "UNAUTHENTICATED", "send a bearer token (Authorization: Bearer …)")
    check_csrf()
    permission = PERMISSION.get((resource, access))
    if permission is None:
        raise APIError(405, "METHOD_NOT_ALLOWED", f"{resource} is {access.value}-only here")
    compartment: int | None = None
    if actor.scopes is not None:
        scope = permitted(parse_all(actor.scopes), resource, access)
        if scope is None:
            raise APIError(
                403,
                "INSUFFICIENT_SCOPE",
                f"the token has no scope for {resource}.{access.value}",
                {"scopes": actor.scopes.split()},
            )
        if scope.context == "patient":
            compartment = actor.patient_id or NOBODY
    patient_side = actor.role is Role.PATIENT
    if patient_side:
        compartment = actor.patient_id or NOBODY
    own_data = patient_side and access is Access.READ and resource in PATIENT_DATA
    if not allowed(actor.role, permission) and not own_data:
        raise APIError(403, "FORBIDDEN", f"a {actor.role.value} may not {access.value} {resource}")
    g.fhir_grant = Grant(actor, compartment)
    return Grant(actor, compartment)
