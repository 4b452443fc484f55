"""The re-planning job under a real arq worker and Redis, and what triggers it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from arq import Worker
from arq.connections import RedisSettings
from quart import Quart
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import booking
from server.auth.actor import SYSTEM
from server.background.registry import FUNCTIONS
from server.background.replan import resequence_queue
from server.coalescing import generation_key
from server.config import Settings
from server.jobs import LIVE_JOBS, InProcessJobs
from server.models import DoctorSession, Role
from server.runtime import ProcessRole, Runtime, build_runtime
from server.scheduling import versions
from server.scheduling.reading import plan_from_json
from server.scheduling.triggers import job_key
from server.services import Services
from tests.conftest import T0, Clock
from tests.factories import (
    make_department,
    make_doctor,
    make_patient,
    make_session,
    make_token,
    make_user,
)
from tests.realtime.conftest import Screen, open_clinic, serve, settled
from tests.services import redis_url
from workers.functions import arq_function

REDIS_URL = redis_url(7)  # this module's own database, flushed per test
BURST = 10


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """Yield the test Redis database, empty."""
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    yield REDIS_URL
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture
def scope() -> str:
    """Name this test's Socket.IO channel: pub/sub ignores the database number."""
    return f"test-{uuid.uuid4().hex[:8]}"


async def worker_runtime(settings: Settings, clock: Clock, scope: str) -> Runtime:
    """Start what `workers.settings.startup` starts, on the test database and Redis."""
    redis = Redis.from_url(REDIS_URL)
    runtime = build_runtime(settings, ProcessRole.WORKER, redis=redis, clock=clock, scope=scope)
    await runtime.start()
    return runtime


async def run_burst(runtime: Runtime, runs: list[tuple[int, str]]) -> None:
    """Run a real arq worker until the queue is empty; record every re-plan it starts."""

    async def counted(ctx: dict[str, Any], department_id: int, day: str) -> str:
        runs.append((department_id, day))
        return await resequence_queue(ctx, department_id, day)

    jobs = {**FUNCTIONS, "resequence": counted}
    worker = Worker(
        functions=[
            arq_function(name, job, queue=LIVE_JOBS, timeout_s=60, lease_s=5)
            for name, job in jobs.items()
        ],
        redis_settings=RedisSettings.from_dsn(REDIS_URL),
        burst=True,
        poll_delay=0,
        handle_signals=False,
        keep_result=0,
        ctx=runtime.job_context(),
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert worker.jobs_failed == 0
    await settled(runtime.services)
    assert runtime.emitter is not None
    await runtime.emitter.wait_idle()


async def walk_in(services: Services, department_id: int) -> None:
    async def work(db: AsyncSession) -> None:
        patient = await make_patient(db)
        await booking.register_walk_in(
            db, SYSTEM, patient_id=patient.id, department_id=department_id, now=T0
        )

    await services.run(work)


@pytest.mark.redis
async def test_a_burst_of_triggers_is_solved_at_most_twice_and_reaches_the_board(
    settings: Settings,
    engine: AsyncEngine,
    clock: Clock,
    redis_url: str,
    scope: str,
    screens: Callable[[str], Screen],
) -> None:
    shared = settings.model_copy(update={"redis_url": redis_url})
    async with serve(shared, clock, scope) as server:
        day = await open_clinic(server.services, waiting=2)
        worker = await worker_runtime(shared, clock, scope)
        redis = worker.services.redis
        assert redis is not None
        await run_burst(worker, [])  # the opening's own re-plan
        board = screens("/board")
        await board.connect(server.url, {"key": day.display_key})
        await board.join()
        key = job_key(day.department_id, T0.date())
        before = int(await redis.get(generation_key(key)) or 0)

        for _ in range(BURST):
            await walk_in(server.services, day.department_id)
        await settled(server.services)
        runs: list[tuple[int, str]] = []
        await run_burst(worker, runs)

        after = int(await redis.get(generation_key(key)) or 0)
        assert after - before == BURST  # every trigger reached Redis
        assert 1 <= len(runs) <= 2
        assert set(runs) == {(day.department_id, T0.date().isoformat())}
        # Each walk-in's commit carries the settled plan; a solve adds an update only when it
        # moves someone.
        updates = await board.drain()
        assert updates, "the plan never reached the board"
        assert updates[-1]["data"]["waiting"] == 2 + BURST
        assert len(updates[-1]["data"]["next"]) == min(12, 2 + BURST)
        await worker.stop()
        await redis.aclose()  # arq's, in production: the runtime leaves it open


async def test_a_session_delay_re_plans_its_queue_later(app: Quart, services: Services) -> None:
    async def open_day(db: AsyncSession) -> tuple[int, int, str]:
        department = await make_department(db)
        block = await make_session(db, await make_doctor(db, department))
        for _ in range(3):
            patient = await make_patient(db)
            await booking.register_walk_in(
                db, SYSTEM, patient_id=patient.id, department_id=department.id, now=T0
            )
        admin = await make_user(db, Role.ADMIN)
        return department.id, block.id, await make_token(db, admin)

    department_id, session_id, token = await services.run(open_day)
    assert isinstance(services.jobs, InProcessJobs)
    await services.jobs.drain()
    before = await first_start(services, department_id, T0.date())

    response = await app.test_client().post(
        f"/api/admin/sessions/{session_id}/delay",
        json={"delay_minutes": 30},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    await services.jobs.drain()
    assert await first_start(services, department_id, T0.date()) == before + 30
    delayed = await services.read(lambda s: s.get(DoctorSession, session_id))
    assert delayed is not None and delayed.delay_minutes == 30


async def first_start(services: Services, department_id: int, day: date) -> int:
    """Return the planned start minute of the queue's first patient."""
    row = await services.read(lambda s: versions.current(s, department_id, day))
    plan = plan_from_json(row.plan if row else None)
    assert plan is not None and plan.entries
    return min(e.start_min for e in plan.entries)
