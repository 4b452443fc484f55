"""Background jobs: coalescing in-process, and one retry policy for arq and in-process runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq import Retry

from server.jobs import InProcessJobs, RetryPolicy, retrying

FAST = RetryPolicy(tries=3, base_s=0.001)


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
        await retrying(flaky, RetryPolicy(tries=3))({"job_try": 3})


async def test_in_process_a_bug_runs_once_as_under_arq() -> None:
    runs: list[int] = []

    async def bug(ctx: dict[str, Any]) -> None:
        runs.append(1)
        raise ValueError("a real bug")

    jobs = InProcessJobs(functions={"bug": bug}, ctx={}, policy=FAST)
    await jobs.enqueue("bug")
    await jobs.drain()
    assert len(runs) == 1


async def test_in_process_a_lost_connection_is_tried_again_up_to_the_policy() -> None:
    runs: list[int] = []

    async def flaky(ctx: dict[str, Any]) -> None:
        runs.append(1)
        if len(runs) < 2:
            raise ConnectionError("database restarting")

    async def down(ctx: dict[str, Any]) -> None:
        runs.append(2)
        raise ConnectionError("still down")

    jobs = InProcessJobs(functions={"flaky": flaky, "down": down}, ctx={}, policy=FAST)
    await jobs.enqueue("flaky")
    await jobs.drain()
    assert runs == [1, 1]
    await jobs.enqueue("down")
    await jobs.drain()
    assert runs.count(2) == FAST.tries
