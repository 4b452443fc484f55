"""Request and response bodies of the weekly rota's routes (server/api/admin_rotas.py)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictInt, model_validator

from server.api.fields import Day, Id, Line
from server.api.schemas import Strict

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _hhmm(value: Any) -> Any:
    if not isinstance(value, str) or not HHMM.match(value):
        raise ValueError("a local clinic time as HH:MM, 00:00 to 23:59")
    return time.fromisoformat(value)


def _as_hhmm(schema: dict[str, Any]) -> None:
    # Documented as what is accepted: "HH:MM", not any ISO time.
    schema.pop("format", None)
    schema.update(type="string", pattern=HHMM.pattern)


# A wall-clock time of the clinic's time zone (CLINIC_TIMEZONE), "HH:MM".
LocalTime = Annotated[
    time,
    BeforeValidator(_hhmm),
    Field(json_schema_extra=lambda schema: _as_hhmm(schema)),
]
Weekday = Annotated[int, Field(strict=True, ge=0, le=6, description="Monday 0 … Sunday 6")]
Confirmed = Annotated[
    list[Id],
    Field(
        max_length=10_000,
        description="the appointment ids the preview listed: the change cancels exactly these",
    ),
]


class TemplateIn(Strict):
    doctor_id: Id
    weekday: Weekday
    start_time: LocalTime
    end_time: LocalTime
    valid_from: Day
    valid_to: Day | None = None
    slot_minutes: StrictInt = Field(15, ge=5, le=240)
    capacity_per_slot: StrictInt = Field(1, ge=1, le=20)
    overbook_cap: StrictInt = Field(1, ge=0, le=10)
    room_id: Id | None = None


class TemplateChangeIn(Strict):
    """Only the fields sent change; `active: false` ends the template."""

    weekday: Weekday | None = None
    start_time: LocalTime | None = None
    end_time: LocalTime | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None
    slot_minutes: StrictInt | None = Field(None, ge=5, le=240)
    capacity_per_slot: StrictInt | None = Field(None, ge=1, le=20)
    overbook_cap: StrictInt | None = Field(None, ge=0, le=10)
    room_id: Id | None = None
    active: StrictBool | None = None
    confirm_appointment_ids: Confirmed = []
    offer_moves: StrictBool = False

    @model_validator(mode="after")
    def _nulls(self) -> TemplateChangeIn:
        # Only valid_to and room_id may be cleared: the rest must carry a value when sent.
        bad = sorted(
            k for k in self.model_fields_set - {"valid_to", "room_id"} if getattr(self, k) is None
        )
        if bad:
            raise ValueError(f"{', '.join(bad)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """Return the fields sent, without the confirmation."""
        return self.model_dump(
            exclude_unset=True, exclude={"confirm_appointment_ids", "offer_moves"}
        )


class ClosureIn(Strict):
    starts_on: Day
    ends_on: Day
    reason: Line = Field("", max_length=200)
    confirm_appointment_ids: Confirmed = []
    # Offer each cancelled patient the nearest free place, held for them (docs/rotas.md).
    offer_moves: StrictBool = False


class LeaveIn(ClosureIn):
    doctor_id: Id


# Responses ------------------------------------------------------------------------------


class TemplateOut(BaseModel):
    """A doctor's weekly session template (times are local clinic times)."""

    id: int
    doctor_id: int
    weekday: int
    start_time: str
    end_time: str
    valid_from: date
    valid_to: date | None
    slot_minutes: int
    capacity_per_slot: int
    overbook_cap: int
    room_id: int | None
    active: bool


class ClosureOut(BaseModel):
    """A clinic closure (doctor_id null) or a doctor's leave."""

    id: int
    doctor_id: int | None
    starts_on: date
    ends_on: date
    reason: str


class RotaOut(BaseModel):
    """Everything the rota screen shows."""

    timezone: str
    weeks_ahead: int
    templates: list[TemplateOut]
    closures: list[ClosureOut]
    leave: list[ClosureOut]


class AffectedBookingOut(BaseModel):
    appointment_id: int
    ticket_id: int
    token: str
    patient_id: int
    patient_name: str
    scheduled_at: datetime | None
    status: str


class AffectedSessionOut(BaseModel):
    session_id: int
    doctor_id: int
    doctor_name: str
    starts_at: datetime
    ends_at: datetime
    bookings: list[AffectedBookingOut]


class AffectedOut(BaseModel):
    """The sessions a change would withdraw and the bookings it would cancel."""

    sessions: list[AffectedSessionOut]
    appointment_ids: list[int] = Field(description="send these as confirm_appointment_ids")


class ChangeOut(BaseModel):
    """What a confirmed change did."""

    id: int
    withdrawn_session_ids: list[int]
    cancelled_appointment_ids: list[int]
    created_session_ids: list[int]
    move_offer_ids: list[int] = Field(
        description="the waitlist offers of a new time held for the cancelled patients"
    )


class GeneratedOut(BaseModel):
    """Sessions the rota created."""

    created: int
    session_ids: list[int]
    through: date
