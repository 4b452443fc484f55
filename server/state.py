"""The running clinic's shared parts, made once at start-up and reached from anywhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from quart import current_app
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions.booking import OverbookPolicy, Scorer, base_rate_scorer
from server.auth.ratelimit import Limiter
from server.config import Settings
from server.db import SessionMaker, run_transaction
from server.events import EventHub
from server.jobs import JobQueue
from server.scheduling.settings import SolverSettings

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
    limiter: Limiter
    redis: Redis | None = None
    jobs: JobQueue | None = None
    clock: Clock = utc_clock
    scorer: Scorer = base_rate_scorer
    extras: dict[str, Any] = field(default_factory=dict)

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one transaction whose events reach the hub after commit."""
        return await run_transaction(self.sessions, work, hub=self.hub, state=self)

    @property
    def overbooking(self) -> OverbookPolicy:
        """Return the booking path's overbooking limit, the one the allocation plans with."""
        return OverbookPolicy(max_expected_excess=self.solver_settings.max_expected_excess)

    @property
    def solver_settings(self) -> SolverSettings:
        """Return the scheduler's settings, read from the environment once per process."""
        found = self.extras.get("solver_settings")
        if not isinstance(found, SolverSettings):
            found = self.extras["solver_settings"] = SolverSettings()
        return found

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Send a job to the worker (or run it in-process when embedded)."""
        if self.jobs is None:
            raise RuntimeError("the job queue starts with the app; use app.test_app() in tests")
        await self.jobs.enqueue(function, *args, key=key)

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run a read-only `work` in its own short transaction."""
        return await run_transaction(self.sessions, work, state=self)


def clinic(app: Quart | None = None) -> ClinicState:
    """Return the clinic state of `app` (default: the current app)."""
    target = app if app is not None else current_app
    state: ClinicState = target.extensions["clinic"]
    return state
