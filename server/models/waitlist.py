"""The waitlist: patients waiting for a place, and the timed offers made to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, str_enum


class EntryStatus(StrEnum):
    """Where a patient is on the waitlist."""

    WAITING = "waiting"  # in line for the next free place
    OFFERED = "offered"  # holds an open offer
    BOOKED = "booked"  # took an offer: the visit is an appointment now
    LEFT = "left"  # the patient (or the desk) took them off
    EXPIRED = "expired"  # the days they wanted are over


class OfferStatus(StrEnum):
    """What became of one offer of one place."""

    OPEN = "open"  # sent; the patient may confirm until expires_at
    ACCEPTED = "accepted"  # confirmed and booked
    DECLINED = "declined"  # the patient said no
    EXPIRED = "expired"  # no answer in time: the place goes to the next patient
    LOST = "lost"  # confirmed, but the place was taken first (the slot's guard refused)
    WITHDRAWN = "withdrawn"  # the patient left the waitlist while it was open


ACTIVE = (EntryStatus.WAITING, EntryStatus.OFFERED)


class WaitlistEntry(Base):
    """One patient waiting for a department (optionally one doctor) on one day or a range."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_entries_line", "status", "department_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"), nullable=True)
    # The days the patient can come, both included (one day: first_day == last_day).
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    status: Mapped[EntryStatus] = mapped_column(
        str_enum(EntryStatus, length=10), default=EntryStatus.WAITING
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WaitlistOffer(Base):
    """A free place in a slot offered to one entry until expires_at."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        Index("ix_waitlist_offers_open", "status", "expires_at"),
        Index("ix_waitlist_offers_slot", "slot_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus, length=10), default=OfferStatus.OPEN
    )
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), nullable=True
    )
