"""Background jobs: arq behind Redis when scaled, the same functions in-process when embedded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

# A job function takes arq's context dict (ctx["state"] is the ClinicState) and plain arguments.
JobFunction = Callable[..., Awaitable[Any]]


class JobQueue(Protocol):
    """Somewhere to send work that must not hold up a request."""

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Run `function(ctx, *args)` soon; jobs with the same key coalesce into one run."""

    async def close(self) -> None:
        """Stop taking jobs and let running ones finish."""


@dataclass
class _Slot:
    running: bool = False
    again: bool = False


@dataclass
class InProcessJobs:
    """Run jobs as tasks of this process, coalescing by key as the arq queue does."""

    functions: dict[str, JobFunction]
    ctx: dict[str, Any]
    retries: int = 3
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
        for attempt in range(1, self.retries + 1):
            try:
                await self.functions[function](self.ctx, *args)
                return
            except Exception:
                log.exception(
                    "job %s%r failed (attempt %d of %d)", function, args, attempt, self.retries
                )
                await asyncio.sleep(0.05 * 2**attempt)

    async def drain(self) -> None:
        """Wait until every queued and running job has finished (for tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Let running jobs finish."""
        await self.drain()


class ArqJobs:
    """Send jobs to arq workers through Redis; coalesce by job id."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, redis_url: str) -> ArqJobs:
        """Open the arq pool on REDIS_URL."""
        from arq import create_pool
        from arq.connections import RedisSettings

        return cls(await create_pool(RedisSettings.from_dsn(redis_url)))

    async def enqueue(self, function: str, *args: Any, key: str | None = None) -> None:
        """Queue the job; while one with this key waits, the trigger rides on it."""
        if key is not None:
            await self.pool.incr(generation_key(key))
        await self.pool.enqueue_job(function, *args, _job_id=key)

    async def close(self) -> None:
        """Close the Redis pool."""
        await self.pool.aclose()


def generation_key(key: str) -> str:
    """Name the Redis counter that tells a running job it was triggered again."""
    return f"clinic:gen:{key}"


# Errors that a later attempt may not meet: a lost connection, a restarting database or Redis.
TRANSIENT: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError)


def retrying(job: JobFunction, tries: int = 5) -> JobFunction:
    """Let arq run `job` again, later, after a transient failure (arq itself retries none)."""
    from arq import Retry

    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        try:
            return await job(ctx, *args)
        except Exception as error:
            attempt = int(ctx.get("job_try", 1))
            if not transient(error) or attempt >= tries:
                raise
            log.warning("job %s: transient failure (%s), retrying", job.__name__, error)
            raise Retry(defer=2**attempt) from error

    run.__name__ = job.__name__
    run.__doc__ = job.__doc__
    return run


def transient(error: Exception) -> bool:
    """Tell a dropped connection or a restarting service from a real bug."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, TRANSIENT):
        return True
    if not isinstance(error, DBAPIError):
        return False
    text = str(error.orig).lower()
    return bool(error.connection_invalidated) or any(
        word in text for word in ("lost connection", "gone away", "can't connect", "deadlock")
    )
