"""Score each booking's no-show probability with the active model, at booking time."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions.booking import base_rate_scorer
from server.ml.db_source import to_record
from server.ml.features import ApptRecord
from server.ml.predict import BaseRatePredictor, NoShowPredictor
from server.ml.rates import BASE_NO_SHOW_RATE
from server.ml.registry import active_version, load_active
from server.models import Appointment, Patient
from server.queue.state import TicketStatus

log = logging.getLogger(__name__)
HISTORY_LIMIT = 100  # the patient's latest appointments are what the features look at


class ModelScorer:
    """The booking path's scorer; picks up a newly activated model within `check_s` seconds.

    A new model is read and unpacked in a thread, then swapped in with one assignment; bookings
    meanwhile go on with the model they had, never waiting for the load.
    """

    def __init__(
        self, registry_dir: Path, check_s: float = 60.0, fallback_rate: float = BASE_NO_SHOW_RATE
    ) -> None:
        self.registry_dir, self.check_s, self.fallback_rate = registry_dir, check_s, fallback_rate
        self._version: str | None = None
        self._checked = 0.0
        self._loading: asyncio.Task[None] | None = None
        self.predictor: NoShowPredictor = self._load()

    def _load(self) -> NoShowPredictor:
        self._version = active_version(self.registry_dir)
        self._checked = time.monotonic()
        predictor = load_active(self.registry_dir, self.fallback_rate)
        log.info("no-show scorer uses %s", predictor.version)
        return predictor

    def refresh(self) -> None:
        """Start loading a model another process (the nightly retrain) activated, off the loop."""
        if self._loading is not None or time.monotonic() - self._checked < self.check_s:
            return
        self._checked = time.monotonic()
        self._loading = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        try:
            version = await asyncio.to_thread(active_version, self.registry_dir)
            if version != self._version:
                predictor = await asyncio.to_thread(
                    load_active, self.registry_dir, self.fallback_rate
                )
                self.predictor, self._version = predictor, version  # the swap: one step
                log.info("no-show scorer now uses %s", predictor.version)
        except Exception:  # keep scoring with the model we have
            log.exception("loading the new no-show model failed")
        finally:
            self._loading = None

    async def settled(self) -> None:
        """Wait for a model being loaded (for tests and shutdown)."""
        if self._loading is not None:
            await asyncio.shield(self._loading)

    async def __call__(
        self,
        db: AsyncSession,
        patient: Patient,
        department_id: int,
        scheduled_at: datetime | None,
        now: datetime,
    ) -> float:
        """Return the probability that this booking will not be attended."""
        self.refresh()
        if isinstance(self.predictor, BaseRatePredictor):  # no model: the department's own rate
            return await base_rate_scorer(db, patient, department_id, scheduled_at, now)
        history = await patient_history(db, patient.id)
        target = ApptRecord(
            patient_key=str(patient.id),
            appointment_key="new",
            booked_at=now,
            appointment_day=(scheduled_at or now).date(),
            appointment_time=scheduled_at.time() if scheduled_at else None,
            age=_age(patient, (scheduled_at or now)),
            sex=patient.sex or None,
            department=str(department_id),
            no_show=None,
        )
        return float(self.predictor.predict_one(target, history))


async def patient_history(db: AsyncSession, patient_id: int) -> list[ApptRecord]:
    """Return the patient's latest appointments as model records."""
    rows = await db.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient_id, Appointment.status != TicketStatus.CANCELLED)
        .order_by(Appointment.day.desc())
        .limit(HISTORY_LIMIT)
    )
    return [to_record(a) for a in rows.unique()]


def _age(patient: Patient, on: datetime) -> int:
    born = patient.date_of_birth
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
