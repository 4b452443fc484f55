"""Background jobs: coalescing in-process, and arq retries after transient failures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq import Retry

from server.jobs import InProcessJobs, retrying


async def test_a_trigger_during_a_run_earns_exactly_one_more_run() -> None:
    runs: list[int] = []
    gate = asyncio.Event()

    async def job(ctx: dict[str, Any]) -> None:
        runs.append(len(runs))
        await gate.wait()

    jobs = InProcessJobs(functions={"job": job}, ctx={})
    for _ in range(10):
        await jobs.enqueue("job", key="k")
        await asyncio.sleep(0)
    gate.set()
    await jobs.drain()
    assert len(runs) == 2


async def test_a_lost_connection_is_retried_later_under_arq() -> None:
    async def job(ctx: dict[str, Any]) -> None:
        raise ConnectionError("redis restarting")

    with pytest.raises(Retry) as caught:
        await retrying(job)({"job_try": 1})
    assert caught.value.defer_score == 2000


async def test_a_bug_is_not_retried_and_the_last_try_gives_up() -> None:
    async def bug(ctx: dict[str, Any]) -> None:
        raise ValueError("a real bug")

    async def flaky(ctx: dict[str, Any]) -> None:
        raise ConnectionError("still down")

    with pytest.raises(ValueError):
        await retrying(bug)({"job_try": 1})
    with pytest.raises(ConnectionError):
        await retrying(flaky, tries=3)({"job_try": 3})
