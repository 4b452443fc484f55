"""The composition root: which parts each role gets, the order they start and stop in."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth.ratelimit import FallbackLimiter, MemoryLimiter
from server.config import PROJECT_ROOT, Settings
from server.jobs import LIVE_JOBS, ArqJobs, InProcessJobs
from server.notify.settings import NotifySettings
from server.runtime import ProcessRole, build_runtime
from tests.services import redis_url

REDIS_URL = redis_url(9)  # this module's own database


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """Yield a client of this module's Redis database."""
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


async def test_an_embedded_server_stops_what_makes_changes_before_what_carries_them(
    settings: Settings, engine: AsyncEngine
) -> None:
    # Not in test mode: the embedded notification scheduler runs too.
    runtime = build_runtime(settings.model_copy(update={"mode": "development"}), ProcessRole.SERVER)
    async with runtime:
        assert isinstance(runtime.services.jobs, InProcessJobs)
        assert runtime.scheduler is not None and not runtime.scheduler.done()
        # An in-process job reads the notifications from its context, as under arq.
        await runtime.services.enqueue("deliver_outbox", key="deliver_outbox")
        await runtime.services.jobs.drain()
    assert runtime.scheduler.cancelled()
    assert runtime.rota is not None and runtime.rota.done()
    assert runtime.lifecycle == [
        "start database",
        "start scheduling",
        "start notifications",
        "start jobs",
        "start notification scheduler",
        "start rota scheduler",
        "stop rota scheduler",
        "stop notification scheduler",
        "stop jobs",
        "stop notifications",
        "stop database",
    ]


async def test_a_start_that_fails_half_way_closes_what_it_had_opened(
    settings: Settings, engine: AsyncEngine
) -> None:
    scaled = settings.model_copy(update={"redis_url": REDIS_URL, "notifier": "smtp"})
    runtime = build_runtime(scaled, ProcessRole.SERVER, notify=NotifySettings(smtp_host=""))
    with pytest.raises(ValueError, match="SMTP"):  # no SMTP host: refused at start
        await runtime.start()
    assert runtime.lifecycle == [
        "start database",
        "start redis",
        "start login limiter",
        "start scheduling",
        "stop login limiter",
        "stop redis",
        "stop database",
    ]
    assert runtime.services.jobs is None  # never opened: nothing left to close
    with pytest.raises(RuntimeError, match="starts once"):
        await runtime.start()


@pytest.mark.redis
async def test_a_scaled_server_sends_jobs_through_redis_and_limits_logins_there(
    settings: Settings, engine: AsyncEngine
) -> None:
    scaled = settings.model_copy(update={"redis_url": REDIS_URL})
    runtime = build_runtime(scaled, ProcessRole.SERVER)
    assert runtime.access is not None and isinstance(runtime.access.limiter, MemoryLimiter)
    async with runtime:
        assert isinstance(runtime.services.jobs, ArqJobs)
        assert isinstance(runtime.access.limiter, FallbackLimiter)
        assert runtime.services.redis is not None and await runtime.services.redis.ping()
        assert runtime.scheduler is None  # arq's cron sends reminders when scaled
    stopped = ["jobs", "notifications", "login limiter", "redis", "database"]
    assert runtime.lifecycle[-5:] == [f"stop {part}" for part in stopped]


@pytest.mark.redis
async def test_a_worker_runs_on_arqs_redis_and_leaves_it_open(
    settings: Settings, engine: AsyncEngine, redis: Redis
) -> None:
    scaled = settings.model_copy(update={"redis_url": REDIS_URL})
    runtime = build_runtime(scaled, ProcessRole.WORKER, redis=redis)
    assert runtime.access is None  # no logins in a worker
    jobs = runtime.services.jobs
    assert isinstance(jobs, ArqJobs) and jobs.queue_name == LIVE_JOBS
    async with runtime:
        assert runtime.emitter is not None  # its commits reach the servers' screens
        assert runtime.job_context()["notifications"] is runtime.notifications
    assert await redis.ping()  # arq's connection, closed by arq
    assert runtime.lifecycle == [
        "start database",
        "start scheduling",
        "start notifications",
        "start screen updates",
        "start jobs",
        "stop screen updates",
        "stop notifications",
        "stop database",
    ]
    with pytest.raises(ValueError, match="arq's Redis"):
        build_runtime(scaled, ProcessRole.WORKER)


async def test_a_tool_gets_the_database_only(settings: Settings, engine: AsyncEngine) -> None:
    async with build_runtime(settings, ProcessRole.TOOL) as runtime:
        assert await runtime.services.read(lambda s: s.scalar(text("SELECT 1"))) == 1
        assert runtime.notifications is None and runtime.access is None
    assert runtime.lifecycle == ["start database", "start jobs", "stop jobs", "stop database"]


async def test_the_simulator_brings_its_own_jobs(settings: Settings, engine: AsyncEngine) -> None:
    runtime = build_runtime(settings, ProcessRole.SIMULATION)
    with pytest.raises(RuntimeError, match="given its jobs"):
        await runtime.start()
    assert runtime.lifecycle == ["start database", "stop database"]


def imports_of(path: Path) -> set[str]:
    """Return every module `path` imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_server_never_imports_the_workers() -> None:
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "server").rglob("*.py")
        if any(name == "workers" or name.startswith("workers.") for name in imports_of(path))
    ]
    assert offenders == []


def test_the_services_sit_below_what_uses_them() -> None:
    above = ("server.actions", "server.auth", "server.scheduling", "server.notify", "server.api")
    imported = imports_of(PROJECT_ROOT / "server" / "services.py")
    assert sorted(name for name in imported if name.startswith(above)) == []
