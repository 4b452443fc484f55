"""The composition root: one builder makes a process's parts, one exit stack starts and stops them.

Every entry point builds its process here, by role: the web app (`SERVER`, server/app.py),
the arq workers (`WORKER`, workers/settings.py), one-shot commands and the benches' seeding
(`TOOL`) and the simulator (`SIMULATION`). `start()` opens the parts in one fixed
order and `stop()` closes them in the reverse order, so what still makes changes (the live
demo, the embedded scheduler, the jobs) stops before what carries them (sockets, messages,
Redis, the database); a start that fails half-way closes what it had opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, Any

from quart import current_app
from redis.asyncio import Redis

from server.auth.ratelimit import FallbackLimiter, MemoryLimiter, RedisLimiter
from server.auth.web import Access
from server.background.registry import FUNCTIONS
from server.background.rotas import run_nightly_rota
from server.config import Settings
from server.jobs import LIVE_JOBS, ArqJobs, InProcessJobs, Jobs
from server.notify.runtime import Notifications, make_notifications
from server.notify.scheduler import job_context, run_scheduler
from server.notify.settings import NotifySettings
from server.realtime.fanout import Fanout
from server.realtime.server import DEFAULT_SCOPE, Realtime, attach_worker_emitter
from server.scheduling import hooks
from server.services import Clock, Services, make_services, utc_clock
from server.simulation.live import LiveDemo
from server.tuning import SolverSettings

if TYPE_CHECKING:
    from quart import Quart

log = logging.getLogger(__name__)


class ProcessRole(StrEnum):
    """What a process is for, and so which parts it gets."""

    SERVER = "server"  # routes and sockets; jobs in-process when embedded, through arq if scaled
    WORKER = "worker"  # an arq worker: the jobs, the scheduler's hooks, messages, screen updates
    TOOL = "tool"  # a one-shot command or a bench's seeding: the database only
    SIMULATION = "simulation"  # the simulator: its own jobs and clock; it wires its own hooks


@dataclass
class Runtime:
    """The typed parts of one process, and their one lifecycle."""

    role: ProcessRole
    services: Services
    access: Access | None = None  # SERVER: login limiter, token cache
    notifications: Notifications | None = None  # SERVER, WORKER
    realtime: Realtime | None = None  # SERVER with sockets (server/asgi.py sets it before start)
    live_demo: LiveDemo | None = None  # SERVER with CLINIC_DEMO_SPEED
    emitter: Fanout | None = None  # WORKER: its commits reach every server's screens
    scope: str = DEFAULT_SCOPE  # the deployment's Redis channel and keys (server/realtime)
    scheduler: asyncio.Task[None] | None = None  # embedded SERVER: reminders and retries
    rota: asyncio.Task[None] | None = None  # embedded SERVER: the nightly rota run
    # What started, then what stopped, in order ("start jobs", ..., "stop database").
    lifecycle: list[str] = field(default_factory=list)
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _started: bool = False

    @property
    def started(self) -> bool:
        """Tell whether `start()` was called (parts added later would never start)."""
        return self._started

    def job_context(self) -> dict[str, Any]:
        """Return what a job reads: the services, and the notifications when this role has them."""
        if self.notifications is not None:
            return job_context(self.notifications)
        return {"services": self.services}

    async def start(self) -> None:
        """Open every part in order; on a failure, close what was opened and raise."""
        if self._started:
            raise RuntimeError("a runtime starts once")
        self._started = True
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close every part, the last opened first (the database last)."""
        await self._stack.aclose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    def _opened(self, name: str, close: Callable[[], Awaitable[Any]] | None = None) -> None:
        """Record that `name` started; `close` runs when the runtime stops."""
        self.lifecycle.append(f"start {name}")

        async def closing() -> None:
            self.lifecycle.append(f"stop {name}")
            if close is not None:
                await close()

        self._stack.push_async_callback(closing)

    async def _start(self) -> None:
        services, settings = self.services, self.services.settings
        self._opened("database", services.engine.dispose)
        if self.role is ProcessRole.SERVER and settings.redis_url:
            redis = Redis.from_url(settings.redis_url)
            services.redis = redis
            self._opened("redis", redis.aclose)
        if self.access is not None and settings.redis_url:
            self.access.limiter = self._redis_limiter(settings.redis_url)
        if self.role is ProcessRole.SERVER:
            from server.scoring import ModelScorer  # scikit-learn: seconds, servers only

            services.scorer = await asyncio.to_thread(
                ModelScorer, settings.models_path, settings.model_check_s
            )
        if self.role in (ProcessRole.SERVER, ProcessRole.WORKER):
            await hooks.attach(services)
            self.lifecycle.append("start scheduling")
        if self.notifications is not None:
            self.notifications.transports()  # bad provider settings fail at start, not at a booking
            self.notifications.attach()
            self._opened("notifications", self.notifications.close)
        if self.realtime is not None:
            await self.realtime.start(services)
            self._opened("sockets", self.realtime.stop)
        if self.role is ProcessRole.WORKER:
            self.emitter = await attach_worker_emitter(services, self.scope)
            self._opened("screen updates", self.emitter.wait_idle)
        await self._start_jobs()
        # Embedded only: arq's cron does this when scaled; tests drive it by hand.
        embedded = (
            self.role is ProcessRole.SERVER and not settings.redis_url and settings.mode != "test"
        )
        if embedded and self.notifications is not None:
            self.scheduler = asyncio.create_task(run_scheduler(self.notifications))
            self._opened("notification scheduler", self._stop_scheduler)
        if embedded:
            self.rota = asyncio.create_task(run_nightly_rota(services))
            self._opened("rota scheduler", self._stop_rota)
        if self.live_demo is not None:
            await self.live_demo.start()
            self._opened("live demo", self.live_demo.stop)

    async def _start_jobs(self) -> None:
        services, url = self.services, self.services.settings.redis_url
        if services.jobs is not None:  # given (worker, simulator): its owner closes it
            self.lifecycle.append("start jobs")
            return
        jobs: Jobs
        if self.role is ProcessRole.SERVER and url:
            jobs = await ArqJobs.connect(url)
        elif self.role in (ProcessRole.SERVER, ProcessRole.TOOL):
            jobs = InProcessJobs(functions=FUNCTIONS, ctx=self.job_context())
        else:
            raise RuntimeError(f"a {self.role} runtime is given its jobs")
        services.jobs = jobs
        self._opened("jobs", jobs.close)  # before the hooks close: no job reopens what they close

    async def _stop_rota(self) -> None:
        if self.rota is not None:
            self.rota.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.rota

    def _redis_limiter(self, url: str) -> FallbackLimiter:
        """Count login failures in Redis, and in memory while Redis is down."""
        settings = self.services.settings
        # Its own client with short timeouts: a Redis that hangs must not hold a login up.
        redis = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._opened("login limiter", redis.aclose)
        shared = RedisLimiter(redis, settings.login_max_failures, settings.login_window_s)
        local = MemoryLimiter(settings.login_max_failures, settings.login_window_s)
        return FallbackLimiter(shared, local)

    async def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.scheduler


