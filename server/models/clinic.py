"""The clinic's shape: departments, rooms, doctors, their sessions and slots."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.ml.rates import BASE_NO_SHOW_RATE
from server.models.base import Base, UTCDateTime


class Department(Base):
    """A service with its own queue and token letter (G for General, …)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    token_prefix: Mapped[str] = mapped_column(String(3), unique=True)
    # Used until the no-show model exists or when it cannot be loaded.
    base_no_show_rate: Mapped[float] = mapped_column(Float, default=BASE_NO_SHOW_RATE)
    # Deactivated: gone from pickers, bookings and plans; kept for history and reports.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Room(Base):
    """A consultation room patients are called to."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Doctor(Base):
    """A doctor who sees patients of one department."""

    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(100), default="")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Presence: the doctor opened their desk (console) at `desk_since`; closed when False.
    desk_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    desk_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    department: Mapped[Department] = relationship(lazy="joined")
    room: Mapped[Room | None] = relationship(lazy="joined")


def desk_open_on(doctor: Doctor, day: date) -> bool:
    """Tell whether the doctor has their desk open on `day` (a desk left open yesterday is not)."""
    since = doctor.desk_since
    return doctor.desk_open and since is not None and since.date() == day


class DoctorSession(Base):
    """One doctor's working block on one day, cut into bookable slots."""

    __tablename__ = "doctor_sessions"
    __table_args__ = (
        UniqueConstraint("doctor_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes"),
        CheckConstraint("capacity_per_slot >= 1", name="capacity"),
        CheckConstraint("overbook_cap >= 0", name="overbook_cap"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=15)
    capacity_per_slot: Mapped[int] = mapped_column(Integer, default=1)
    overbook_cap: Mapped[int] = mapped_column(Integer, default=1)
    # Set when the doctor starts late or leaves early; the scheduler re-plans around it.
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    closed_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The weekly rota's template that created it (server/actions/rotas.py); None if made by hand.
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_templates.id", ondelete="SET NULL"), nullable=True, index=True
    )

    doctor: Mapped[Doctor] = relationship(lazy="joined")


class Slot(Base):
    """A bookable time in a session; `booked` is the counter the database guards."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("session_id", "starts_at"),
        CheckConstraint("booked >= 0", name="booked_nonnegative"),
        CheckConstraint("booked <= capacity + overbook_cap", name="booked_within_cap"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("doctor_sessions.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    overbook_cap: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    # Sum of the show probabilities booked here, in thousandths: the overbooking check reads it.
    expected_shows_milli: Mapped[int] = mapped_column(Integer, default=0)
