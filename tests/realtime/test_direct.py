"""Direct writes: a broadcast reaches an idle socket at once, never ahead of a queued packet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio
from socketio import packet

from server.realtime.direct import DirectWebSocket, enable_direct_writes
from server.realtime.managers import DirectSend

NAMESPACE = "/test"
ROOM = "screens"


class Connection:
    """One WebSocket client, as the ASGI server would present it: what it sent, what it got."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.written: list[str] = []
        self.paused = False  # the "transport" is paused: sends wait for `resume`
        self.waiting: list[asyncio.Future[None]] = []
        self.gone = False  # the client went away: sends fail as a real server's would
        self.task: asyncio.Task[None] | None = None
        self.sid = ""  # the Socket.IO sid in NAMESPACE

    async def send(self, message: dict[str, Any]) -> None:
        """The ASGI `send` of this connection."""
        if message["type"] == "websocket.send":
            if self.gone:
                raise OSError("client disconnected")
            if self.paused:
                waiter = asyncio.get_running_loop().create_future()
                self.waiting.append(waiter)
                await waiter
            self.written.append(message["text"])

    def resume(self) -> None:
        """Unpause; concurrent sends finish last first, as nothing promises their order."""
        self.paused = False
        for waiter in reversed(self.waiting):
            waiter.set_result(None)
        self.waiting.clear()

    def events(self) -> list[tuple[str, Any]]:
        """Return the (event, data) of each Socket.IO event written so far, in order."""
        prefix = f"42{NAMESPACE},"
        return [tuple(json.loads(t[len(prefix) :])) for t in self.written if t.startswith(prefix)]

    def receive(self, text: str) -> None:
        """Pass a text frame from the client to the server."""
        self.incoming.put_nowait({"type": "websocket.receive", "text": text})


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until `condition` holds (a few seconds at most)."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition never held")


class Harness:
    """A Socket.IO server with direct writes, its ASGI app, and connections into it."""

    def __init__(self, manager: socketio.AsyncManager | None = None) -> None:
        manager = manager or DirectSend()
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
        enable_direct_writes(self.sio)
        self.app = socketio.ASGIApp(self.sio)
        self.sids: list[str] = []

        async def connect(sid: str, _environ: dict[str, Any], _auth: Any = None) -> None:
            await self.sio.enter_room(sid, ROOM, namespace=NAMESPACE)
            self.sids.append(sid)

        self.sio.on("connect", connect, namespace=NAMESPACE)

    async def connect(self) -> Connection:
        """Open a WebSocket, join the namespace, and wait until the socket's writer is idle."""
        conn = Connection()
        scope = {
            "type": "websocket",
            "path": "/socket.io/",
            "query_string": b"EIO=4&transport=websocket",
            "headers": [(b"connection", b"Upgrade"), (b"upgrade", b"websocket")],
            "scheme": "ws",
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 50000),
            "asgi": {"version": "3.0"},
        }
        conn.incoming.put_nowait({"type": "websocket.connect"})
        conn.task = asyncio.create_task(self.app(scope, conn.incoming.get, conn.send))
        await until(lambda: any(t.startswith("0{") for t in conn.written))
        conn.receive(f"40{NAMESPACE},")
        await until(lambda: any(t.startswith(f"40{NAMESPACE},") for t in conn.written))
        conn.sid = self.sids[-1]
        await until(lambda: self.direct(conn).idle(0.0))
        return conn

    def socket(self, conn: Connection) -> Any:
        """Return the engine.io socket of a connection."""
        eio_sid = self.sio.manager.eio_sid_from_sid(conn.sid, NAMESPACE)
        return self.sio.eio.sockets[eio_sid]

    def direct(self, conn: Connection) -> DirectWebSocket:
        """Return the connection's WebSocket as engine.io serves it."""
        direct = self.socket(conn).direct
        assert isinstance(direct, DirectWebSocket)
        return direct

    async def queued(self, conn: Connection, event: str, data: Any) -> None:
        """Send an event through engine.io's queue, the path a reply takes normally."""
        pkt = self.sio.packet_class(packet.EVENT, namespace=NAMESPACE, data=[event, data])
        await self.sio._send_packet(self.socket(conn).sid, pkt)

    async def broadcast(self, data: Any) -> None:
        """Emit an update to the room."""
        await self.sio.emit("update", data, room=ROOM, namespace=NAMESPACE)


