"""Ending access at once: the sockets a revoked display key or an ended login opened go.

A socket joins the room of whoever opened it (`display:<id>`, `user:<id>`, see
namespaces.py). After an `access_ended` event commits, each server process disconnects its
own sockets in those rooms and forgets the bearer tokens it remembers (server/auth/cache.py);
the process that committed tells the others through the Socket.IO manager's Redis channel
(managers.py). A disconnected board or console reconnects at once (live.js) and is refused
for good when its key or login no longer opens anything, or gets its new settings.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import socketio

from server.events import EventKind, QueueEvent
from server.realtime.rooms import holder_room

log = logging.getLogger(__name__)
HOLDERS = ("display", "user")  # the `extra` key of an access_ended event is "<holder>_id"


def ended_holders(events: Sequence[QueueEvent]) -> list[str]:
    """Return the rooms of the displays and users whose access these events ended."""
    found: list[str] = []
    for event in events:
        if event.kind is not EventKind.ACCESS_ENDED:
            continue
        for holder in HOLDERS:
            ident = event.extra.get(f"{holder}_id")
            if isinstance(ident, int):
                room = holder_room(holder, ident)
                if room not in found:
                    found.append(room)
    return found


def ends_logins(holders: Sequence[str]) -> bool:
    """Tell whether some of `holders` are users (whose bearer tokens may be remembered)."""
    return any(room.startswith("user:") for room in holders)


async def disconnect_here(sio: socketio.AsyncServer, holders: Sequence[str]) -> int:
    """Disconnect this process's sockets in the `holders` rooms, in every namespace."""
    manager = sio.manager
    gone = 0
    for namespace in list(manager.rooms):
        for room in holders:
            for sid, _eio_sid in list(manager.get_participants(namespace, room)):
                await sio.disconnect(sid, namespace=namespace, ignore_queue=True)
                gone += 1
    if gone:
        log.info("disconnected %d socket(s) of %s", gone, ", ".join(holders))
    return gone


class AccessEnder:
    """The hub subscriber that ends the live access of revoked displays and ended logins."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        forget_tokens: Callable[[], None],
        tell_others: Callable[[list[str]], Awaitable[None]] | None = None,
    ) -> None:
        self.sio, self.forget_tokens, self.tell_others = sio, forget_tokens, tell_others

    async def __call__(self, events: Sequence[QueueEvent]) -> None:
        """End the access these committed events ended, here and on the other servers."""
        holders = ended_holders(events)
        if not holders:
            return
        await self.here(holders)
        if self.tell_others is not None:
            await self.tell_others(holders)

    async def here(self, holders: list[str]) -> None:
        """Forget remembered token owners, then disconnect this process's sockets."""
        if ends_logins(holders):
            self.forget_tokens()
        await disconnect_here(self.sio, holders)
