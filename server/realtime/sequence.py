"""Per-room sequence numbers and the epoch that names them, in memory or shared via Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.realtime.link import Link

# Counters forgotten for this long start again (from the clock, so still higher than before).
TTL_S = 3 * 24 * 3600
MEMORY_ROOMS = 100_000


def start_value() -> int:
    """Return where a new counter starts: the wall-clock millisecond, above any old value."""
    return int(time.time() * 1000)


class Sequencer(Protocol):
    """Numbers each room's updates; `epoch` changes whenever numbering starts over."""

    async def current(self, key: str) -> tuple[str, int]:
        """Return the epoch and the room's last number (creating the counter if needed)."""
        ...

    async def advance(self, keys: Sequence[str]) -> tuple[str, list[int]]:
        """Take the next number of every room in `keys`, in one step."""
        ...


class MemorySequencer:
    """Counters of one process; a new epoch per boot, a bounded number of rooms."""

    def __init__(self, capacity: int = MEMORY_ROOMS) -> None:
        self.epoch = uuid.uuid4().hex
        self._counters: OrderedDict[str, int] = OrderedDict()
        self._capacity = capacity

    def _touch(self, key: str, step: int) -> int:
        value = self._counters.pop(key, None)
        value = start_value() if value is None else value + step
        self._counters[key] = value
        if len(self._counters) > self._capacity:
            self._counters.popitem(last=False)  # comes back at the clock: screens see a gap
        return value

    async def current(self, key: str) -> tuple[str, int]:
        """Return the epoch and the room's last number."""
        return self.epoch, self._touch(key, 0)

    async def advance(self, keys: Sequence[str]) -> tuple[str, list[int]]:
        """Take the next number of every room in `keys`."""
        return self.epoch, [self._touch(key, 1) for key in keys]


# KEYS[1] = epoch key, KEYS[2:] = counters; ARGV = start value, ttl, fresh epoch, step.
_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[3], 'NX')
local epoch = redis.call('GET', KEYS[1])
local values = {}
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('SET', KEYS[i], ARGV[1])
  end
  values[i - 1] = redis.call('INCRBY', KEYS[i], ARGV[4])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return {epoch, values}
"""


class RedisSequencer:
    """Counters shared by every process and worker through Redis."""

    def __init__(self, redis: Redis, prefix: str = "clinic:rt:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_SCRIPT)

    async def _run(self, keys: Sequence[str], step: int) -> tuple[str, list[int]]:
        names = [f"{self._prefix}epoch", *(f"{self._prefix}seq:{key}" for key in keys)]
        epoch, values = await self._script(
            keys=names, args=[start_value(), TTL_S, uuid.uuid4().hex, step]
        )
        text = epoch.decode() if isinstance(epoch, bytes) else str(epoch)
        return text, [int(v) for v in values]

    async def current(self, key: str) -> tuple[str, int]:
        """Return the epoch and the room's last number."""
        epoch, values = await self._run([key], 0)
        return epoch, values[0]

    async def advance(self, keys: Sequence[str]) -> tuple[str, list[int]]:
        """Take the next number of every room in `keys`, atomically."""
        return await self._run(keys, 1)


# A Redis that does not answer within this is treated as down: updates go out numbered locally.
SHARED_TIMEOUT_S = 1.0


class FallbackSequencer:
    """Shared numbers while the link is up; this process's own (a fresh epoch) while it is down.

    Screens of this server keep getting contiguous updates during a Redis outage; the epoch
    changes at both ends of it, so every screen resyncs instead of trusting a number that
    another numbering gave out.
    """

    def __init__(self, shared: Sequencer, link: Link) -> None:
        self.shared, self.link = shared, link
        self._local = MemorySequencer()
        self._outage = link.outages

    def _fallback(self) -> MemorySequencer:
        if self._outage != self.link.outages:  # a new outage: a new numbering
            self._local, self._outage = MemorySequencer(), self.link.outages
        return self._local

    async def current(self, key: str) -> tuple[str, int]:
        """Return the epoch and the room's last number."""
        if self.link.up:
            try:
                return await asyncio.wait_for(self.shared.current(key), SHARED_TIMEOUT_S)
            except (RedisError, OSError, TimeoutError) as error:
                self.link.failed(f"numbering: {error!r}")
        return await self._fallback().current(key)

    async def advance(self, keys: Sequence[str]) -> tuple[str, list[int]]:
        """Take the next number of every room in `keys`."""
        if self.link.up:
            try:
                return await asyncio.wait_for(self.shared.advance(keys), SHARED_TIMEOUT_S)
            except (RedisError, OSError, TimeoutError) as error:
                self.link.failed(f"numbering: {error!r}")
        return await self._fallback().advance(keys)
