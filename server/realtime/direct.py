"""Write a broadcast frame straight to an idle socket's ASGI send, keeping each socket's order.

engine.io gives every socket a queue and a writer task: each packet is a queue put, a task
wake-up, an `asyncio.wait_for` (a task and a timer on Python 3.11) and then the ASGI send.
For a broadcast to 5,000 sockets that machinery cost more CPU than the writes themselves.

A socket whose writer is idle (nothing queued, nothing taken out and not yet written, blocked
waiting for the next packet) holds no earlier packet, so writing the frame at once is exactly
what the writer would do next. Otherwise the frame takes the queue as before. A direct write
that cannot finish at once (the transport is paused) finishes in a task, and the writer waits
for it before it writes anything else: a socket's frames always leave in the order sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

import socketio
from engineio.async_drivers import asgi as eio_asgi

from server.realtime.collector import CHURN

log = logging.getLogger(__name__)

Message = dict[str, Any]
# A client that stops reading (a frozen tab, a TV behind a dead access point) would have its
# frames pile up until engine.io's ping timeout (about 45 s). It is dropped sooner: when this
# many frames wait for it, or when one write has waited this long (it reconnects and resyncs).
MAX_QUEUED_FRAMES = 64
MAX_STALL_S = 10.0


@dataclass
class Tally:
    """How this process's broadcast frames left: written at once, or through a socket's queue."""

    direct: int = 0
    queued: int = 0


# Process-wide, like engine.io's sockets: the tests tell the fast path from its silent absence.
TALLY = Tally()


class DirectWebSocket(eio_asgi.WebSocket):  # type: ignore[misc]
    """engine.io's ASGI WebSocket, which a broadcast may write to while the writer is idle."""

    def __init__(self, handler: Callable[[Any], Awaitable[None]], server: Any) -> None:
        super().__init__(handler, server)
        # The handler is the engine.io socket's bound `_websocket_handler`.
        self.socket: Any = getattr(handler, "__self__", None)
        self.blocked: asyncio.Future[None] | None = None  # a direct write waiting to finish
        self.waiting_since: float | None = None  # when the write under way started to wait
        self.dropped = False

    async def __call__(self, environ: dict[str, Any]) -> str:
        """Serve the connection; broadcasts can find this WebSocket on its socket meanwhile."""
        if self.socket is not None:
            self.socket.direct = self
        CHURN.opened()
        try:
            return str(await super().__call__(environ))
        finally:
            if self.socket is not None:
                self.socket.direct = None
            CHURN.closed()  # what a closed connection leaves behind is collected in bulk

    async def send(self, message: str | bytes) -> None:
        """Write the writer task's next packet, after any direct write that is still pending."""
        while self.blocked is not None and not self.blocked.done():
            await asyncio.wait({self.blocked})
        # Set for the length of the write; one that does not wait is over before anyone looks.
        self.waiting_since = time.monotonic()
        try:
            await super().send(message)
        finally:
            self.waiting_since = None

    async def wait(self) -> Any:
        """Return the client's next message; None once it has gone (engine.io then ends).

        engine.io's own raises OSError there, and that exception's traceback holds the frame
        that holds the task that holds the exception: a cycle that keeps the connection's
        objects (its protocol, buffers and queues) until a full collection. None ends the
        socket's loop the same way, and reference counting frees it all at once.
        """
        if self.socket is None or not self.socket.upgraded:
            return await super().wait()  # an upgrade from polling expects the error
        event = await self.asgi_receive()
        if event["type"] != "websocket.receive":
            return None
        if event.get("bytes") is not None:
            return event["bytes"]
        return event.get("text")

    def idle(self, now: float) -> bool:
        """Tell whether a frame written now would leave after everything sent before it."""
        socket = self.socket
        if (
            self.blocked is not None
            or self.asgi_send is None
            or not socket.upgraded
            or socket.upgrading
            or socket.closing
            or socket.closed
        ):
            return False
        last_ping = socket.last_ping
        if last_ping and now - last_ping > socket.server.ping_timeout:
            return False  # the queued path notices the dead client and closes the socket
        queue = socket.queue
        # The writer blocks in `queue.get()` only after it wrote all it took; its waiting
        # getter is the sign (asyncio.Queue keeps it in `_getters` until a put wakes it).
        return queue.empty() and any(not getter.done() for getter in queue._getters)

    def write_now(self, message: Message) -> None:
        """Hand an ASGI `websocket.send` message to the server; finish it later if it must wait."""
        try:
            step = self.asgi_send(message).__await__()
            waiting = step.send(None)
        except StopIteration:
            return  # written: the usual case
        except Exception:
            # The client went away; its reader task ends the socket.
            log.debug("direct write to %s failed", self.socket.sid, exc_info=True)
            return
        self.waiting_since = time.monotonic()
        self.blocked = asyncio.ensure_future(_Resumed(step, waiting))
        self.blocked.add_done_callback(self._unblock)

    def _unblock(self, done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.debug("direct write to %s failed", self.socket.sid, exc_info=done.exception())
        if self.blocked is done:
            self.blocked = None
            self.waiting_since = None

    def stalled(self) -> bool:
        """Tell whether the client has stopped reading: too much waits, or for too long."""
        if self.socket.queue.qsize() >= MAX_QUEUED_FRAMES:
            return True
        since = self.waiting_since
        return since is not None and time.monotonic() - since > MAX_STALL_S

    def drop(self) -> None:
        """Cut the connection of a client that stopped reading; it leaves its rooms at once."""
        if self.dropped:
            return
        self.dropped = True
        log.info(
            "dropping %s: it stopped reading (%d frames waiting)",
            self.socket.sid,
            self.socket.queue.qsize(),
        )
        # A paused transport blocks every ASGI send, the close as well: cut it underneath
        # (uvicorn's protocol is the send's owner); the blocked writes then fail and end.
        transport = getattr(getattr(self.asgi_send, "__self__", None), "transport", None)
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()
        reason = self.socket.server.reason.TRANSPORT_ERROR
        task = asyncio.ensure_future(self.socket.close(wait=False, abort=True, reason=reason))
        task.add_done_callback(_log_failure)


class _Resumed:
    """An awaitable that carries on an already started one from the point where it waited."""

    def __init__(self, step: Generator[Any, Any, Any], waiting: Any) -> None:
        self.step, self.waiting = step, waiting

    def __await__(self) -> Generator[Any, Any, None]:
        waiting = self.waiting
        while True:
            # Hand what it waits on to the task running us, then pass the outcome back in,
            # as the task would have done for the awaitable itself.
            try:
                outcome = yield waiting
            except BaseException as exc:
                try:
                    waiting = self.step.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting = self.step.send(outcome)
                except StopIteration:
                    return


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("closing a dropped socket failed", exc_info=task.exception())


def write_frame(socket: Any, message: Message, now: float) -> bool:
    """Write a broadcast's frame to an idle socket at once, or drop a client that stopped
    reading; False: queue the frame instead."""
    direct: DirectWebSocket | None = getattr(socket, "direct", None)
    if direct is None:
        TALLY.queued += 1
        return False
    if not direct.idle(now):
        if not direct.stalled():
            TALLY.queued += 1
            return False
        direct.drop()
        return True  # nothing more for it: it reconnects and gets a snapshot
    direct.write_now(message)
    TALLY.direct += 1
    return True


def send_message(frame: str | bytes) -> Message:
    """Build the ASGI message that carries one encoded engine.io packet."""
    if isinstance(frame, bytes):
        return {"type": "websocket.send", "bytes": frame, "text": None}
    return {"type": "websocket.send", "bytes": None, "text": frame}


def enable_direct_writes(sio: socketio.AsyncServer) -> None:
    """Make this server's WebSocket connections accept direct writes (ASGI mode only)."""
    if not isinstance(getattr(asyncio.Queue(), "_getters", None), deque):
        # `idle` reads the queue's waiting getters; without them every frame takes the queue.
        log.warning("asyncio.Queue has no _getters here: live updates go through the queue")
        return
    eio = sio.eio
    # Replaced on this server only: engine.io's driver table is shared by the whole process.
    eio._async = {**eio._async, "websocket": DirectWebSocket}
