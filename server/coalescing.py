"""Coalesced runs across worker processes that no dead worker can block.

Each trigger bumps the key's generation counter and queues a job under an id of its own. A job
runs the work only while it holds the key's lease, a short Redis lock its worker renews while it
runs: a killed worker's lease runs out within `lease_s` seconds, never after the longest job
timeout as arq's own in-progress key does. The holder runs again while the generation moves on,
and marks the generation it planned for as done, so a burst of triggers costs one or two runs.
A job that finds the lease taken leaves one waiter behind, deferred until the lease would run
out: if the holder lives, the waiter finds the work done; if it died, the waiter does it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Counters and marks of a department-day outlive its day; an idle key is forgotten after two.
KEEP_MS = 2 * 24 * 3600 * 1000
# A holder runs at most this many times in one job, then hands over to a fresh job.
MAX_ROUNDS = 3

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def generation_key(key: str) -> str:
    """Name the counter every trigger of `key` bumps."""
    return f"clinic:gen:{key}"


def done_key(key: str) -> str:
    """Name the generation the last finished run of `key` started from."""
    return f"clinic:done:{key}"


def lease_key(key: str) -> str:
    """Name the lock held by the one run of `key` going on."""
    return f"clinic:lease:{key}"


def waiter_key(key: str) -> str:
    """Name the mark of the one job waiting for `key`'s lease."""
    return f"clinic:waiter:{key}"


async def trigger(redis: Any, key: str) -> int:
    """Record one more trigger of `key`; return its generation."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(generation_key(key))
        pipe.pexpire(generation_key(key), KEEP_MS)
        generation, _ = await pipe.execute()
    return int(generation)


async def pending(redis: Any, key: str) -> tuple[int, int]:
    """Return the key's generation and the generation its last finished run covered."""
    generation, done = await redis.mget(generation_key(key), done_key(key))
    return int(generation or 0), int(done or 0)


@dataclass
class Lease:
    """A renewed lock on one key; it ends `ttl_s` after its holder stops renewing (or dies)."""

    redis: Any
    key: str
    ttl_s: float
    owner: str = ""

    async def acquire(self) -> bool:
        """Take the lease unless another holder has it."""
        self.owner = uuid.uuid4().hex
        taken = await self.redis.set(
            lease_key(self.key), self.owner, nx=True, px=int(self.ttl_s * 1000)
        )
        return bool(taken)

    async def renew(self) -> bool:
        """Extend the lease; False when it was lost (it ran out, or Redis forgot it)."""
        renewed = await self.redis.eval(
            _RENEW, 1, lease_key(self.key), self.owner, int(self.ttl_s * 1000)
        )
        return bool(renewed)

    async def release(self) -> None:
        """Give the lease back if it is still ours."""
        await self.redis.eval(_RELEASE, 1, lease_key(self.key), self.owner)

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the lease every third of its life while the body runs; release it after."""

        async def renew_forever() -> None:
            while True:
                await asyncio.sleep(self.ttl_s / 3)
                try:
                    if not await self.renew():
                        log.warning("lease on %s lost while running", self.key)
                except RedisError as error:  # Redis away: the lease may run out, runs may overlap
                    log.warning("renewing the lease on %s failed: %s", self.key, error)

        renewer = asyncio.create_task(renew_forever())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(RedisError, OSError):
                await self.release()


Work = Callable[[], Awaitable[Any]]
# Queue the same job again: after `defer_s` seconds (a waiter), or at once (a hand-over).
Requeue = Callable[[float], Awaitable[None]]


async def run_coalesced(redis: Any, key: str, work: Work, requeue: Requeue, lease_s: float) -> Any:
    """Run `work` for `key` unless its latest trigger was already served; see the module doc."""
    # Whoever waited has woken: a job that meets a held lease from now on leaves a new waiter.
    await redis.delete(waiter_key(key))
    generation, done = await pending(redis, key)
    if generation == done:
        return "up to date"
    lease = Lease(redis, key, lease_s)
    if not await lease.acquire():
        await _wait_for(redis, key, requeue)
        return "waiting"
    result: Any = None
    async with lease.kept():
        for _ in range(MAX_ROUNDS):
            generation, done = await pending(redis, key)
            if generation == done:
                return result
            result = await work()
            await redis.set(done_key(key), generation, px=KEEP_MS)
        generation, done = await pending(redis, key)
    if generation != done:  # triggered all along: let other keys' jobs have a turn first
        await requeue(0)
    return result


async def _wait_for(redis: Any, key: str, requeue: Requeue) -> None:
    """Leave one deferred job behind to check on the holder once its lease would end."""
    left_ms = int(await redis.pttl(lease_key(key)))
    defer_s = max(left_ms, 100) / 1000 + 0.05
    # One waiter per key is enough: it reads the generation when it wakes.
    if await redis.set(waiter_key(key), "1", nx=True, px=int(defer_s * 1000) + 5000):
        await requeue(defer_s)
