"""The nightly rota job: the templates' next weeks, by name from the registry, none twice."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.actions import rotas
from server.auth.actor import SYSTEM
from server.background.registry import FUNCTIONS
from server.background.rotas import until_next
from server.models import DoctorSession
from server.services import Services
from tests.conftest import T0
from tests.factories import make_doctor


async def test_the_registered_job_fills_the_configured_weeks_once(services: Services) -> None:
    async def setup(s: AsyncSession) -> None:
        doctor = await make_doctor(s)
        for weekday in (1, 3):  # Tuesdays and Thursdays
            await rotas.create_template(
                s,
                SYSTEM,
                doctor_id=doctor.id,
                weekday=weekday,
                start_time=time(8),
                end_time=time(12),
                valid_from=T0.date(),
                now=T0,
                rules=rotas.rules_of(services.settings),
            )

    await services.run(setup)
    job = FUNCTIONS["create_rota_sessions"]
    assert await job({"services": services}) == 8  # four weeks of two weekdays
    assert await job({"services": services}) == 0
    total = await services.read(lambda s: s.scalar(select(func.count(DoctorSession.id))))
    assert total == 8


def test_the_embedded_loop_waits_for_the_next_local_two_oclock() -> None:
    lisbon = ZoneInfo("Europe/Lisbon")
    # 23:00 UTC in summer is midnight in Lisbon: two hours to 02:00 local.
    assert until_next(datetime(2030, 7, 1, 23, tzinfo=UTC), lisbon) == 7200
    assert until_next(datetime(2030, 7, 1, 1, tzinfo=UTC), lisbon, time(2)) == 24 * 3600
