"""Background jobs: arq behind Redis when scaled, the same functions in-process when embedded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

# A job function takes a context dict (see server/runtime.py: ctx["services"] is the Services,
# ctx["notifications"] the notifications when the process has them) and plain arguments.
JobFunction = Callable[..., Awaitable[Any]]

# arq's default queue carries the live jobs (re-plans, deliveries, reminders, allocations); the
# nightly retrain has its own queue and worker, so its 30-minute timeout holds up nothing live.
LIVE_JOBS = "arq:queue"
NIGHTLY_JOBS = "arq:queue:nightly"
# The keyword a coalesced job carries its key in, under arq (see server/coalescing.py).
KEY_ARG = "coalesce_key"


class Jobs(Protocol):
    """Somewhere to send work that must not hold up a request."""

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Run `function(ctx, *args)` soon; jobs with the same key coalesce into one run."""

    async def close(self) -> None:
        """Stop taking jobs and let running ones finish."""


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed job runs again: after a transient failure, with doubling waits, a few times.

    The one policy of both job runners (arq's and the in-process one): a bug is not retried.
    """

    tries: int = 5
    base_s: float = 1.0
    max_s: float = 60.0

    def retries(self, error: BaseException, attempt: int) -> bool:
        """Tell whether attempt number `attempt`, failed with `error`, earns another."""
        return isinstance(error, Exception) and transient(error) and attempt < self.tries

    def delay_s(self, attempt: int) -> float:
        """Wait this long after failed attempt number `attempt`."""
        return float(min(self.base_s * 2**attempt, self.max_s))


RETRY = RetryPolicy()


@dataclass
class _Slot:
    running: bool = False
    again: bool = False


@dataclass
class InProcessJobs:
    """Run jobs as tasks of this process, coalescing by key as the arq queue does."""

    functions: dict[str, JobFunction]
    ctx: dict[str, Any]
    policy: RetryPolicy = RETRY
    _slots: dict[str, _Slot] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Start the job, or mark one more run if a job with this key is already going."""
        if function not in self.functions:
            raise KeyError(f"unknown job {function!r}")
        if key is not None:
            slot = self._slots.setdefault(key, _Slot())
            if slot.running:
                slot.again = True  # a trigger during the run earns exactly one more run
                return
            slot.running = True
        task = asyncio.create_task(self._run(function, args, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, function: str, args: tuple[Any, ...], key: str | None) -> None:
        while True:
            await self._attempt(function, args)
            slot = self._slots.get(key) if key is not None else None
            if slot is None or not slot.again:
                break
            slot.again = False
        if key is not None:
            self._slots.pop(key, None)

    async def _attempt(self, function: str, args: tuple[Any, ...]) -> None:
        attempt = 1
        while True:
            try:
                await self.functions[function](self.ctx, *args)
                return
            except Exception as error:
                if not self.policy.retries(error, attempt):
                    log.exception("job %s%r failed (try %d), giving up", function, args, attempt)
                    return
                log.warning("job %s%r: transient failure (%s), retrying", function, args, error)
                await asyncio.sleep(self.policy.delay_s(attempt))
                attempt += 1

    async def drain(self) -> None:
        """Wait until every queued and running job has finished (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Let running jobs finish."""
        await self.drain()


class ArqJobs:
    """Send jobs to arq workers through Redis; a key's jobs coalesce at run time."""

    def __init__(self, pool: Any, queue_name: str = LIVE_JOBS) -> None:
        self.pool, self.queue_name = pool, queue_name

    @classmethod
    async def connect(cls, redis_url: str) -> ArqJobs:
        """Open the arq pool on REDIS_URL."""
        from arq import create_pool
        from arq.connections import RedisSettings

        return cls(await create_pool(RedisSettings.from_dsn(redis_url)))

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Queue the job; a keyed one under an id of its own, so no dead run can swallow it."""
        if key is None:
            await self.pool.enqueue_job(function, *args, _queue_name=self.queue_name)
            return
        from server.coalescing import trigger

        generation = await trigger(self.pool, key)
        # Never a fixed id: arq drops a job whose id a dead worker's run still holds.
        await self.pool.enqueue_job(
            function,
            *args,
            _job_id=f"{key}:{generation}",
            _queue_name=self.queue_name,
            **{KEY_ARG: key},
        )

    async def close(self) -> None:
        """Close the Redis pool."""
        await self.pool.aclose()


# Errors that a later attempt may not meet: a lost connection, a restarting database or Redis.
TRANSIENT: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError)


def retrying(job: JobFunction, policy: RetryPolicy = RETRY) -> JobFunction:
    """Let arq run `job` again, later, after a transient failure (arq itself retries none)."""
    from arq import Retry

    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except Exception as error:
            attempt = int(ctx.get("job_try", 1))
            if not policy.retries(error, attempt):
                raise
            log.warning("job %s: transient failure (%s), retrying", job.__name__, error)
            raise Retry(defer=policy.delay_s(attempt)) from error

    run.__name__ = job.__name__
    run.__doc__ = job.__doc__
    return run


# What MariaDB and SQLite say when a later attempt may succeed.
TRANSIENT_WORDS = (
    "lost connection",
    "gone away",
    "can't connect",
    "deadlock",
    "lock wait timeout",
    "database is locked",
)


def transient(error: Exception) -> bool:
    """Tell a dropped connection or a restarting service from a real bug."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, (*TRANSIENT, RedisConnectionError, RedisTimeoutError)):
        return True
    if not isinstance(error, DBAPIError):
        return False
    text = str(error.orig).lower()
    return bool(error.connection_invalidated) or any(word in text for word in TRANSIENT_WORDS)
