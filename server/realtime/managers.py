"""Socket.IO client managers that hand a room's one encoded packet to each socket in turn."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.exceptions import SocketIsClosedError
from socketio import packet

from server.realtime.direct import send_message, write_frame
from server.realtime.link import Link
from server.realtime.ordering import InOrder

log = logging.getLogger(__name__)

Emission = tuple[str, Any, str, str]  # (event, data, namespace, room)


class DirectSend(socketio.AsyncManager):  # type: ignore[misc]
    """The in-process manager, minus a task and a wait per recipient of a broadcast.

    The stock `emit` encodes a packet once but creates one task per socket and waits for them
    all; each task only appends to that socket's send queue, which never blocks. Appending in
    a plain loop does the same with a fraction of the CPU, which is what 5,000 screens cost.
    A socket whose writer is idle gets the frame written at once instead (`direct.py`).
    """

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Send `event` to a socket, a room or a namespace; acks take the stock path."""
        if callback is not None or skip_sid is not None:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to
            )
            return
        if namespace not in self.rooms:
            return
        # A tuple is several arguments, None none, as in the stock manager.
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        frames = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]
        # Binary attachments make several frames: those always take the queue, in order.
        message = send_message(frames[0].encode()) if len(frames) == 1 else None
        sockets, now = self.server.eio.sockets, time.time()
        for _sid, eio_sid in self.get_participants(namespace, to or room):
            socket = sockets.get(eio_sid)
            if message is not None and socket is not None and write_frame(socket, message, now):
                continue
            try:
                for frame in frames:
                    # Queues a frame for the socket's writer task; it does not wait for the write.
                    await self.server._send_eio_packet(eio_sid, frame)
            except SocketIsClosedError:
                continue  # closed while leaving its rooms: the others still get theirs

    async def emit_many(self, emissions: Sequence[Emission]) -> None:
        """Send each (event, data, namespace, room) in turn."""
        for event, data, namespace, room in emissions:
            await DirectSend.emit(self, event, data, namespace, room=room)


# A batch travels as an `emit` to this room, which nobody joins: a server that does not know
# batches (an older one, during a rolling restart) delivers it to nobody instead of failing.
BATCH_ROOM = "batch:"
PUBLISH_TIMEOUT_S = 1.0
LISTEN_RETRY_S = 0.5  # python-socketio's listener doubles its wait up to 60 s: screens would lag


class DirectSendRedis(socketio.AsyncRedisManager, DirectSend):  # type: ignore[misc]
    """The Redis manager whose local delivery (of its own and other servers' emits) is direct.

    A fan-out's emits for one batch (a board room and up to a hundred ticket rooms) go to the
    other servers as one Redis message, not one publish round trip each. An emit to one socket
    that is connected here (`hello`, `snapshot`) is not published at all: no other server has it.

    Updates reach this server's screens in number order (`ordering.py`). Redis failing takes
    the `link` down: nothing is published until it is back (the other servers would not get
    it; this server's screens get everything directly).
    """

    connected: bool  # python-socketio's: has a Redis client been made

    def __init__(self, *args: Any, link: Link | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link = link if link is not None else Link()
        self.in_order = InOrder(self._deliver)
        # Called when another server asks every server to refresh its screens.
        self.on_refresh: Callable[[], None] | None = None
        # Called when another server ended displays' or users' access (access.py).
        self.on_end_access: Callable[[list[str]], Awaitable[None]] | None = None

    async def _deliver(self, emissions: list[Emission]) -> None:
        await DirectSend.emit_many(self, emissions)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Send locally to a socket of this server; publish anything else as usual."""
        target = to or room
        local = (
            isinstance(target, str)
            and callback is None
            and skip_sid is None
            and self.is_connected(target, namespace)
        )
        if local:
            await DirectSend.emit(self, event, data, namespace, room=target)
            return
        await super().emit(
            event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs
        )

    async def emit_many(self, emissions: Sequence[Emission]) -> None:
        """Deliver to this server's sockets, then publish them all in one message."""
        if self.server is not None:  # a worker's write-only manager has no sockets
            await self.in_order(emissions)
        await self._publish(batch_message(emissions, self.host_id))

    async def _publish(self, data: Any) -> None:
        """Publish to the other servers; while the link is down, drop (they resync later)."""
        if not self.link.up:
            return
        try:
            if not self.connected:
                self._redis_connect()
            message = self.json.dumps(data)
            await asyncio.wait_for(self.redis.publish(self.channel, message), PUBLISH_TIMEOUT_S)
        except Exception as error:
            self.connected = False
            self.link.failed(f"publish: {error!r}")

    async def _redis_listen_with_retries(self) -> Any:
        """Yield pub/sub messages; when Redis goes, say so and try again every half second."""
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
                    self.link.subscribed(True)
                async for message in self.pubsub.listen():
                    yield message
                subscribed = False  # listen() ended without an error: subscribe again
            except Exception as error:
                if subscribed:
                    log.warning("lost the Redis pub/sub channel: %r", error)
                subscribed = False
                self.link.subscribed(False, f"pub/sub: {error!r}")
                await asyncio.sleep(LISTEN_RETRY_S)

    async def ask_refresh(self) -> None:
        """Ask every other server to push its screens fresh snapshots (after an outage)."""
        await self._publish({**batch_message([], self.host_id), "refresh": True})

    async def end_access(self, holders: list[str]) -> None:
        """Ask every other server to disconnect its sockets in the `holders` rooms."""
        await self._publish({**batch_message([], self.host_id), "end_access": list(holders)})

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """Deliver another server's emit, or each emit of its batch."""
        if message.get("refresh"):
            if self.on_refresh is not None:
                self.on_refresh()
            return
        ended = message.get("end_access")
        if ended:
            if self.on_end_access is not None:
                await self.on_end_access([str(room) for room in ended])
            return
        batch = message.get("batch")
        if batch is None:
            await super()._handle_emit(message)
            return
        await self.in_order([tuple(item) for item in batch])


def batch_message(emissions: Sequence[Emission], host_id: str) -> dict[str, Any]:
    """Build the pub/sub message that carries several emits to the other servers."""
    return {
        "method": "emit",
        "event": "batch",
        "data": [],
        "namespace": "/",
        "room": BATCH_ROOM,
        "skip_sid": None,
        "callback": None,
        "host_id": host_id,
        "batch": [list(emission) for emission in emissions],
    }
