"""Engine, database transactions and the unit of work that publishes only after commit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
Database = async_sessionmaker[AsyncSession]


def make_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine for SQLite or MariaDB/MySQL."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings.database_url, url.database)
    engine = create_async_engine(
        settings.database_url,
        pool_recycle=280,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # Every session ends its transaction itself (commit, or rollback on close), so the
        # pool's own ROLLBACK on return would only repeat it: one more round trip per request.
        pool_reset_on_return=None,
    )
    _ping_when_idle(engine, settings.db_ping_idle_s)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Ping a pooled connection before use only if it sat idle for `idle_s` or more.

    `pool_pre_ping` costs a round trip per request; a connection that was in use a moment
    ago is known to be alive. One that has been idle may have been closed by a server
    restart or `wait_timeout`: the failed ping makes the pool replace it, invisibly.
    """
    pool, dialect = engine.sync_engine.pool, engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("pooled connection is gone") from exc


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


def make_database(engine: AsyncEngine) -> Database:
    """Return the session factory; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def after_commit(db: AsyncSession, effect: AfterCommit) -> None:
    """Run `effect` once the session's transaction has committed, never before."""
    db.info.setdefault("after_commit", []).append(effect)


@asynccontextmanager
async def transaction(database: Database, **info: Any) -> AsyncIterator[AsyncSession]:
    """Open one transaction; commit it, then run the effects registered with after_commit."""
    async with database() as db:
        db.info.update(info)
        async with db.begin():
            yield db
        effects: list[AfterCommit] = db.info.pop("after_commit", [])
    for effect in effects:
        try:
            await effect()
        except Exception:  # an effect must never undo or hide a committed change
            log.exception("after-commit effect failed")


async def run_transaction(
    database: Database,
    work: Callable[[AsyncSession], Awaitable[T]],
    attempts: int = 4,
    **info: Any,
) -> T:
    """Run `work` in one transaction; start again if the database picked it as deadlock victim.

    A caller that is cancelled (a browser that left mid-request, a timeout) stops waiting at
    once, but the transaction runs on to its commit or rollback. Cancelling a driver call
    midway makes SQLAlchemy drop the connection while aiosqlite's thread may still be taking
    SQLite's write lock for it: a connection nobody holds then keeps that lock, and every later
    transaction of the process waits for it in vain.
    """
    running = asyncio.ensure_future(_attempts(database, work, attempts, info))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        running.add_done_callback(_caller_gone)
        raise


def _caller_gone(task: asyncio.Future[Any]) -> None:
    """Note how a transaction whose caller had left ended (its error has nobody else to see)."""
    if not task.cancelled() and task.exception() is not None:
        log.info("a transaction whose caller had left failed: %r", task.exception())


async def _attempts(
    database: Database,
    work: Callable[[AsyncSession], Awaitable[T]],
    attempts: int,
    info: dict[str, Any],
) -> T:
    for attempt in range(1, attempts + 1):
        try:
            async with transaction(database, **info) as db:
                return await work(db)
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


def is_outage(exc: BaseException) -> bool:
    """Tell whether `exc` means the database is unreachable or restarting (answer 503, not 500).

    OperationalError and InterfaceError are the DB-API's "not your statement's fault" classes
    (lost or refused connections, server shutdown, lock timeouts); a pool timeout means every
    connection is stuck waiting for a database that does not answer.
    """
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
