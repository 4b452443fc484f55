"""The rooms' current state for screens that connect or resync."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from server.realtime.link import Link
from server.realtime.managers import DirectSend
from server.realtime.rooms import counter_key
from server.realtime.sequence import Sequencer
from server.realtime.snapshots import Data, SnapshotCache, load_room, parse_room
from server.services import Services

log = logging.getLogger(__name__)
CONCURRENT_READS = 4


class LiveRooms:
    """Numbers and snapshots of rooms, shared by every namespace and the fan-out of a process."""

    def __init__(
        self,
        services: Services,
        sequencer: Sequencer,
        cache: SnapshotCache,
        link: Link | None = None,
    ) -> None:
        self.services, self.sequencer, self.cache = services, sequencer, cache
        self.link = link if link is not None else Link()
        # Bounds the database work of connects and snapshots to well under the pool's size.
        self.gate = asyncio.Semaphore(CONCURRENT_READS)

    async def snapshot(self, namespace: str, room: str) -> dict[str, Any]:
        """Return `{epoch, room, seq, data}`: the room's state no older than its number."""
        key = counter_key(namespace, room)
        # The number is read before the database, so the data is at least as new as it.
        epoch, seq = await self.sequencer.current(key)
        async with self.gate:
            if not self.link.up:
                # Numbers are this server's own now: other servers' commits do not move them,
                # so a cached state under a number may be older than the database.
                data = await self._load(namespace, room)
            else:
                data = await self.cache.get(key, epoch, seq, lambda: self._load(namespace, room))
        return {"epoch": epoch, "room": room, "seq": seq, "data": data}

    async def _load(self, namespace: str, room: str) -> Data:
        services = self.services
        now, minutes = services.clock(), float(services.settings.default_consultation_min)
        return await services.read(lambda s: load_room(s, namespace, room, now, minutes))


def live_rooms(rooms: dict[str, dict[Any, Any]]) -> list[tuple[str, str]]:
    """List (namespace, room) of a manager's rooms that screens watch (not sids, not None)."""
    found = []
    for namespace, named in rooms.items():
        for room, members in named.items():
            if not isinstance(room, str) or not members:
                continue
            try:
                parse_room(room)
            except ValueError:
                continue  # a socket's own room
            found.append((namespace, room))
    return found


class Refresher:
    """Push every watched room of this server a fresh snapshot; requests while busy coalesce."""

    def __init__(self, live: LiveRooms, manager: Any) -> None:
        self.live, self.manager = live, manager
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def request(self) -> None:
        """Refresh every screen soon (once more if a refresh is under way)."""
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._again:
            self._again = False
            try:
                await self.refresh()
            except Exception:
                log.exception("pushing fresh snapshots failed")

    async def refresh(self) -> None:
        """Send each watched room's snapshot to its sockets on this server, room by room."""
        for namespace, room in live_rooms(self.manager.rooms):
            snapshot = await self.live.snapshot(namespace, room)
            await DirectSend.emit(self.manager, "snapshot", snapshot, namespace, room=room)

    async def wait_idle(self) -> None:
        """Wait until no refresh is under way."""
        while self._task is not None and not self._task.done():
            await self._task
