"""Several server processes and a worker share rooms and numbers through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from server.auth.ratelimit import MemoryLimiter
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.events import EventHub
from server.realtime.server import attach_worker_emitter
from server.state import ClinicState
from tests.conftest import Clock
from tests.realtime.conftest import LiveServer, Screen, open_clinic, serve
from tests.realtime.test_updates import call_next, numbered_from

pytestmark = pytest.mark.redis
REDIS_URL = "redis://127.0.0.1:6379/5"
MakeScreen = Callable[[str], Screen]


@pytest.fixture
def scope() -> str:
    """Name this test's channel and keys apart from any other run sharing the Redis server."""
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def two_servers(
    settings: Settings, engine: AsyncEngine, clock: Clock, scope: str
) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Run two servers on one database and one Redis, as two processes behind a proxy would."""
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    async with AsyncExitStack() as stack:
        first, second = [
            await stack.enter_async_context(serve(shared, clock, scope)) for _ in range(2)
        ]
        yield first, second
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{scope}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_an_action_on_one_server_reaches_a_screen_on_the_other(
    two_servers: tuple[LiveServer, LiveServer], screens: MakeScreen
) -> None:
    first, second = two_servers
    day = await open_clinic(first.state)
    board = screens("/board")
    await board.connect(second.url, {"key": day.display_key})
    _hello, [snapshot] = await board.join()
    await call_next(first.state, day)
    updates = await board.drain()
    assert numbered_from(updates, snapshot["seq"])
    assert {u["epoch"] for u in updates} == {snapshot["epoch"]}
    assert updates[-1]["data"]["serving"][0]["status"] == "called"


async def test_a_worker_emits_to_screens_through_redis(
    two_servers: tuple[LiveServer, LiveServer], screens: MakeScreen, scope: str
) -> None:
    server = two_servers[1]
    day = await open_clinic(server.state)
    phone = screens("/patient")
    await phone.connect(server.url, {"token": day.patient_tokens[0], "ticket_id": day.tickets[0]})
    _hello, [snapshot] = await phone.join()
    engine = make_engine(server.state.settings)
    redis = Redis.from_url(REDIS_URL)
    worker = ClinicState(
        settings=server.state.settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        hub=EventHub(),
        limiter=MemoryLimiter(1, 1),
        redis=redis,
        clock=server.state.clock,
    )
    await attach_worker_emitter(worker, scope=scope)
    await call_next(worker, day)
    updates = await phone.drain()
    assert numbered_from(updates, snapshot["seq"])
    assert updates[-1]["data"]["ticket"]["status"] == "called"
    await redis.aclose()
    await engine.dispose()
