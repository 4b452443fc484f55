"""The one table of who may do what."""

from __future__ import annotations

from server.errors import Forbidden
from server.models.users import Role

A, D, N, S, P = Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.STAFF, Role.PATIENT
EVERYONE = frozenset(Role)
CLINIC = frozenset({A, D, N, S})
DESK = frozenset({A, N, S})

PERMISSIONS: dict[str, frozenset[Role]] = {
    # Reading the clinic's shape and free slots
    "clinic.read": EVERYONE,
    "slots.read": EVERYONE,
    # Booking
    "appointment.book": frozenset({A, S, N, P}),
    "appointment.read": EVERYONE,  # patients: their own only (checked in the action)
    "appointment.cancel": frozenset({A, S, N, P}),
    "appointment.reschedule": frozenset({A, S, N, P}),
    "walk_in.register": DESK,
    # The waitlist (patients: their own entries and offers only, checked in the action)
    "waitlist.join": frozenset({A, S, N, P}),
    "waitlist.read": EVERYONE,
    "waitlist.leave": frozenset({A, S, N, P}),
    "waitlist.answer": frozenset({A, S, N, P}),
    "patient.create": DESK,
    "patient.invite": DESK,  # a signed link to set a password for the record
    "patient.guardian": DESK,  # let a patient's login act for another patient
    "patient.read": CLINIC,
    "patient.search": DESK | {D},
    # The queue
    "queue.read": CLINIC,
    "ticket.read": EVERYONE,  # patients: their own only
    "ticket.check_in": DESK,
    "ticket.print": DESK,
    "ticket.call": frozenset({A, D}),
    "ticket.recall": frozenset({A, D}),
    "ticket.start": frozenset({A, D}),
    "ticket.complete": frozenset({A, D}),
    "ticket.skip": frozenset({A, D}),
    "ticket.no_show": frozenset({A, D, S, N}),
    "ticket.requeue": frozenset({A, D, S, N}),
    "ticket.transfer": frozenset({A, D, S, N}),
    "ticket.cancel": DESK,
    "ticket.emergency": frozenset({A, D, S, N}),
    # The desk records a doctor who starts late or leaves early
    "session.adjust": DESK,
    "desk.presence": frozenset({A, D, S, N}),  # doctors: their own desk only
    # Clinical records
    "vitals.record": frozenset({A, N, D}),
    "vitals.read": frozenset({A, N, D}),
    "note.write": frozenset({A, D}),
    "note.read": frozenset({A, D}),
    # Administration
    "admin.manage": frozenset({A}),
    "audit.read": frozenset({A}),
    "dashboard.read": frozenset({A}),
    # The caller's own account
    "self": EVERYONE,
    "account.patients": frozenset({P}),  # own record, dependants, their preferences
    # The FHIR endpoint: every role reaches it; each resource then checks the permission above
    # it maps to and the token's scopes (server/fhir/access.py)
    "fhir.access": EVERYONE,
}


def allowed(role: Role, permission: str) -> bool:
    """Tell whether `role` holds `permission`; unknown permissions are held by nobody."""
    return role in PERMISSIONS.get(permission, frozenset())


def require(role: Role, permission: str) -> None:
    """Raise 403 FORBIDDEN unless `role` holds `permission`."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}: add it to PERMISSIONS")
    if not allowed(role, permission):
        raise Forbidden("FORBIDDEN", f"a {role.value} may not do {permission}")
