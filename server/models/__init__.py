"""Every table, importable from one place (Alembic reads Base.metadata from here)."""

from server.models.accounts import AccountCode, Guardianship
from server.models.appointments import Appointment, Source, Ticket, TokenCounter
from server.models.audit import AuditEvent
from server.models.base import Base, utcnow
from server.models.clinic import Department, Doctor, DoctorSession, Room, Slot
from server.models.clinical import ConsultationNote, Vitals
from server.models.fhir import FhirSubscription
from server.models.idempotency import IdempotencyKey
from server.models.outbox import OutboxMessage, OutboxStatus
from server.models.patients import ContactPreference, Patient
from server.models.planning import QueuePlan
from server.models.priority import PriorityCategory
from server.models.rotas import ClinicClosure, DoctorLeave, SessionTemplate
from server.models.users import ApiToken, Display, DisplayKind, LoginSession, Role, User
from server.models.waitlist import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer

__all__ = [
    "AccountCode",
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "Base",
    "ClinicClosure",
    "ConsultationNote",
    "ContactPreference",
    "Department",
    "Display",
    "DisplayKind",
    "Doctor",
    "DoctorLeave",
    "DoctorSession",
    "EntryStatus",
    "FhirSubscription",
    "Guardianship",
    "IdempotencyKey",
    "LoginSession",
    "OfferStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Patient",
    "PriorityCategory",
    "QueuePlan",
    "Role",
    "Room",
    "SessionTemplate",
    "Slot",
    "Source",
    "Ticket",
    "TokenCounter",
    "User",
    "Vitals",
    "WaitlistEntry",
    "WaitlistOffer",
    "utcnow",
]
