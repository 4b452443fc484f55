"""Fault tests: real `clinic worker` processes SIGKILLed mid-run, and a Redis restarted under one.

Each test starts its own redis-server on a spare port and the worker as an OS process, and
prints the recovery figures it measured (docs/operations.md quotes them).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import booking
from server.auth.actor import SYSTEM
from server.coalescing import lease_key, pending
from server.config import Settings
from server.models.outbox import OutboxStatus
from server.notify import outbox
from server.notify.runtime import request_delivery
from server.notify.settings import NotifySettings
from server.runtime import ProcessRole, build_runtime
from server.scheduling import versions
from server.scheduling.triggers import job_key
from server.services import Services
from tests.conftest import TEST_SECRET
from tests.factories import make_department, make_doctor, make_patient, make_session
from tests.notify.fake_twilio import FakeTwilio
from tests.workers.processes import RedisServer, WorkerProcess, until

# Each takes 20-50 s on a quiet 2-core machine, mostly two worker start-ups (imports).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
# The bound: a trigger after the restart is served within 10 s of the worker being up.
RECOVERY_S = 10
NOTIFY_LEASE_S = 5


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A redis-server of this test's own, on a spare port."""
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.kill()


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """The local fake of Twilio's REST API the worker sends to."""
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def notify_config(fake_twilio: FakeTwilio) -> NotifySettings:
    return NotifySettings(
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=fake_twilio.auth_token,
        twilio_from="+15550000000",
        twilio_api_base=fake_twilio.url,
        lease_s=NOTIFY_LEASE_S,
        send_timeout_s=60,  # a hanging provider keeps the worker mid-send until it is killed
    )


@pytest.fixture
async def server(
    settings: Settings,
    engine: AsyncEngine,
    redis_server: RedisServer,
    notify_config: NotifySettings,
) -> AsyncIterator[Services]:
    """The server side: actions commit, then queue re-plans and deliveries in the test's Redis."""
    scaled = settings.model_copy(update={"redis_url": redis_server.url, "notifier": "twilio"})
    async with build_runtime(scaled, ProcessRole.SERVER, notify=notify_config) as runtime:
        yield runtime.services


@pytest.fixture
async def worker(
    settings: Settings,
    redis_server: RedisServer,
    notify_config: NotifySettings,
    tmp_path: Path,
) -> AsyncIterator[WorkerProcess]:
    """A `clinic worker` on the test's database, Redis and fake Twilio (not started yet)."""
    env = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": TEST_SECRET,
        "CLINIC_MODE": "test",
        "CLINIC_VAR_DIR": str(tmp_path),
        "CLINIC_NOTIFIER": "twilio",
        "CLINIC_NOTIFY_TWILIO_ACCOUNT_SID": notify_config.twilio_account_sid,
        "CLINIC_NOTIFY_TWILIO_AUTH_TOKEN": notify_config.twilio_auth_token,
        "CLINIC_NOTIFY_TWILIO_FROM": notify_config.twilio_from,
        "CLINIC_NOTIFY_TWILIO_API_BASE": notify_config.twilio_api_base,
        "CLINIC_NOTIFY_LEASE_S": str(NOTIFY_LEASE_S),
        "CLINIC_NOTIFY_SEND_TIMEOUT_S": "60",
        # A re-plan long enough to be killed in the middle of: CP-SAT searches for seconds.
        "CLINIC_SOLVER_RESEQUENCE_TIME_LIMIT_S": "8",
        "CLINIC_SOLVER_RELATIVE_GAP_LIMIT": "0",
    }
    made = WorkerProcess(env, tmp_path / "worker.log")
    yield made
    await made.kill()


def now() -> datetime:
    return datetime.now(UTC)


async def open_department(services: Services, doctors: int, waiting: int) -> int:
    """Open a department today with doctors in session and `waiting` walk-ins."""
    start = now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)

    async def work(db: AsyncSession) -> int:
        department = await make_department(db)
        for _ in range(doctors):
            doctor = await make_doctor(db, department)
            await make_session(db, doctor, starts_at=start, ends_at=start + timedelta(hours=8))
        for _ in range(waiting):
            patient = await make_patient(db)
            await booking.register_walk_in(
                db, SYSTEM, patient_id=patient.id, department_id=department.id, now=now()
            )
        return department.id

    department_id: int = await services.run(work)
    return department_id


async def walk_in(services: Services, department_id: int) -> None:
    async def work(db: AsyncSession) -> None:
        patient = await make_patient(db)
        await booking.register_walk_in(
            db, SYSTEM, patient_id=patient.id, department_id=department_id, now=now()
        )

    await services.run(work)


def caught_up(services: Services, department_id: int, day: date):  # type: ignore[no-untyped-def]
    """Return a check: the department-day's plan is for its latest version."""

    async def check() -> bool:
        row = await services.read(lambda s: versions.current(s, department_id, day))
        return row is not None and row.plan_version == row.version

    return check


