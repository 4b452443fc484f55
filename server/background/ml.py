"""Nightly no-show jobs: retrain when better, then re-score every open booking."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import update

from server.ml.db_source import load_history_from_db
from server.ml.jobs import rescore, retrain_if_better
from server.ml.rates import BASE_NO_SHOW_RATE
from server.ml.registry import load_active
from server.models import Appointment
from server.services import Services

log = logging.getLogger(__name__)


async def retrain_no_show(ctx: dict[str, Any]) -> str:
    """Retrain from the clinic's own completed history; keep the old model unless beaten."""
    services: Services = ctx["services"]
    history = await services.read(load_history_from_db)
    result = await retrain_if_better(history, services.settings.models_path)
    await rescore_bookings(ctx)
    return result.reason


async def rescore_bookings(ctx: dict[str, Any]) -> int:
    """Refresh the stored probability of every appointment that has no outcome yet."""
    services: Services = ctx["services"]
    predictor = load_active(services.settings.models_path, BASE_NO_SHOW_RATE)
    history = await services.read(load_history_from_db)
    scores = rescore(predictor, history)

    async def store(db: Any) -> None:
        for key, probability in scores.items():
            await db.execute(
                update(Appointment)
                .where(Appointment.id == int(key))
                .values(no_show_probability=probability)
                .execution_options(synchronize_session=False)
            )

    if predictor.version != "base-rate":
        await services.run(store)
    log.info("re-scored %d open appointments with %s", len(scores), predictor.version)
    return len(scores)
