"""Pooled connections: no stale reads, dead ones replaced unseen, cancelled callers harmless."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.config import Settings
from server.db import make_database, make_engine, run_transaction, transaction
from server.models import Patient
from tests.factories import make_patient


async def count_patients(engine: AsyncEngine) -> int:
    """Read the way `Services.read` does: a session closed without a commit."""
    async with make_database(engine)() as db:
        return int(await db.scalar(select(func.count(Patient.id))) or 0)


async def test_a_read_after_someone_elses_commit_sees_it(engine: AsyncEngine) -> None:
    before = await count_patients(engine)  # leaves its connection in the pool
    async with transaction(make_database(engine)) as db:
        await make_patient(db)
    assert await count_patients(engine) == before + 1


@pytest.fixture
async def mysql_engine(settings: Settings, is_mysql: bool) -> AsyncIterator[AsyncEngine]:
    """Yield a one-connection MariaDB engine that pings connections idle for 0 s or more."""
    if not is_mysql:
        pytest.skip("a killed server connection needs MariaDB")
    engine = make_engine(settings.model_copy(update={"db_pool_size": 1, "db_ping_idle_s": 0.0}))
    yield engine
    await engine.dispose()


async def kill_pooled_connection(engine: AsyncEngine, other: AsyncEngine) -> None:
    """Have the server drop the pool's idle connection, as a restart or wait_timeout would."""
    async with engine.connect() as connection:
        victim = await connection.scalar(text("SELECT CONNECTION_ID()"))
    async with other.connect() as connection:
        await connection.execute(text(f"KILL CONNECTION {int(victim)}"))


async def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
    mysql_engine: AsyncEngine, engine: AsyncEngine
) -> None:
    await kill_pooled_connection(mysql_engine, engine)
    assert await count_patients(mysql_engine) >= 0


async def test_without_the_idle_ping_the_dropped_connection_fails_the_request(
    mysql_engine: AsyncEngine, engine: AsyncEngine, settings: Settings
) -> None:
    # The same engine, except that its connections count as busy for an hour.
    lazy = make_engine(settings.model_copy(update={"db_pool_size": 1, "db_ping_idle_s": 3600}))
    try:
        await kill_pooled_connection(lazy, engine)
        with pytest.raises(DBAPIError):
            await count_patients(lazy)
    finally:
        await lazy.dispose()


async def test_callers_cancelled_while_waiting_for_the_database_leave_it_usable(
    engine: AsyncEngine,
) -> None:
    # Browsers that leave pages mid-request cancel the requests' transactions; on SQLite those
    # wait for the write lock, and cancelling that wait used to leave the lock with a connection
    # nobody held: every later request of the process hung.
    database = make_database(engine)
    release = asyncio.Event()

    async def hold(db: AsyncSession) -> None:
        await make_patient(db)
        await release.wait()

    async def read(db: AsyncSession) -> int:
        return int(await db.scalar(select(func.count(Patient.id))) or 0)

    holder = asyncio.create_task(run_transaction(database, hold))
    await asyncio.sleep(0.2)
    waiting = [asyncio.create_task(run_transaction(database, read)) for _ in range(6)]
    await asyncio.sleep(0.5)  # SQLite: each is inside BEGIN IMMEDIATE, waiting for the lock
    for caller in waiting:
        caller.cancel()

    async def add(db: AsyncSession) -> None:
        await make_patient(db)

    # A hang here is the bug (SQLite waits up to 30 s for a lock; the database is idle now).
    async with asyncio.timeout(20):
        await asyncio.gather(*waiting, return_exceptions=True)
        release.set()
        await holder
        await run_transaction(database, add)
        assert await run_transaction(database, read) >= 2
