"""Count failures per key in a time window: in memory when embedded, in Redis when scaled."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
# What an unreachable Redis raises; any other error is a bug and propagates.
OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


class Limiter(Protocol):
    """Counts failed attempts per key."""

    async def blocked(self, key: str, limit: int | None = None) -> bool: ...

    async def fail(self, key: str) -> None: ...

    async def reset(self, key: str) -> None: ...


class MemoryLimiter:
    """A sliding window per key, for one process."""

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        cutoff = time.monotonic() - self.window_s
        while hits and hits[0] < cutoff:
            hits.popleft()
        if not hits:
            del self._hits[key]  # keeps memory flat under a spray of usernames
            return deque()
        return hits

    async def blocked(self, key: str, limit: int | None = None) -> bool:
        """Tell whether the key has used up its failures (`limit`, or the default)."""
        return len(self._recent(key)) >= (limit or self.max_failures)

    async def fail(self, key: str) -> None:
        """Count one failure."""
        self._recent(key)
        self._hits.setdefault(key, deque()).append(time.monotonic())

    async def reset(self, key: str) -> None:
        """Forget the key's failures (after a success)."""
        self._hits.pop(key, None)


class RedisLimiter:
    """A fixed window per key, shared by every server process."""

    def __init__(self, redis: Redis, max_failures: int, window_s: int) -> None:
        self.redis, self.max_failures, self.window_s = redis, max_failures, window_s

    async def blocked(self, key: str, limit: int | None = None) -> bool:
        """Tell whether the key has used up its failures (`limit`, or the default)."""
        count = await self.redis.get(f"clinic:login:{key}")
        return count is not None and int(count) >= (limit or self.max_failures)

    async def fail(self, key: str) -> None:
        """Count one failure."""
        name = f"clinic:login:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, self.window_s, nx=True)
            await pipe.execute()

    async def reset(self, key: str) -> None:
        """Forget the key's failures (after a success)."""
        await self.redis.delete(f"clinic:login:{key}")


class FallbackLimiter:
    """Redis while it answers; this process's memory while it does not.

    Logins must keep working when Redis is down: the limits then hold per process (each
    server counts on its own) until Redis answers again. The outage is logged once, and
    Redis is retried at most every `retry_s` so a dead server costs no time per login.
    """

    def __init__(self, redis: RedisLimiter, local: MemoryLimiter, retry_s: float = 5.0) -> None:
        self.redis, self.local, self.retry_s = redis, local, retry_s
        self._down_until: float | None = None  # set while Redis is thought to be down

    @property
    def degraded(self) -> bool:
        """Tell whether limits are being counted locally because Redis is down."""
        return self._down_until is not None

    def _use_redis(self) -> bool:
        return self._down_until is None or time.monotonic() >= self._down_until

    def _went_down(self, error: Exception) -> None:
        if self._down_until is None:
            log.warning(
                "Redis is unreachable (%s); login limits are counted in this process "
                "until it answers again",
                error,
            )
        self._down_until = time.monotonic() + self.retry_s

    def _came_back(self) -> None:
        if self._down_until is not None:
            log.warning("Redis answers again; login limits are shared through it")
            self._down_until = None

    async def blocked(self, key: str, limit: int | None = None) -> bool:
        """Tell whether the key has used up its failures, in Redis or locally."""
        if self._use_redis():
            try:
                answer = await self.redis.blocked(key, limit)
            except OUTAGE as error:
                self._went_down(error)
            else:
                self._came_back()
                # Failures counted locally during an outage still count after it.
                return answer or await self.local.blocked(key, limit)
        return await self.local.blocked(key, limit)

    async def fail(self, key: str) -> None:
        """Count one failure in Redis, or locally while it is down."""
        if self._use_redis():
            try:
                await self.redis.fail(key)
            except OUTAGE as error:
                self._went_down(error)
            else:
                self._came_back()
                return
        await self.local.fail(key)

    async def reset(self, key: str) -> None:
        """Forget the key's failures, wherever they are counted."""
        await self.local.reset(key)
        if self._use_redis():
            try:
                await self.redis.reset(key)
            except OUTAGE as error:
                self._went_down(error)
            else:
                self._came_back()
