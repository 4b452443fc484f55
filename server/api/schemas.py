"""Request and response bodies of the REST API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)

from server.api.fields import Day, Id, Line, Moment, Text
from server.models import ContactPreference, DisplayKind, Role
from server.queue.order import Urgency

PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


def as_utc(moment: datetime) -> datetime:
    """Read a time without an offset as UTC, the clinic's storage time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Every time a request carries: the database takes aware times only, so convert here, once.
UTCDateTime = Annotated[Moment, AfterValidator(as_utc)]


class Strict(BaseModel):
    """Refuse unknown fields, so that a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenIn(Strict):
    name: Line = Field("api", max_length=100)
    # SMART scopes for the FHIR endpoint; a token with scopes works on /fhir/R4 only.
    scopes: list[Annotated[str, Field(min_length=3, max_length=100)]] | None = Field(
        None, max_length=30, examples=[["system/Appointment.write", "system/Slot.read"]]
    )


class PatientIn(Strict):
    full_name: Line = Field(min_length=1, max_length=200)
    date_of_birth: Day
    sex: Literal["F", "M", "X"]
    phone: str | None = Field(None, description="E.164, like +15551234567")
    email: EmailStr | None = None
    contact_preference: ContactPreference = ContactPreference.SMS
    record_number: Line | None = Field(None, min_length=1, max_length=32)
    # Their messages, phone page and printed ticket are in it (server.i18n.LANGUAGES).
    language: Literal["en", "pt-BR", "es"] = "en"

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not PHONE.match(value):
            raise ValueError("phone must be in E.164 form, like +15551234567")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date) -> date:
        if value > date.today() or value.year < 1900:
            raise ValueError("date of birth must lie between 1900 and today")
        return value


class BookingIn(Strict):
    patient_id: Id | None = Field(None, description="optional for a logged-in patient")
    slot_id: Id | None = None
    doctor_id: Id | None = None
    starts_at: UTCDateTime | None = None
    urgency: Urgency = Urgency.ROUTINE
    reason: Text = Field("", max_length=500)


class RescheduleIn(Strict):
    slot_id: Id | None = None
    doctor_id: Id | None = None
    starts_at: UTCDateTime | None = None


class WalkInIn(Strict):
    patient_id: Id
    department_id: Id
    doctor_id: Id | None = None
    urgency: Urgency = Urgency.ROUTINE
    reason: Text = Field("", max_length=500)
    priority_category_id: Id | None = None


class EmergencyIn(Strict):
    department_id: Id
    patient_id: Id | None = None
    ticket_id: Id | None = None
    doctor_id: Id | None = None
    reason: Text = Field("", max_length=500)


class ReasonIn(Strict):
    reason: Text = Field("", max_length=500)


class TransferIn(Strict):
    to_doctor_id: Id | None = None
    to_department_id: Id | None = None
    reason: Text = Field("", max_length=500)


class CallIn(Strict):
    doctor_id: Id | None = Field(None, description="defaults to the calling doctor")


class VitalsIn(Strict):
    temperature_c: StrictFloat | None = None
    pulse_bpm: StrictInt | None = None
    systolic_mmhg: StrictInt | None = None
    diastolic_mmhg: StrictInt | None = None
    spo2_pct: StrictInt | None = None
    height_cm: StrictFloat | None = None
    weight_kg: StrictFloat | None = None


class NoteIn(Strict):
    text: Text = Field(min_length=1, max_length=20000)


class DepartmentIn(Strict):
    code: Line = Field(min_length=1, max_length=16)
    name: Line = Field(min_length=1, max_length=100)
    token_prefix: str = Field(pattern=r"^[A-Z]{1,3}$")
    rooms: list[Annotated[Line, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50
    )

    @field_validator("rooms")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("room names must differ")
        return value


class DoctorIn(Strict):
    department_id: Id
    name: Line = Field(min_length=1, max_length=200)
    specialty: Line = Field("", max_length=100)
    room_id: Id | None = None
    user_id: Id | None = None


class SessionIn(Strict):
    doctor_id: Id
    starts_at: UTCDateTime
    ends_at: UTCDateTime
    room_id: Id | None = None
    slot_minutes: StrictInt = Field(15, ge=5, le=240)
    capacity_per_slot: StrictInt = Field(1, ge=1, le=20)
    overbook_cap: StrictInt = Field(1, ge=0, le=10)


class SessionDelayIn(Strict):
    delay_minutes: StrictInt = Field(ge=0, le=600)


class SessionCloseIn(Strict):
    at: UTCDateTime | None = Field(None, description="when the doctor leaves (default: now)")
    reason: Text = Field(min_length=1, max_length=500)


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-zA-Z0-9_.-]+$")
    password: str = Field(min_length=10, max_length=256)
    role: Role
    full_name: Line = Field(min_length=1, max_length=200)


class DisplayIn(Strict):
    name: Line = Field(min_length=1, max_length=100)
    department_id: Id | None = None
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    speech: StrictBool = True
    kind: DisplayKind = Field(DisplayKind.BOARD, description="board (TV) or kiosk (self check-in)")


class ErrorOut(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
