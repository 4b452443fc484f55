"""Socket.IO client managers that hand a room's one encoded packet to each socket in turn."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.exceptions import SocketIsClosedError
from socketio import packet

from server.realtime.direct import send_message, write_frame

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


class DirectSendRedis(socketio.AsyncRedisManager, DirectSend):  # type: ignore[misc]
    """The Redis manager whose local delivery (of its own and other servers' emits) is direct.

    A fan-out's emits for one batch (a board room and up to a hundred ticket rooms) go to the
    other servers as one Redis message, not one publish round trip each. An emit to one socket
    that is connected here (`hello`, `snapshot`) is not published at all: no other server has it.
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
        await DirectSend.emit_many(self, emissions)
        await self._publish(batch_message(emissions, self.host_id))

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        """Deliver another server's emit, or each emit of its batch."""
        batch = message.get("batch")
        if batch is None:
            await super()._handle_emit(message)
            return
        await DirectSend.emit_many(self, [tuple(item) for item in batch])


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
