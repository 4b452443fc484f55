"""The rooms' current state for screens that connect or resync."""

from __future__ import annotations

import asyncio
from typing import Any

from server.realtime.rooms import counter_key
from server.realtime.sequence import Sequencer
from server.realtime.snapshots import Data, SnapshotCache, load_room
from server.state import ClinicState

CONCURRENT_READS = 4


class LiveRooms:
    """Numbers and snapshots of rooms, shared by every namespace and the fan-out of a process."""

    def __init__(self, state: ClinicState, sequencer: Sequencer, cache: SnapshotCache) -> None:
        self.state, self.sequencer, self.cache = state, sequencer, cache
        # Bounds the database work of connects and snapshots to well under the pool's size.
        self.gate = asyncio.Semaphore(CONCURRENT_READS)

    async def snapshot(self, namespace: str, room: str) -> dict[str, Any]:
        """Return `{epoch, room, seq, data}`: the room's state no older than its number."""
        key = counter_key(namespace, room)
        # The number is read before the database, so the data is at least as new as it.
        epoch, seq = await self.sequencer.current(key)
        async with self.gate:
            data = await self.cache.get(key, epoch, seq, lambda: self._load(namespace, room))
        return {"epoch": epoch, "room": room, "seq": seq, "data": data}

    async def _load(self, namespace: str, room: str) -> Data:
        state = self.state
        now, minutes = state.clock(), float(state.settings.default_consultation_min)
        return await state.read(lambda s: load_room(s, namespace, room, now, minutes))
