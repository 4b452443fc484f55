"""A room's current state, read from the database once per number and shared by its sockets."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.queries.queues import department_snapshot, ticket_snapshot
from server.realtime.rooms import BOARD, STAFF
from server.realtime.views import board_view, patient_view

Data = dict[str, Any]
CACHED_ROOMS = 2048


def parse_room(room: str) -> tuple[str, int]:
    """Split `department:3` into ("department", 3); ValueError for anything else."""
    kind, _, ident = room.partition(":")
    if kind not in ("department", "ticket") or not ident.isdigit():
        raise ValueError(f"not a room: {room!r}")
    return kind, int(ident)


async def load_room(
    db: AsyncSession, namespace: str, room: str, now: datetime, default_min: float
) -> Data:
    """Read the state a screen of `namespace` draws for `room`."""
    kind, ident = parse_room(room)
    if kind == "ticket":
        mine = await ticket_snapshot(db, ident, now, default_min)
        return patient_view(mine, mine["ticket"])
    snapshot = await department_snapshot(
        db, ident, now.date(), now, names=namespace in STAFF, default_min=default_min
    )
    return board_view(snapshot) if namespace == BOARD else snapshot


class SnapshotCache:
    """The last data of each room by (epoch, seq); concurrent misses share one read."""

    def __init__(self, capacity: int = CACHED_ROOMS) -> None:
        self._entries: OrderedDict[str, tuple[str, int, Data]] = OrderedDict()
        self._loading: dict[tuple[str, str, int], asyncio.Future[Data]] = {}
        self._capacity = capacity

    def put(self, key: str, epoch: str, seq: int, data: Data) -> None:
        """Remember `data` as the state of `key` at number `seq` (newer numbers win)."""
        old = self._entries.pop(key, None)
        if old is not None and old[0] == epoch and old[1] > seq:
            epoch, seq, data = old
        self._entries[key] = (epoch, seq, data)
        if len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every room's data (after an outage, numbers no longer tell what is new)."""
        self._entries.clear()

    async def get(
        self, key: str, epoch: str, seq: int, load: Callable[[], Awaitable[Data]]
    ) -> Data:
        """Return the data of `key` at `seq`, loading it at most once however many ask."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] == epoch and hit[1] >= seq:
            return hit[2]
        flight = (key, epoch, seq)
        if flight in self._loading:
            return await asyncio.shield(self._loading[flight])
        future: asyncio.Future[Data] = asyncio.get_running_loop().create_future()
        self._loading[flight] = future
        try:
            data = await load()
            future.set_result(data)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters, if any, re-raise it themselves
            raise
        finally:
            del self._loading[flight]
        self.put(key, epoch, seq, data)
        return data
