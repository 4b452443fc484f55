"""Coalesced runs across workers: bursts cost one or two runs, a dead holder blocks for a lease."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from server.coalescing import Lease, lease_key, pending, run_coalesced, trigger
from tests.services import redis_url

KEY = "resequence:1:2030-03-04"
LEASE_S = 0.6


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """Yield this module's Redis database, empty."""
    client = Redis.from_url(redis_url(9))
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


class Queue:
    """Stands in for arq: each (re)queued job runs after its delay, as its own task."""

    def __init__(self, redis: Redis, work: Any) -> None:
        self.redis, self.work = redis, work
        self.tasks: list[asyncio.Task[Any]] = []

    def job(self) -> None:
        self.tasks.append(asyncio.create_task(self._run(0)))

    async def _run(self, delay_s: float) -> Any:
        await asyncio.sleep(delay_s)

        async def requeue(defer_s: float) -> None:
            self.tasks.append(asyncio.create_task(self._run(defer_s)))

        return await run_coalesced(self.redis, KEY, self.work, requeue, lease_s=LEASE_S)

    async def drain(self) -> None:
        while not all(t.done() for t in self.tasks):
            await asyncio.gather(*self.tasks)


@pytest.mark.redis
async def test_a_burst_during_a_run_costs_one_more_run_that_sees_every_trigger(
    redis: Redis,
) -> None:
    seen: list[int] = []
    gate, started = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        seen.append((await pending(redis, KEY))[0])
        started.set()
        await gate.wait()

    queue = Queue(redis, work)
    await trigger(redis, KEY)
    queue.job()
    await started.wait()
    for _ in range(10):  # each trigger queues a job of its own, as ArqJobs does
        await trigger(redis, KEY)
        queue.job()
    await asyncio.sleep(0.05)
    gate.set()
    await queue.drain()
    assert seen == [1, 11]
    assert await pending(redis, KEY) == (11, 11)


@pytest.mark.redis
async def test_a_run_longer_than_its_lease_keeps_it(redis: Redis) -> None:
    running = 0
    most = 0

    async def work() -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(LEASE_S * 3)
        running -= 1

    queue = Queue(redis, work)
    await trigger(redis, KEY)
    queue.job()
    await asyncio.sleep(LEASE_S)
    await trigger(redis, KEY)
    queue.job()
    await queue.drain()
    assert most == 1  # the second job waited: the holder renewed its lease
    assert await pending(redis, KEY) == (2, 2)


@pytest.mark.redis
async def test_a_dead_holders_lease_ends_and_the_waiting_trigger_runs(redis: Redis) -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(1)

    dead = Lease(redis, KEY, LEASE_S)  # taken by a worker that is then killed: never renewed
    assert await dead.acquire()
    await trigger(redis, KEY)
    queue = Queue(redis, work)
    queue.job()
    await queue.drain()
    assert runs == [1]
    assert await redis.exists(lease_key(KEY)) == 0
    assert await pending(redis, KEY) == (1, 1)


@pytest.mark.redis
async def test_a_served_trigger_is_not_run_again(redis: Redis) -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(1)

    queue = Queue(redis, work)
    await trigger(redis, KEY)
    queue.job()
    queue.job()  # arq re-running a killed job later, for instance
    await queue.drain()
    queue.job()
    await queue.drain()
    assert runs == [1]
