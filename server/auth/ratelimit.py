"""Count failures per key in a time window: in memory when embedded, in Redis when scaled."""

from __future__ import annotations

import time
from collections import deque
from typing import Protocol

from redis.asyncio import Redis


class Limiter(Protocol):
    """Counts failed attempts per key."""

    async def blocked(self, key: str) -> bool: ...

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

    async def blocked(self, key: str) -> bool:
        """Tell whether the key has used up its failures."""
        return len(self._recent(key)) >= self.max_failures

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

    async def blocked(self, key: str) -> bool:
        """Tell whether the key has used up its failures."""
        count = await self.redis.get(f"clinic:login:{key}")
        return count is not None and int(count) >= self.max_failures

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
