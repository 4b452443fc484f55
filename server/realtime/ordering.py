"""Hand a room's numbered updates to this server's screens in number order.

Numbers are shared (Redis), but updates reach a server by two roads: its own fan-out delivers
at once, another server's or a worker's comes later through pub/sub. A worker that took number
41 and is still reading the database publishes after this server sent 42, and every screen of
the room would see a gap and resync. So an update that comes ahead of a missing number waits
here, briefly, for the missing one; if it does not come (its sender died, or had nothing to
send), the held updates go out anyway and screens resync as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

Emission = tuple[str, Any, str, str]  # (event, data, namespace, room)
Deliver = Callable[[list[Emission]], Awaitable[None]]
WINDOW_S = 0.5
TRACKED_ROOMS = 20_000
Key = tuple[str, str]


class InOrder:
    """Pass updates on in `seq` order per (namespace, room); hold one ahead of a gap a moment."""

    def __init__(
        self, deliver: Deliver, window_s: float = WINDOW_S, capacity: int = TRACKED_ROOMS
    ) -> None:
        self.deliver, self.window_s, self.capacity = deliver, window_s, capacity
        self._last: OrderedDict[Key, tuple[str, int]] = OrderedDict()  # last (epoch, seq) out
        self._held: dict[Key, dict[int, Emission]] = {}
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._flushes: set[asyncio.Task[None]] = set()

    async def __call__(self, emissions: Sequence[Emission]) -> None:
        """Deliver what may go out now, in order; hold what waits for a missing number."""
        ready: list[Emission] = []
        for emission in emissions:
            ready += self._admit(emission)
        if ready:
            await self.deliver(ready)

    def _admit(self, emission: Emission) -> list[Emission]:
        event, data, namespace, room = emission
        if event != "update" or not isinstance(data, dict):
            return [emission]
        epoch, seq = data.get("epoch"), data.get("seq")
        if not isinstance(epoch, str) or not isinstance(seq, int):
            return [emission]
        key = (namespace, room)
        last = self._last.get(key)
        if last is not None and last[0] == epoch:
            if seq <= last[1]:
                return [emission]  # old news: screens ignore it, as they would anyway
            if seq > last[1] + 1:
                self._hold(key, seq, emission)
                return []
        # The next number, or the first of a numbering: out, with any held ones that follow.
        out = self._release(key, mark=False) if last is not None and last[0] != epoch else []
        out.append(emission)
        self._mark(key, epoch, seq)
        return out + self._following(key, epoch)

    def _hold(self, key: Key, seq: int, emission: Emission) -> None:
        self._held.setdefault(key, {})[seq] = emission
        if key not in self._timers:
            loop = asyncio.get_running_loop()
            self._timers[key] = loop.call_later(self.window_s, self._expire, key)

    def _following(self, key: Key, epoch: str) -> list[Emission]:
        held = self._held.get(key)
        out: list[Emission] = []
        while held:
            seq = self._last[key][1] + 1
            if seq not in held:
                break
            out.append(held.pop(seq))
            self._mark(key, epoch, seq)
        if not held:
            self._forget(key)
        return out

    def _release(self, key: Key, mark: bool = True) -> list[Emission]:
        """Take every held update of a room, in order (the wait is over)."""
        held = self._held.get(key) or {}
        out = [held[seq] for seq in sorted(held)]
        self._forget(key)
        if out and mark:
            last = out[-1][1]
            self._mark(key, last["epoch"], last["seq"])
        return out

    def _forget(self, key: Key) -> None:
        self._held.pop(key, None)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def _mark(self, key: Key, epoch: str, seq: int) -> None:
        self._last[key] = (epoch, seq)
        self._last.move_to_end(key)
        while len(self._last) > self.capacity:
            old, _ = self._last.popitem(last=False)
            if old in self._held:  # a room not heard of for long: let its updates out
                self._spawn(self._release(old))

    def _expire(self, key: Key) -> None:
        self._timers.pop(key, None)
        self._spawn(self._release(key))

    def _spawn(self, emissions: list[Emission]) -> None:
        if not emissions:
            return
        task = asyncio.get_running_loop().create_task(self._send(emissions))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _send(self, emissions: list[Emission]) -> None:
        try:
            await self.deliver(emissions)
        except Exception:
            log.exception("delivering %d held updates failed", len(emissions))

    def pending(self) -> int:
        """Count the updates held now."""
        return sum(len(held) for held in self._held.values())
