"""A screen that stops reading is dropped long before the ping timeout; the others carry on."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

from server.realtime.direct import MAX_QUEUED_FRAMES
from tests.realtime.conftest import ClinicDay, LiveServer, Screen

MakeScreen = Callable[[str], Screen]
FRAMES = 4 * MAX_QUEUED_FRAMES
FILLER = "x" * 32_000
WAIT_S = 10.0  # engine.io would notice only after ping interval + timeout (45 s)


async def stalled_board(url: str, key: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect a raw board, join, read its snapshot, then never read again (tiny window)."""
    host, port = url.removeprefix("http://").split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (host, int(port)))
    reader, writer = await asyncio.open_connection(sock=raw)

    def send(text: bytes) -> None:
        writer.write(bytes((0x81, 0x80 | len(text))) + b"\0\0\0\0" + text)

    writer.write(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await reader.readuntil(b"\r\n\r\n")
    while True:
        head = await reader.readexactly(2)
        size = head[1] & 0x7F
        if size == 126:
            size = int.from_bytes(await reader.readexactly(2), "big")
        elif size == 127:
            size = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(size)
        if payload.startswith(b"0"):
            send(b"40/board," + json.dumps({"key": key}).encode())
        elif payload.startswith(b"40/board"):
            send(b'42/board,["join"]')
        elif payload.startswith(b'42/board,["snapshot"'):
            return reader, writer


async def test_a_board_that_stops_reading_is_dropped_and_the_others_get_everything(
    live_server: LiveServer, clinic_day: ClinicDay, screens: MakeScreen
) -> None:
    room = f"department:{clinic_day.department_id}"
    manager = live_server.runtime.realtime.refresher.manager
    sio = manager.server
    _reader, writer = await stalled_board(live_server.url, clinic_day.display_key)
    try:
        await flood_past_a_stalled_board(sio, manager, room, clinic_day, live_server, screens)
    finally:
        writer.close()  # a server that kept it would wait for it to drain before it stops


async def flood_past_a_stalled_board(
    sio: Any, manager: Any, room: str, day: ClinicDay, server: LiveServer, screens: MakeScreen
) -> None:
    """Send four times the bound to a room with a stalled and a reading board."""

    def boards() -> int:
        return len(list(manager.get_participants("/board", room)))

    healthy = screens("/board")
    got: list[int] = []

    async def count(data: dict[str, int]) -> None:
        got.append(data["n"])

    healthy.client.on("flood", count, namespace="/board")
    await healthy.connect(server.url, {"key": day.display_key})
    await healthy.join()
    assert boards() == 2

    for n in range(FRAMES):
        await sio.emit("flood", {"n": n, "filler": FILLER}, room=room, namespace="/board")
        await asyncio.sleep(0)  # let the healthy socket's writer run, as between real updates

    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while boards() != 1 or len(got) < FRAMES:
        assert loop.time() < deadline, (boards(), len(got))
        await asyncio.sleep(0.05)
    assert got == list(range(FRAMES))  # the reading board got every frame, in order
    assert healthy.client.connected
