"""Patients' own accounts: one-time codes and invitations, and whom a login may act for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class AccountCode(Base):
    """A pending sign-up, password reset or invitation, opened by a secret sent to the patient.

    The client holds a random request key (only its hash is stored) and the patient receives a
    short code (stored as an HMAC) or, for an invitation, a signed link carrying the key.
    """

    __tablename__ = "account_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # signup | reset | invite
    request_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(8), default="")  # sms | email | "" (none sent)
    to_address: Mapped[str] = mapped_column(String(254), default="")
    # A sign-up's details (name, birth date, contact, password hash) until it is confirmed.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Guardianship(Base):
    """A login that may act for a patient other than its own (a parent for a child)."""

    __tablename__ = "guardianships"
    __table_args__ = (UniqueConstraint("user_id", "patient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
