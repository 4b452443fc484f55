"""Appointments, the tickets they carry, and the per-day token counters."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, str_enum, utcnow
from server.models.patients import Patient
from server.queue.order import Urgency
from server.queue.state import TicketStatus


class Source(StrEnum):
    """How the patient came to the clinic."""

    ONLINE = "online"
    WALK_IN = "walk_in"


class CheckinMethod(StrEnum):
    """Where a patient's arrival was recorded."""

    DESK = "desk"
    PHONE = "phone"
    KIOSK = "kiosk"


# 1 while the patient is in a queue (waiting, called, with the doctor), NULL otherwise: a
# unique index over (patient, department, day, this) lets NULLs repeat, so it allows one live
# ticket per patient per department-day. Bookings not yet checked in do not count (a patient
# may hold a morning and an afternoon slot); checking the second in while the first is live
# is refused. A virtual generated column works on MariaDB and SQLite alike (neither needs a
# partial index), and the booking path writes no extra statement for it.
ACTIVE_TICKET_SQL = "CASE WHEN status IN ('waiting', 'called', 'in_consultation') THEN 1 END"


class Appointment(Base):
    """A visit: booked online or registered at the desk, with every status change timed."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_active_ticket",
            "patient_id",
            "department_id",
            "day",
            "active_ticket",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), nullable=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"), nullable=True, index=True)
    day: Mapped[date] = mapped_column(Date)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    source: Mapped[Source] = mapped_column(str_enum(Source))
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.ROUTINE)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus))
    no_show_probability: Mapped[float | None] = mapped_column(Float, nullable=True)
    overbooked: Mapped[bool] = mapped_column(Boolean, default=False)
    overbook_reason: Mapped[str] = mapped_column(String(300), default="")
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # None until checked in; "phone" is a self check-in from the patient's own page.
    checkin_method: Mapped[CheckinMethod | None] = mapped_column(
        str_enum(CheckinMethod), nullable=True
    )
    # Minutes past the appointment time of a late check-in (None: on time, or a walk-in); the
    # plan then fits the patient in from their arrival instead of their appointment time.
    late_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The priority category staff chose at check-in (None: none); its name is never public.
    priority_category_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority_categories.id"), nullable=True
    )
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Computed by the database; never read by the application (deferred, never loaded).
    active_ticket: Mapped[int | None] = mapped_column(
        Integer, Computed(ACTIVE_TICKET_SQL, persisted=False), nullable=True, deferred=True
    )

    patient: Mapped[Patient] = relationship(lazy="joined")
    ticket: Mapped[Ticket] = relationship(back_populates="appointment", lazy="joined")


class Ticket(Base):
    """The token a patient holds and their place in a queue."""

    __tablename__ = "tickets"
    __table_args__ = (
        # The database, not Python, guarantees one ticket per number per department-day.
        UniqueConstraint("department_id", "day", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_tickets_queue", "department_id", "day", "doctor_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(8))
    # The queue the ticket waits in: a doctor's own, or the department's shared one (NULL).
    queue_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), nullable=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    plan_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="ticket", lazy="joined")


class TokenCounter(Base):
    """The last token number handed out per department per day, locked while it grows."""

    __tablename__ = "token_counters"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
