"""The worker's loop under Redis errors: it waits and goes on, and gives back every job slot."""

from __future__ import annotations

from typing import Any

import pytest
from arq.connections import RedisSettings
from redis.exceptions import ConnectionError as RedisConnectionError

from workers.config import WorkerConfig
from workers.resilient import ClinicWorker

# Nothing listens there: every Redis call fails at once, as during an outage.
NOWHERE = RedisSettings.from_dsn("redis://127.0.0.1:1/0")


async def job(ctx: dict[str, Any]) -> None:
    """Do nothing."""


def make_worker() -> ClinicWorker:
    config = WorkerConfig(reconnect_min_s=0.01, reconnect_max_s=0.02)
    return ClinicWorker(
        functions=[job], redis_settings=NOWHERE, handle_signals=False, max_jobs=2, config=config
    )


async def test_a_redis_error_while_claiming_a_job_gives_its_slot_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = make_worker()

    async def outage(job_id: str) -> int | None:
        raise RedisConnectionError("Redis went away")

    monkeypatch.setattr(worker, "_claim", outage)
    for _ in range(5):  # more outages than job slots
        with pytest.raises(RedisConnectionError):
            await worker.start_jobs([b"some-job"])
    assert worker.job_counter == 0
    assert not worker.sem.locked()


async def test_a_redis_error_in_a_round_is_an_outage_not_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = make_worker()

    async def round_fails(self: ClinicWorker) -> None:
        raise RedisConnectionError("Connection closed by server.")

    monkeypatch.setattr("arq.worker.Worker._poll_iteration", round_fails)
    for _ in range(3):
        await worker._poll_iteration()  # returns after its wait instead of raising
    assert worker.health.redis_up is False
    assert worker.health.outages == 1
    assert "Connection closed" in worker.health.last_error
