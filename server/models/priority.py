"""Priority categories an admin defines (aged 65+, disability, pregnancy, ...)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow


class PriorityCategory(Base):
    """A reason to see a patient sooner: a weight on their waiting and a maximum wait.

    Its name is health information: staff screens show it, boards and phones never do.
    """

    __tablename__ = "priority_categories"
    __table_args__ = (
        CheckConstraint("weight BETWEEN 1 AND 10", name="weight_range"),
        CheckConstraint("max_wait_min IS NULL OR max_wait_min BETWEEN 1 AND 720", name="max_wait"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # One minute of this patient's wait counts `weight` routine minutes in the plans.
    weight: Mapped[int] = mapped_column(Integer, default=2)
    # Minutes from arrival after which the patient should have been called (None: no limit).
    max_wait_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Deactivated: no longer offered at check-in; patients who hold it keep it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
