"""The notification outbox: messages written with the change, sent after it commits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, str_enum, utcnow


class OutboxStatus(StrEnum):
    """Where a message is in its delivery."""

    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"  # the provider accepted it
    FAILED = "failed"  # gave up; an admin may resend it


class OutboxMessage(Base):
    """One message to one patient, unique per (appointment, kind, occasion)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Each delivery run claims its own channels (patients' messages, FHIR notifications):
        # a locking read through this index never locks, so never skips, the other's rows.
        Index("ix_outbox_channel_due", "channel", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "<appointment>:<kind>:<occasion>": the database refuses a second copy of a message.
    idem_key: Mapped[str] = mapped_column(String(191), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, length=10), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(String(36), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
