"""FHIR rest-hook subscriptions: who wants to hear of appointment and encounter changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class FhirSubscription(Base):
    """An R4 Subscription (channel rest-hook): matching changes are posted to `endpoint`."""

    __tablename__ = "fhir_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(20), index=True)  # Appointment | Encounter
    criteria: Mapped[str] = mapped_column(String(200))  # as given: "Appointment?status=arrived"
    statuses: Mapped[str] = mapped_column(String(200), default="")  # comma-separated; "" = any
    endpoint: Mapped[str] = mapped_column(String(254))
    # One "Name: value" header sent with every notification (the receiver's credentials).
    header: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | off | error
    error: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