def build_runtime(
    settings: Settings,
    role: ProcessRole,
    *,
    clock: Clock = utc_clock,
    jobs: Jobs | None = None,
    redis: Redis | None = None,
    notify: NotifySettings | None = None,
    solver_settings: SolverSettings | None = None,
    scope: str = DEFAULT_SCOPE,
) -> Runtime:
    """Make the parts of a `role` process (nothing connects until `start()`).

    A worker passes arq's Redis (`redis`; its jobs run on it), the simulator its own
    `jobs` and `clock`; `notify` replaces the notification settings of the environment.
    """
    if role is ProcessRole.WORKER:
        if redis is None:
            raise ValueError("a worker runtime runs on arq's Redis: pass redis=")
        jobs = jobs or ArqJobs(redis, queue_name=LIVE_JOBS)  # what a job queues is live work
    services = make_services(
        settings, clock=clock, jobs=jobs, redis=redis, solver_settings=solver_settings
    )
    runtime = Runtime(role=role, services=services, scope=scope)
    if role is ProcessRole.SERVER:
        limiter = MemoryLimiter(settings.login_max_failures, settings.login_window_s)
        runtime.access = Access(limiter)
        if settings.demo_speed > 0:  # `clinic demo run --live`: simulated days play through
            runtime.live_demo = LiveDemo(services, settings.demo_speed)
    if role in (ProcessRole.SERVER, ProcessRole.WORKER):
        runtime.notifications = make_notifications(services, notify)
    return runtime


def runtime_of(app: Quart | None = None) -> Runtime:
    """Return the runtime of `app` (default: the current app)."""
    target = app if app is not None else current_app
    found: Runtime = target.extensions["clinic_runtime"]
    return found
