"""Each department-day's state version and the queue plan last applied to it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class QueuePlan(Base):
    """A queue's version (bumped by every change) and its current plan, if any."""

    __tablename__ = "queue_plans"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # The plan applied last and the version it was computed from (None: no plan yet).
    plan_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
