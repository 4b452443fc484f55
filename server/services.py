"""The services every request, socket and job of a process shares: database, events, jobs, clock.

Built by the composition root (`server/runtime.py`), which also owns its lifecycle; this
module sits low (config, database, events, jobs, tuning) so that scheduling,
notifications, sockets and routes may all import it without cycles.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from quart import current_app
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.config import Settings
from server.db import Database, make_database, make_engine, run_transaction
from server.events import EventHub
from server.jobs import Jobs
from server.tuning import OverbookPolicy, Scorer, SolverSettings, base_rate_scorer

if TYPE_CHECKING:
    from quart import Quart

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    """Tell the time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class Services:
    """What every request, socket and job of one process shares."""

    settings: Settings
    engine: AsyncEngine
    database: Database
    hub: EventHub
    redis: Redis | None = None
    jobs: Jobs | None = None
    clock: Clock = utc_clock
    scorer: Scorer = base_rate_scorer
    # The scheduler's settings, read from the environment once per process.
    solver_settings: SolverSettings = field(default_factory=SolverSettings)

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one transaction whose events reach the hub after commit."""
        return await run_transaction(self.database, work, hub=self.hub, services=self)

    @property
    def overbooking(self) -> OverbookPolicy:
        """Return the booking path's overbooking limit, the one the allocation plans with."""
        return OverbookPolicy(max_expected_excess=self.solver_settings.max_expected_excess)

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Send a job to the worker (or run it in-process when embedded)."""
        if self.jobs is None:
            raise RuntimeError("the jobs start with the runtime; use app.test_app() in tests")
        await self.jobs.enqueue(function, *args, key=key)

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read-only `work` in its own short transaction."""
        return await run_transaction(self.database, work, services=self)


def make_services(
    settings: Settings,
    *,
    clock: Clock = utc_clock,
    jobs: Jobs | None = None,
    redis: Redis | None = None,
    solver_settings: SolverSettings | None = None,
) -> Services:
    """Make the services on a new engine (whoever makes them disposes of its engine).

    The composition root (server/runtime.py) calls this; so do stand-alone tools that need
    only the database (the delivery runner).
    """
    engine = make_engine(settings)
    return Services(
        settings=settings,
        engine=engine,
        database=make_database(engine),
        hub=EventHub(),
        redis=redis,
        jobs=jobs,
        clock=clock,
        solver_settings=solver_settings or SolverSettings(),
    )


def clinic(app: Quart | None = None) -> Services:
    """Return the services of `app` (default: the current app)."""
    target = app if app is not None else current_app
    services: Services = target.extensions["clinic"]
    return services