async def queue_message(services: Services, body: str, kick: bool = True) -> None:
    """Write one SMS to the outbox and, like an action's commit, ask for a delivery run."""
    draft = outbox.Draft(body, None, "test", "sms", "+15550001234", "", body)
    await services.run(lambda s: outbox.add(s, draft, now()))
    if kick:
        await request_delivery(services)


def delivered(fake: FakeTwilio, body: str):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return body in fake.bodies()

    return check


def figures(test: str, **measured: float) -> None:
    print(json.dumps({"test": test, **{k: round(v, 2) for k, v in measured.items()}}))


async def test_a_worker_killed_mid_re_plan_blocks_no_re_plan_after_its_restart(
    server: Services, worker: WorkerProcess
) -> None:
    await worker.start()
    redis = server.redis
    assert redis is not None
    today = now().date()
    department_id = await open_department(server, doctors=3, waiting=40)
    key = job_key(department_id, today)

    async def planning() -> bool:
        return bool(await redis.exists(lease_key(key)))

    await until(planning, 30, "a re-plan under way")
    await worker.kill()
    assert await redis.exists(lease_key(key)), "the worker finished before it was killed"
    assert await worker.check() == 1  # what a supervisor sees: no healthy worker

    await walk_in(server, department_id)  # a trigger while no worker runs
    ready_s = await worker.start()
    assert await worker.check() == 0
    await walk_in(server, department_id)  # and a new one after the restart
    recovered_s = await until(caught_up(server, department_id, today), RECOVERY_S, "re-plan")
    figures("kill mid-re-plan", worker_start_s=ready_s, replanned_after_ready_s=recovered_s)


async def test_a_worker_killed_mid_delivery_blocks_no_delivery_after_its_restart(
    server: Services, worker: WorkerProcess, fake_twilio: FakeTwilio
) -> None:
    await worker.start()
    redis = server.redis
    assert redis is not None
    fake_twilio.hang_next = 1  # the provider never answers the first message

    await queue_message(server, "sent while the worker dies")

    async def sending() -> bool:
        return fake_twilio.requests >= 1

    await until(sending, 30, "the worker sending")
    await worker.kill()
    killed = time.monotonic()
    [row] = await server.read(lambda s: outbox.listing(s, None, 10))
    assert row.status is OutboxStatus.SENDING  # claimed by the dead worker, mid-send

    ready_s = await worker.start()
    await queue_message(server, "queued after the restart")
    new_s = await until(delivered(fake_twilio, "queued after the restart"), RECOVERY_S, "delivery")

    async def kick_served() -> bool:  # by the delivery run its commit asked for, not the cron
        generation, done = await pending(redis, "deliver_outbox")
        return generation > 0 and generation == done

    await until(kick_served, RECOVERY_S, "the kicked delivery run")
    # The dead worker's claim goes out again once its lease (5 s here) has run out.
    await until(delivered(fake_twilio, "sent while the worker dies"), NOTIFY_LEASE_S + 20, "resend")
    assert fake_twilio.bodies().count("queued after the restart") == 1
    figures(
        "kill mid-delivery",
        worker_start_s=ready_s,
        delivered_after_ready_s=new_s,
        dead_claim_resent_after_kill_s=time.monotonic() - killed,
    )


async def test_the_worker_rides_out_a_redis_restart_and_keeps_its_cron(
    server: Services,
    worker: WorkerProcess,
    redis_server: RedisServer,
    fake_twilio: FakeTwilio,
) -> None:
    await worker.start()
    redis = server.redis
    assert redis is not None
    today = now().date()
    department_id = await open_department(server, doctors=1, waiting=3)
    await until(caught_up(server, department_id, today), 30, "first plan")

    async def redis_state(wanted: str):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            report = await worker.report()
            return report is not None and report["redis"] == wanted

        return check

    await redis_server.kill()
    await until(await redis_state("down"), 10, "the worker noticing the outage")
    await asyncio.sleep(3)  # arq's own worker has exited by now
    assert worker.alive(), worker.log()
    assert await worker.check() == 0  # alive and looping: no reason to restart it

    before = await worker.report()
    assert before is not None
    await redis_server.start()  # same port, empty
    back_s = await until(await redis_state("up"), 20, "the worker reconnecting")
    after = await worker.report()
    assert after is not None
    # Back on its first try once Redis answers (at most the try under way when it came back
    # fails): neither a connection from before the outage nor a job that failed during it
    # costs another round.
    assert after["failed_rounds"] - before["failed_rounds"] <= 1, (after, worker.log())

    async def server_reaches_redis() -> bool:
        try:
            return bool(await redis.ping())
        except Exception:
            return False

    await until(server_reaches_redis, 10, "the server reconnecting")
    await walk_in(server, department_id)
    replanned_s = await until(caught_up(server, department_id, today), 15, "re-plan after outage")
    await queue_message(server, "no kick: the cron sends it", kick=False)
    cron_s = await until(delivered(fake_twilio, "no kick: the cron sends it"), 15, "cron delivery")
    assert worker.alive()
    figures(
        "redis restart",
        reconnected_after_redis_up_s=back_s,
        replanned_s=replanned_s,
        cron_delivery_s=cron_s,
    )
