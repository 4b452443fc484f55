"""Engine, sessions and the unit of work that publishes only after commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from server.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
AfterCommit = Callable[[], Awaitable[None]]
SessionMaker = async_sessionmaker[AsyncSession]


def make_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine for SQLite or MariaDB/MySQL."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings.database_url, url.database)
    return create_async_engine(
        settings.database_url,
        pool_pre_ping=True,
        pool_recycle=280,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


def _sqlite_engine(url: str, database: str | None) -> AsyncEngine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    # SQLAlchemy's documented recipe: take over BEGIN so that every transaction holds
    # SQLite's write lock from its start (BEGIN IMMEDIATE); that makes counters race-free.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    """Return the session factory; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def after_commit(session: AsyncSession, effect: AfterCommit) -> None:
    """Run `effect` once the session's transaction has committed, never before."""
    session.info.setdefault("after_commit", []).append(effect)


@asynccontextmanager
async def transaction(sessions: SessionMaker, **info: Any) -> AsyncIterator[AsyncSession]:
    """Open one transaction; commit it, then run the effects registered with after_commit."""
    async with sessions() as session:
        session.info.update(info)
        async with session.begin():
            yield session
        effects: list[AfterCommit] = session.info.pop("after_commit", [])
    for effect in effects:
        try:
            await effect()
        except Exception:  # an effect must never undo or hide a committed change
            log.exception("after-commit effect failed")


async def run_transaction(
    sessions: SessionMaker,
    work: Callable[[AsyncSession], Awaitable[T]],
    attempts: int = 4,
    **info: Any,
) -> T:
    """Run `work` in one transaction; start again if the database picked it as deadlock victim."""
    for attempt in range(1, attempts + 1):
        try:
            async with transaction(sessions, **info) as session:
                return await work(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            await asyncio.sleep(0.005 * attempt * attempt)
    raise AssertionError("unreachable")


def is_retryable(exc: DBAPIError) -> bool:
    """Tell whether the database rolled us back only because of a concurrent writer."""
    code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
    if code in (1213, 1205):  # MySQL/MariaDB: deadlock victim, lock wait timeout
        return True
    return "database is locked" in str(exc.orig)
