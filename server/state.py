"""The process state every request, socket and job shares: database, events, jobs, clock.

Built by the composition root (`server/runtime.py`), which also owns its lifecycle; this
module sits low (config, database, events, job queue, tuning) so that scheduling,
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
from server.db import SessionMaker, make_engine, make_sessionmaker, run_transaction
from server.events import EventHub
from server.jobs import JobQueue
from server.tuning import OverbookPolicy, Scorer, SolverSettings, base_rate_scorer

if TYPE_CHECKING:
    from quart import Quart

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    """Tell the time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class ClinicState:
    """What every request, socket and job of one process shares."""

    settings: Settings
    engine: AsyncEngine
    sessions: SessionMaker
    hub: EventHub
    redis: Redis | None = None
    jobs: JobQueue | None = None
    clock: Clock = utc_clock
    scorer: Scorer = base_rate_scorer
    # The scheduler's settings, read from the environment once per process.
    solver_settings: SolverSettings = field(default_factory=SolverSettings)

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one transaction whose events reach the hub after commit."""
        return await run_transaction(self.sessions, work, hub=self.hub, state=self)

    @property
    def overbooking(self) -> OverbookPolicy:
        """Return the booking path's overbooking limit, the one the allocation plans with."""
        return OverbookPolicy(max_expected_excess=self.solver_settings.max_expected_excess)

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Send a job to the worker (or run it in-process when embedded)."""
        if self.jobs is None:
            raise RuntimeError("the job queue starts with the runtime; use app.test_app() in tests")
        await self.jobs.enqueue(function, *args, key=key)

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read-only `work` in its own short transaction."""
        return await run_transaction(self.sessions, work, state=self)


def make_state(
    settings: Settings,
    *,
    clock: Clock = utc_clock,
    jobs: JobQueue | None = None,
    redis: Redis | None = None,
    solver_settings: SolverSettings | None = None,
) -> ClinicState:
    """Make a state on a new engine (whoever makes one disposes of its engine).

    The composition root (server/runtime.py) calls this; so do stand-alone tools that need
    only the database (the delivery runner).
    """
    engine = make_engine(settings)
    return ClinicState(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        hub=EventHub(),
        redis=redis,
        jobs=jobs,
        clock=clock,
        solver_settings=solver_settings or SolverSettings(),
    )


def clinic(app: Quart | None = None) -> ClinicState:
    """Return the clinic state of `app` (default: the current app)."""
    target = app if app is not None else current_app
    state: ClinicState = target.extensions["clinic"]
    return state
