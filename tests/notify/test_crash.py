"""A delivery worker killed mid-batch: after a restart everything arrives, copies stay bounded."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import PROJECT_ROOT, Settings
from server.models.outbox import OutboxStatus
from server.notify import outbox
from server.notify.settings import NotifySettings
from tests.notify.conftest import Clinic
from tests.notify.fake_twilio import FakeTwilio

MESSAGES = 300
BATCH = 40
LEASE_S = 2.0


def worker_env(settings: Settings, config: NotifySettings) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CLINIC_NOTIFIER": "twilio",
        "CLINIC_NOTIFY_TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "CLINIC_NOTIFY_TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "CLINIC_NOTIFY_TWILIO_FROM": config.twilio_from,
        "CLINIC_NOTIFY_TWILIO_API_BASE": config.twilio_api_base,
        "CLINIC_NOTIFY_BATCH_SIZE": str(BATCH),
        "CLINIC_NOTIFY_CONCURRENCY": "10",
        "CLINIC_NOTIFY_LEASE_S": str(LEASE_S),
        "CLINIC_NOTIFY_SEND_TIMEOUT_S": "1",
    }


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.notify.runner",
        "--until-empty",
        env=env,
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def queue_messages(clinic: Clinic) -> None:
    async def work(db: AsyncSession) -> None:
        for n in range(MESSAGES):
            draft = outbox.Draft(
                idem_key=f"crash:{n}",
                appointment_id=None,
                kind="test",
                channel="sms",
                to_address=f"+1555{n:07d}",
                subject="",
                body=f"message {n}",
            )
            await outbox.add(db, draft, datetime.now(UTC))  # the worker's real clock

    await clinic.run(work)


@pytest.mark.slow
async def test_a_killed_worker_loses_nothing_and_resends_at_most_its_open_batch(
    clinic: Clinic, fake_twilio: FakeTwilio, settings: Settings, notify_config: NotifySettings
) -> None:
    fake_twilio.delay_s = 0.02
    await queue_messages(clinic)
    env = worker_env(settings, notify_config)

    first = await start_worker(env)
    async with asyncio.timeout(60):
        await fake_twilio.wait_for_messages(MESSAGES // 3)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert len(fake_twilio.messages) < MESSAGES  # it died mid-way

    await asyncio.sleep(LEASE_S + 0.5)  # the dead worker's claim runs out
    second = await start_worker(env)
    async with asyncio.timeout(120):
        await second.communicate()
    assert second.returncode == 0

    copies = Counter(fake_twilio.bodies())
    assert set(copies) == {f"message {n}" for n in range(MESSAGES)}  # nothing lost
    resent = sum(n - 1 for n in copies.values())
    assert resent <= BATCH  # only the batch the dead worker had not recorded
    assert set(await clinic.statuses()) == {OutboxStatus.SENT}