@asynccontextmanager
async def harnessed(manager: socketio.AsyncManager | None = None) -> AsyncIterator[Harness]:
    """Run a server until the block ends; then close its connections."""
    made = Harness(manager)
    try:
        yield made
    finally:
        for sid in list(made.sids):
            await made.sio.disconnect(sid, namespace=NAMESPACE)
        await asyncio.sleep(0.01)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    """Yield a server with the in-process manager."""
    async with harnessed() as made:
        yield made


async def test_an_idle_socket_gets_a_broadcast_before_the_emit_returns(harness: Harness) -> None:
    conn = await harness.connect()
    await harness.broadcast({"n": 1})
    # No loop turn in between: the frame was written by the emit itself, not by a writer task.
    assert conn.events() == [("update", {"n": 1})]
    assert harness.socket(conn).queue.empty()


async def test_a_queued_snapshot_is_not_overtaken_by_a_later_update(harness: Harness) -> None:
    conn = await harness.connect()
    await harness.queued(conn, "snapshot", {"seq": 1})  # in the queue, writer not yet awake
    await harness.broadcast({"seq": 2})
    await until(lambda: len(conn.events()) == 2)
    assert conn.events() == [("snapshot", {"seq": 1}), ("update", {"seq": 2})]


async def test_a_snapshot_being_written_is_not_overtaken(harness: Harness) -> None:
    conn = await harness.connect()
    conn.paused = True
    await harness.queued(conn, "snapshot", {"seq": 1})
    # The writer took the snapshot out of the queue and waits for the paused transport.
    await until(lambda: len(conn.waiting) == 1)
    assert not harness.direct(conn).idle(0.0)
    await harness.broadcast({"seq": 2})
    conn.resume()
    await until(lambda: len(conn.events()) == 2)
    assert conn.events() == [("snapshot", {"seq": 1}), ("update", {"seq": 2})]


async def test_a_direct_write_that_must_wait_keeps_its_place(harness: Harness) -> None:
    conn = await harness.connect()
    conn.paused = True
    await harness.broadcast({"seq": 1})  # direct, but the transport is paused: it waits
    assert harness.direct(conn).blocked is not None
    await harness.queued(conn, "snapshot", {"seq": 2})
    await harness.broadcast({"seq": 3})
    # The writer took both queued frames and waits behind the direct write: nothing went out.
    await until(lambda: harness.socket(conn).queue.empty())
    assert conn.events() == []
    conn.resume()
    await until(lambda: len(conn.events()) == 3)
    assert conn.events() == [
        ("update", {"seq": 1}),
        ("snapshot", {"seq": 2}),
        ("update", {"seq": 3}),
    ]
    await until(lambda: harness.direct(conn).idle(0.0))  # and direct writes resume


async def test_many_sockets_get_every_update_once_in_order(harness: Harness) -> None:
    conns = [await harness.connect() for _ in range(5)]
    conns[2].paused = True  # one slow client among them
    for seq in range(1, 4):
        await harness.broadcast({"seq": seq})
        if seq == 2:
            await harness.queued(conns[2], "snapshot", {"seq": 2})
    conns[2].resume()
    await until(lambda: all(len(c.events()) >= 3 for c in conns))
    # Every writer is back waiting on an empty queue: no frame is still to come.
    await until(lambda: all(harness.direct(c).idle(0.0) for c in conns))
    for index, conn in enumerate(conns):
        updates = [("update", {"seq": seq}) for seq in range(1, 4)]
        if index == 2:
            updates.insert(2, ("snapshot", {"seq": 2}))
        assert conn.events() == updates


async def test_updates_behind_a_waiting_direct_write_keep_their_order(harness: Harness) -> None:
    conn = await harness.connect()
    conn.paused = True
    for seq in range(1, 4):
        await harness.broadcast({"seq": seq})
    # The writer took the two queued updates and waits behind the direct write.
    await until(lambda: harness.socket(conn).queue.empty())
    assert conn.events() == []
    conn.resume()
    await until(lambda: len(conn.events()) == 3)
    await until(lambda: harness.direct(conn).idle(0.0))  # nothing more is on its way
    assert conn.events() == [("update", {"seq": seq}) for seq in range(1, 4)]


async def test_a_client_that_went_away_does_not_stop_a_broadcast(harness: Harness) -> None:
    gone, present = await harness.connect(), await harness.connect()
    gone.gone = True
    await harness.broadcast({"seq": 1})
    assert present.events() == [("update", {"seq": 1})]


async def test_a_socket_closed_but_still_in_the_room_does_not_stop_a_broadcast(
    harness: Harness,
) -> None:
    closed, present = await harness.connect(), await harness.connect()
    harness.socket(closed).closed = True  # engine.io refuses to queue for it
    await harness.broadcast({"seq": 1})
    assert present.events() == [("update", {"seq": 1})]
