"""Patients and how they want to be reached."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, str_enum, utcnow


class ContactPreference(StrEnum):
    """The channel a patient chose for messages."""

    SMS = "sms"
    EMAIL = "email"
    NONE = "none"


class Patient(Base):
    """A person the clinic sees."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_number: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), index=True)
    # Indexed for the kiosk, which finds a patient by phone and date of birth.
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    contact_preference: Mapped[ContactPreference] = mapped_column(
        str_enum(ContactPreference), default=ContactPreference.SMS
    )
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # A language tag from server.i18n.LANGUAGES ("en", "pt-BR", "es"): messages and pages in it.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
