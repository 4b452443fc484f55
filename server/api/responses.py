"""Response bodies of the REST API, for the OpenAPI document (views.py builds them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from server.models import ContactPreference, Role
from server.queue.order import Urgency
from server.queue.state import TicketStatus


class TicketOut(BaseModel):
    """A ticket with its appointment."""

    ticket_id: int
    appointment_id: int
    token: str = Field(description="like G-014")
    status: TicketStatus
    urgency: Urgency
    source: str = Field(description="online or walk_in")
    patient_id: int
    department_id: int = Field(description="the queue the ticket waits in")
    doctor_id: int | None
    slot_id: int | None
    day: date
    scheduled_at: datetime | None
    reason: str
    no_show_probability: float | None
    overbooked: bool
    overbook_reason: str
    booked_at: datetime | None
    checked_in_at: datetime | None
    called_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    call_count: int


class TicketLinkOut(TicketOut):
    """A ticket with the patient's signed live link."""

    live_link: str


class AppointmentsOut(BaseModel):
    appointments: list[TicketLinkOut]


class PatientOut(BaseModel):
    """A patient record."""

    id: int
    record_number: str
    full_name: str
    date_of_birth: date
    sex: str
    phone: str | None
    email: str | None
    contact_preference: ContactPreference
    opted_out: bool
    language: str


class PatientDetailOut(PatientOut):
    """A patient record with their latest appointments."""

    appointments: list[TicketOut]


class PatientsOut(BaseModel):
    patients: list[PatientOut]


class VitalsOut(BaseModel):
    """One set of vitals."""

    id: int
    appointment_id: int
    recorded_at: datetime | None
    temperature_c: float | None
    pulse_bpm: int | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    spo2_pct: int | None
    height_cm: float | None
    weight_kg: float | None


class NoteOut(BaseModel):
    """A consultation note."""

    id: int
    appointment_id: int
    created_at: datetime | None
    text: str


class HistoryOut(BaseModel):
    vitals: list[VitalsOut]
    notes: list[NoteOut]


class DepartmentOut(BaseModel):
    """A department."""

    id: int
    code: str
    name: str
    token_prefix: str


class DepartmentsOut(BaseModel):
    departments: list[DepartmentOut]


class DoctorOut(BaseModel):
    """A doctor."""

    id: int
    name: str
    specialty: str
    department_id: int
    room: str | None
    active: bool


class DoctorsOut(BaseModel):
    doctors: list[DoctorOut]


class SlotOut(BaseModel):
    """A slot and how full it is."""

    id: int
    doctor_id: int
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int
    booked: int
    free: int


class SlotsOut(BaseModel):
    date: date
    slots: list[SlotOut]


class SnapshotDepartment(BaseModel):
    id: int
    code: str
    name: str
    prefix: str


class QueueOut(BaseModel):
    """A department's live queues (server/queries/queues.py builds the entries)."""

    department: SnapshotDepartment
    day: date
    generated_at: datetime
    doctors: list[dict[str, Any]]
    tickets: list[dict[str, Any]]


class TicketViewOut(BaseModel):
    """One ticket as its patient sees it: status, position, wait, room."""

    ticket: dict[str, Any]
    department: SnapshotDepartment
    day: date
    generated_at: datetime


class UserOut(BaseModel):
    """A login, without secrets."""

    id: int
    username: str
    role: Role
    full_name: str
    active: bool


class SessionOut(BaseModel):
    """A doctor's session."""

    id: int
    doctor_id: int
    day: date
    starts_at: datetime | None
    ends_at: datetime | None


class SessionDelayOut(BaseModel):
    id: int
    delay_minutes: int


class SessionCloseOut(BaseModel):
    id: int
    closed_early_at: datetime | None
    closed_slots: int
    moved_ticket_ids: list[int]


class DisplayOut(BaseModel):
    """A new TV board or kiosk: its key is shown this once."""

    id: int
    name: str
    kind: str = Field(description="board or kiosk")
    key: str
    url: str


class AuditEventOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    at: datetime | None
    actor_id: int | None
    action: str
    appointment_id: int | None
    from_status: str | None = Field(alias="from")
    to_status: str | None = Field(alias="to")
    reason: str
    details: dict[str, Any] | None


class AuditOut(BaseModel):
    events: list[AuditEventOut]


class OutboxMessageOut(BaseModel):
    id: int
    appointment_id: int | None
    kind: str
    channel: str
    to: str
    subject: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    provider_id: str | None
    created_at: datetime | None
    sent_at: datetime | None


class OutboxOut(BaseModel):
    counts: dict[str, int]
    messages: list[OutboxMessageOut]


class LoginUserOut(BaseModel):
    id: int
    username: str
    role: Role
    full_name: str


class LoginOut(BaseModel):
    """The user logged in; the CSRF token to echo in X-CSRF-Token."""

    user: LoginUserOut
    csrf_token: str


class OkOut(BaseModel):
    ok: bool


class MeOut(BaseModel):
    user_id: int
    role: Role
    name: str | None
    doctor_id: int | None
    patient_id: int | None
    csrf_token: str | None = Field(description="null for a bearer token (no cookie, no CSRF)")


class TokenOut(BaseModel):
    """A new bearer token, shown once."""

    token: str
    expires_at: datetime
    scopes: list[str] = []  # SMART scopes: the token works on /fhir/R4 only when there are any


class PasswordOut(BaseModel):
    """The password changed; other login sessions ended; the new CSRF token (null for a token)."""

    ok: bool
    csrf_token: str | None


class TokenRowOut(BaseModel):
    id: int
    user_id: int
    name: str
    created_at: datetime
    expires_at: datetime
    expired: bool
    scopes: list[str] = []


class TokensOut(BaseModel):
    tokens: list[TokenRowOut]


class DeskOut(BaseModel):
    """A doctor's desk presence."""

    doctor_id: int
    open: bool
    since: datetime | None


class DeskDayOut(BaseModel):
    """A department-day at the desk: expected arrivals, returning patients, sessions."""

    department_id: int
    day: date
    arrivals: list[dict[str, Any]]
    returning: list[dict[str, Any]]
    vitals_taken: list[int]
    sessions: list[dict[str, Any]]


class CheckedInOut(BaseModel):
    """A ticket checked in from the patient's phone."""

    ticket_id: int
    token: str
    status: TicketStatus
    checkin_method: str | None = Field(description="phone, kiosk or desk")
    late_min: int | None = Field(description="minutes past the appointment of a late check-in")
    checked_in_at: datetime | None


class CheckinCodeOut(BaseModel):
    """A department's check-in code as the board shows it."""

    department_id: int
    department: str
    code: str
    changes_at: datetime
    url: str = Field(description="what the board's QR code opens on a phone")
    qr: str = Field(description="that URL as a QR code: an SVG data URI")


class CheckinCodesOut(BaseModel):
    period_s: int
    codes: list[CheckinCodeOut]


class KioskDepartmentOut(BaseModel):
    id: int
    name: str


class KioskOut(BaseModel):
    """A kiosk: its name and the departments it gives walk-in tickets for."""

    name: str
    language: str
    departments: list[KioskDepartmentOut]


class KioskTicketOut(BaseModel):
    """What the kiosk shows and prints: no name, no record."""

    token: str
    department: str
    status: TicketStatus
    scheduled_at: datetime | None
    late_min: int | None
    ahead: int | None
    eta: datetime | None
    print_url: str


class PrintLinkOut(BaseModel):
    ticket_id: int
    url: str = Field(description="the printed ticket's page; it prints itself when opened")
