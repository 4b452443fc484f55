"""Shared test fixtures: a migrated database (SQLite or MariaDB), the app, a clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymysql
import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.app import create_app
from server.config import Settings
from server.db import make_database, make_engine
from server.migrate import upgrade
from server.models import Base
from server.services import Services, clinic

# Re-plans run after many actions in these tests; a short CP-SAT budget keeps the suite quick.
os.environ.setdefault("CLINIC_SOLVER_RESEQUENCE_TIME_LIMIT_S", "0.3")
os.environ.setdefault("CLINIC_SOLVER_ALLOCATION_TIME_LIMIT_S", "0.5")

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# A Monday morning: clinics are open and nothing depends on when the suite runs.
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _recreate_mysql(url: str) -> None:
    parsed = make_url(url)
    connection = pymysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password=parsed.password or "",
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{parsed.database}`")
        cursor.execute(
            f"CREATE DATABASE `{parsed.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    connection.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return a freshly migrated test database: TEST_DATABASE_URL, or an SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url is None:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    elif url.startswith("mysql"):
        _recreate_mysql(url)
    upgrade(url)
    return url


@pytest.fixture
def is_mysql(database_url: str) -> bool:
    """Tell whether the suite runs on MariaDB/MySQL."""
    return database_url.startswith("mysql")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Return test settings on the test database."""
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        mode="test",
        var_dir=tmp_path,
        public_url="http://clinic.test",
        redis_url=None,
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """Yield an engine on an emptied test database."""
    engine = make_engine(settings)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(delete(table))
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """Yield a session inside a transaction that the test commits or leaves."""
    async with make_database(engine)() as db:
        yield db


@pytest.fixture
def clock() -> Clock:
    """Return the hand-moved clock, at T0."""
    return Clock()


@pytest.fixture
async def app(settings: Settings, engine: AsyncEngine, clock: Clock) -> AsyncIterator[Quart]:
    """Yield the app with its lifespan running, on the emptied database, at T0."""
    app = create_app(settings)
    clinic(app).clock = clock
    async with app.test_app():
        yield app


@pytest.fixture
def services(app: Quart) -> Services:
    """Return the app's shared state."""
    return clinic(app)


@pytest.fixture
def client(app: Quart) -> Client:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture(scope="session")
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
